import Datasets
import Foundation
import Tensor

/// Progress of a training run, reported after every step.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var stepsPerEpoch: Int
    public var loss: Double
    public var accuracy: Double
    public var imagesPerSecond: Double
}

/// Loss and accuracy of a model over a data set.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double
    public var images: Int
    public var seconds: Double
}

/// Where a training run stands between two steps; a training checkpoint's header holds it, so a
/// resumed run continues exactly where the interrupted one stopped.
public struct TrainingState: Codable, Equatable, Sendable {
    /// The completed epochs' metrics (test loss and accuracy included); their count is the epoch in progress.
    public var history: [EpochMetrics] = []
    /// Steps done in the epoch in progress, and that epoch's running sums.
    public var step = 0
    public var lossSum = 0.0
    public var correct = 0
    public var seen = 0
    public var seconds = 0.0
    /// Drop-path's generator.
    public var dropPathRNG: [UInt64]
    /// The optimizer's step count (nil in checkpoints written before Adam could be chosen).
    public var optimizerSteps: Int?
    /// Two-step training's step of the epoch in progress (1: real weights, 2: binary weights; the
    /// optimizer restarts with step 2); nil in one-step trainings.
    public var stage: Int?

    public var completedEpochs: Int { history.count }
    /// Seconds of training in the completed epochs (test evaluations excluded).
    public var trainSeconds: Double { history.reduce(0) { $0 + $1.seconds } }
}

/// Trains a network built from a genotype with SGD (momentum, weight decay: the DARTS final-training
/// recipe, docs/algorithms.md#training-recipe) or Adam, a learning-rate schedule and gradient clipping, and evaluates it;
/// the recipe for binary networks adds a warm-up, latent weights clipped and free of decay, two-step
/// training and distillation from a teacher (docs/algorithms.md#training-recipe).
public final class Trainer {
    public let network: GenotypeNetwork
    public let configuration: TrainingConfiguration
    /// The real-valued network whose predictions the loss distils (nil: cross entropy alone).
    let teacher: GenotypeNetwork?
    let optimizer: any Optimizer
    /// The binarized convolutions' latent weights, which `clipLatentWeights` clips.
    let latentWeights: [Tensor]
    var dropPath: DropPath
    public private(set) var state: TrainingState

    public init(network: GenotypeNetwork, configuration: TrainingConfiguration, teacher: GenotypeNetwork? = nil) {
        self.network = network
        self.configuration = configuration
        self.teacher = teacher
        latentWeights = network.latentWeights
        let groups = Self.parameterGroups(network, configuration)
        switch configuration.weightOptimizer {
        case .sgd:
            optimizer = SGD(groups: groups, learningRate: configuration.learningRate, momentum: configuration.momentum)
        case .adam:
            optimizer = Adam(groups: groups, learningRate: configuration.learningRate)
        }
        dropPath = DropPath(probability: 0, seed: configuration.seed &+ 17)
        let stage = configuration.stage(ofEpoch: 0)
        network.usesRealWeights = stage.usesRealWeights
        state = TrainingState(dropPathRNG: dropPath.rng.state, stage: configuration.firstStepEpochs == nil ? nil : stage.number)
    }

    /// Every parameter with `weightDecay`; with a `latentWeightDecay`, the latent weights in a group
    /// of their own with it.
    static func parameterGroups(_ network: GenotypeNetwork, _ configuration: TrainingConfiguration) -> [ParameterGroup] {
        guard let latentDecay = configuration.latentWeightDecay else {
            return [ParameterGroup(network.parameters, weightDecay: configuration.weightDecay)]
        }
        let latent = Set(network.latentWeights.map(ObjectIdentifier.init))
        let (binarized, others) = (network.parameters.filter { latent.contains(ObjectIdentifier($0)) },
                                   network.parameters.filter { !latent.contains(ObjectIdentifier($0)) })
        return [ParameterGroup(binarized, weightDecay: latentDecay), ParameterGroup(others, weightDecay: configuration.weightDecay)]
    }

    /// The learning rate of step `step` (from 0) of epoch `epoch`: each training step has its own
    /// schedule, per step with warm-up and decay, or per epoch along a cosine without a `schedule`.
    public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Float {
        let stage = configuration.stage(ofEpoch: epoch)
        let epochInStage = epoch - stage.epochs.lowerBound
        guard let decay = configuration.schedule else {
            return CosineSchedule(base: configuration.learningRate, minimum: configuration.minimumLearningRate,
                                  total: stage.epochs.count).rate(epoch: epochInStage)
        }
        let warmupSteps = Int(((configuration.warmupEpochs ?? 0) * Double(stepsPerEpoch)).rounded())
        let schedule = WarmupDecaySchedule(base: configuration.learningRate, minimum: configuration.minimumLearningRate,
                                           warmupSteps: warmupSteps, totalSteps: stage.epochs.count * stepsPerEpoch, decay: decay)
        return schedule.rate(step: epochInStage * stepsPerEpoch + step)
    }

    public var isComplete: Bool { state.completedEpochs >= configuration.epochs }

    /// Trains the epoch in progress to its end, or until `shouldStop` answers true before a step
    /// (then nil: `state` says where it stopped). Returns the epoch's mean training loss and accuracy;
    /// `complete` then records it.
    public func trainEpoch(on data: Dataset, progress: (TrainingProgress) -> Void,
                           shouldStop: () -> Bool = { false }) -> EpochMetrics? {
        let epoch = state.completedEpochs
        let clock = Date().addingTimeInterval(-state.seconds)
        // DARTS ramps drop-path linearly over the epochs.
        dropPath.probability = configuration.dropPath * Float(epoch) / Float(max(1, configuration.epochs))
        let augmentation = Augmentation(cropPadding: configuration.cropPadding, horizontalFlip: false, cutout: configuration.cutout)
        var batches = BatchIterator(dataset: data, batchSize: configuration.batchSize, shuffle: true, dropLast: true,
                                    augmentation: augmentation, seed: configuration.seed, epoch: epoch)
        let steps = batches.batchCount
        // A resumed epoch draws the batches it already trained on, so the rest come in the same order.
        for _ in 0..<min(state.step, steps) { _ = batches.next() }
        while state.step < steps, let batch = batches.next() {
            if shouldStop() {
                state.seconds = Date().timeIntervalSince(clock)
                state.dropPathRNG = dropPath.rng.state
                state.optimizerSteps = optimizer.steps
                return nil
            }
            optimizer.learningRate = learningRate(epoch: epoch, step: state.step, stepsPerEpoch: steps)
            let images = Tensor(shape: [batch.count, batch.channels, batch.height, batch.width], data: batch.images)
            let (logits, auxiliary) = network(images, training: true, dropPath: &dropPath)
            var loss: Tensor
            if let teacher {
                loss = Distillation.loss(logits: logits, labels: batch.labels, teacherLogits: teacher.predict(images),
                                         weight: configuration.distillWeight ?? Distillation.defaultWeight)
            } else {
                loss = logits.crossEntropy(labels: batch.labels)
            }
            if let auxiliary, configuration.auxiliaryWeight > 0 {
                loss = loss + auxiliary.crossEntropy(labels: batch.labels).scaled(by: configuration.auxiliaryWeight)
            }
            optimizer.zeroGrad()
            loss.backward()
            network.addProjectionLossGradients()
            GradientClipping.clipNorm(optimizer.parameters, maxNorm: configuration.gradientClip)
            optimizer.step()
            if configuration.clipLatentWeights == true { GradientClipping.clipValues(latentWeights, limit: 1) }
            state.step += 1
            state.lossSum += Double(loss.scalar) * Double(batch.count)
            state.correct += Metrics.correctPredictions(logits, labels: batch.labels)
            state.seen += batch.count
            state.seconds = Date().timeIntervalSince(clock)
            progress(TrainingProgress(epoch: epoch, epochs: configuration.epochs, step: state.step, stepsPerEpoch: steps,
                                      loss: state.lossSum / Double(state.seen), accuracy: Double(state.correct) / Double(state.seen),
                                      imagesPerSecond: Double(state.seen) / max(1e-9, state.seconds)))
        }
        state.dropPathRNG = dropPath.rng.state
        state.optimizerSteps = optimizer.steps
        return EpochMetrics(epoch: epoch, learningRate: optimizer.learningRate, trainLoss: state.lossSum / Double(max(1, state.seen)),
                            trainAccuracy: Double(state.correct) / Double(max(1, state.seen)), testLoss: nil, testAccuracy: nil,
                            seconds: state.seconds, imagesPerSecond: Double(state.seen) / max(1e-9, state.seconds))
    }

    /// Records a finished epoch (with its test metrics) and starts the next one; where that one
    /// begins two-step training's second step, the weights become binary and the optimizer starts afresh.
    public func complete(_ metrics: EpochMetrics) {
        let (finished, next) = (configuration.stage(ofEpoch: state.completedEpochs), configuration.stage(ofEpoch: state.completedEpochs + 1))
        if next.number != finished.number { optimizer.reset() }
        network.usesRealWeights = next.usesRealWeights
        state = TrainingState(history: state.history + [metrics], dropPathRNG: dropPath.rng.state, optimizerSteps: optimizer.steps,
                              stage: configuration.firstStepEpochs == nil ? nil : next.number)
    }

    // MARK: - Checkpoints

    /// Every tensor of the training in checkpoint order: weights, BN running means and variances, the
    /// optimizer's buffers (the step count goes in the state).
    var checkpointArrays: [[Float]] {
        let statistics = network.batchNormStatistics
        return network.parameters.map(\.data) + statistics.map(\.mean) + statistics.map(\.variance) + optimizer.buffers
    }

    /// Puts back the tensors and the state of a checkpoint written by a trainer of the same network.
    func restore(floats: [Float], state restored: TrainingState, path: String) throws {
        let needed = checkpointArrays.reduce(0) { $0 + $1.count }
        guard floats.count == needed else {
            throw CheckpointFileError.mismatch(path, "it holds \(floats.count) values, this network needs \(needed)")
        }
        guard let rng = SeededRNG(state: restored.dropPathRNG) else { throw CheckpointFileError.damaged(path, "invalid drop-path generator state") }
        guard restored.step >= 0 else { throw CheckpointFileError.damaged(path, "it stands at step \(restored.step) of an epoch") }
        // The history is the finished epochs in order: metrics.csv and the results number them from it.
        if let wrong = restored.history.indices.first(where: { restored.history[$0].epoch != $0 }) {
            throw CheckpointFileError.damaged(path, "its history lists epoch \(restored.history[wrong].epoch) where epoch \(wrong) belongs")
        }
        guard restored.completedEpochs <= configuration.epochs else {
            throw CheckpointFileError.damaged(path, "it has \(restored.completedEpochs) epochs done of a training of \(configuration.epochs)")
        }
        let stage = configuration.stage(ofEpoch: restored.completedEpochs)
        if configuration.firstStepEpochs != nil, restored.stage != stage.number {
            throw CheckpointFileError.damaged(path, "it is in step \(restored.stage.map(String.init) ?? "none") of the two-step training, "
                                              + "but epoch \(restored.completedEpochs + 1) belongs to step \(stage.number)")
        }
        var offset = 0
        func next(_ count: Int) -> [Float] {
            defer { offset += count }
            return Array(floats[offset..<(offset + count)])
        }
        let statistics = network.batchNormStatistics
        for parameter in network.parameters { parameter.data = next(parameter.count) }
        for entry in statistics { entry.mean = next(entry.mean.count) }
        for entry in statistics { entry.variance = next(entry.variance.count) }
        optimizer.buffers = optimizer.buffers.map { next($0.count) }
        optimizer.steps = restored.optimizerSteps ?? 0
        dropPath.rng = rng
        network.usesRealWeights = stage.usesRealWeights
        state = restored
    }

    /// Loss and accuracy on `data` in inference mode (running BN statistics, no graph).
    public static func evaluate(_ network: GenotypeNetwork, on data: Dataset, batchSize: Int = 256) -> Evaluation {
        let start = Date()
        var (lossSum, correct) = (0.0, 0)
        let batches = BatchIterator(dataset: data, batchSize: batchSize, shuffle: false, dropLast: false,
                                    augmentation: .none, seed: 0, epoch: 0)
        for batch in batches {
            let images = Tensor(shape: [batch.count, batch.channels, batch.height, batch.width], data: batch.images)
            let logits = network.predict(images)
            lossSum += Double(GradMode.disabled { logits.crossEntropy(labels: batch.labels).scalar }) * Double(batch.count)
            correct += Metrics.correctPredictions(logits, labels: batch.labels)
        }
        return Evaluation(loss: lossSum / Double(max(1, data.count)), accuracy: Double(correct) / Double(max(1, data.count)),
                          images: data.count, seconds: Date().timeIntervalSince(start))
    }
}

public enum Metrics {
    /// How many rows of `logits` have their arg-max at the label.
    public static func correctPredictions(_ logits: Tensor, labels: [Int32]) -> Int {
        let classes = logits.shape[1]
        var correct = 0
        for row in 0..<labels.count {
            var best = 0
            for j in 1..<classes where logits.data[row * classes + j] > logits.data[row * classes + best] { best = j }
            if best == Int(labels[row]) { correct += 1 }
        }
        return correct
    }
}
