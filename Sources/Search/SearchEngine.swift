import Datasets
import Foundation
import Network
import Tensor

/// The BNAS search: a PC-DARTS supernet (docs/algorithms.md#partial-channels) trained by alternating
/// first-order weight and architecture steps (docs/algorithms.md#bi-level-optimisation), with the
/// operation space reduced every R epochs after the warm-up
/// (docs/algorithms.md#operation-space-reduction). The engine is driven by `SearchSession`; it knows
/// nothing of threads or terminals.
public final class SearchEngine {
    public let configuration: SearchConfiguration
    let data: SearchData
    let supernet: Supernet
    let architecture: ArchitectureParameters
    let weightOptimizer: SGD
    let architectOptimizer: Adam
    let schedule: CosineSchedule
    var state: SearchState

    public init(configuration: SearchConfiguration, data: SearchData) throws {
        try configuration.validate()
        guard data.weights.height == data.weights.width, data.weights.height % 4 == 0 else {
            throw SearchConfigurationError("images of \(data.weights.height)x\(data.weights.width) pixels cannot be halved twice: the side must be a multiple of 4")
        }
        self.configuration = configuration
        self.data = data
        let shape = SupernetShape(inputChannels: data.weights.channels, classes: data.weights.classes, layers: configuration.layers,
                                  channels: configuration.channels, partialK: configuration.partialK,
                                  binarization: configuration.binarization)
        supernet = Supernet(shape: shape, seed: configuration.seed)
        var rng = SeededRNG(seed: configuration.seed &+ 0xA1FA)
        architecture = ArchitectureParameters(rng: &rng)
        weightOptimizer = SGD(parameters: supernet.parameters, learningRate: configuration.learningRate,
                              momentum: configuration.momentum, weightDecay: configuration.weightDecay)
        architectOptimizer = Adam(parameters: architecture.all, learningRate: configuration.architectureLearningRate,
                                  beta1: configuration.architectureBeta1, beta2: configuration.architectureBeta2,
                                  weightDecay: configuration.architectureWeightDecay)
        schedule = CosineSchedule(base: configuration.learningRate, minimum: configuration.minimumLearningRate, total: configuration.epochs)
        state = SearchState(rngState: SeededRNG(seed: configuration.seed &+ 0x5A3B).state)
    }

    /// Minibatch steps per epoch (both halves have `trainSize` images; the last partial batch is dropped).
    public var stepsPerEpoch: Int { min(data.weights.count, data.architecture.count) / configuration.batchSize }

    public var parameterCount: Int { supernet.parameterCount }
    public var space: OperationSpace { state.space }
    public var completedEpochs: Int { state.completedEpochs }
    public var isComplete: Bool { state.completedEpochs >= configuration.epochs }

    func phase(ofEpoch epoch: Int) -> SearchPhase { epoch < configuration.warmupEpochs ? .warmup : .search }

    // MARK: - Steps

    /// One weight step on a batch of the weight half: SGD on the supernet weights
    /// (docs/algorithms.md#bi-level-optimisation).
    /// Returns the batch's mean loss and the number of correct predictions.
    package func weightStep(_ batch: Batch) -> (loss: Double, correct: Int) {
        let result = step(batch, optimizer: weightOptimizer, frozen: architecture.all) {
            supernet.addProjectionLossGradients()
            GradientClipping.clipNorm(weightOptimizer.parameters, maxNorm: configuration.gradientClip)
        }
        return result
    }

    /// One first-order architecture step on a batch of the architecture half: Adam on alpha and beta.
    package func architectureStep(_ batch: Batch) -> (loss: Double, correct: Int) {
        let result = step(batch, optimizer: architectOptimizer, frozen: weightOptimizer.parameters) {}
        state.architectureSteps += 1
        return result
    }

    /// Forward and backward on `batch` with `frozen` held constant (backward then computes only the
    /// gradients `optimizer` uses), `beforeUpdate`, and the optimizer's step.
    private func step(_ batch: Batch, optimizer: any Optimizer, frozen: [Tensor], beforeUpdate: () -> Void) -> (loss: Double, correct: Int) {
        let images = Tensor(shape: [batch.count, batch.channels, batch.height, batch.width], data: batch.images)
        optimizer.zeroGrad()
        let (logits, loss) = GradMode.frozen(frozen) {
            let logits = supernet(images, architecture: architecture, space: state.space, training: true)
            let loss = logits.crossEntropy(labels: batch.labels)
            loss.backward()
            return (logits, loss)
        }
        beforeUpdate()
        optimizer.step()
        return (Double(loss.scalar), Metrics.correctPredictions(logits, labels: batch.labels))
    }

    /// The batches of one epoch: the weight half and the architecture half, each in its own seeded order.
    package func batches(epoch: Int) -> (BatchIterator, BatchIterator) {
        (BatchIterator(dataset: data.weights, batchSize: configuration.batchSize, shuffle: true, dropLast: true,
                       seed: configuration.seed, epoch: epoch),
         BatchIterator(dataset: data.architecture, batchSize: configuration.batchSize, shuffle: true, dropLast: true,
                       seed: configuration.seed &+ 1, epoch: epoch))
    }

    // MARK: - Events

    func alphaEvent() -> AlphaEvent {
        AlphaEvent(epoch: state.completedEpochs + (state.step > 0 ? 1 : 0), step: state.step,
                   normal: architecture.operationTable(.normal, space: state.space),
                   reduce: architecture.operationTable(.reduce, space: state.space),
                   betaNormal: architecture.edgeTable(.normal), betaReduce: architecture.edgeTable(.reduce))
    }

    /// The genotype derived from the current weights and surviving ops.
    public var genotype: Genotype { GenotypeDerivation.genotype(architecture, space: state.space) }

    // MARK: - Vetoes

    /// Removes `ref` by hand if the rules allow it; returns the refusal reason otherwise.
    func veto(_ ref: OperationRef) -> String? {
        if let reason = state.space.refusal(toRemove: ref) { return reason }
        state.space.remove(ref, cause: .veto)
        state.vetoes.append(ref)
        return nil
    }

    // MARK: - Checkpoints

    /// Every tensor of the search in checkpoint order.
    var checkpointArrays: [[Float]] {
        let statistics = supernet.batchNormStatistics
        return supernet.parameters.map(\.data) + statistics.map(\.mean) + statistics.map(\.variance) + weightOptimizer.velocity
            + architecture.all.map(\.data) + architectOptimizer.firstMoment + architectOptimizer.secondMoment
    }

    func checkpoint() -> SearchCheckpoint {
        SearchCheckpoint(header: .init(configuration: configuration, state: state), floats: checkpointArrays.flatMap { $0 })
    }

    /// Restores a checkpoint written by an engine of the same configuration.
    func restore(_ checkpoint: SearchCheckpoint, path: String) throws {
        guard checkpoint.header.configuration == configuration else {
            throw CheckpointFileError.mismatch(path, "it was written with another configuration")
        }
        let sizes = checkpointArrays.map(\.count)
        guard sizes.reduce(0, +) == checkpoint.floats.count else {
            throw CheckpointFileError.mismatch(path, "it holds \(checkpoint.floats.count) values, this supernet needs \(sizes.reduce(0, +))")
        }
        // The epoch loop resumes after the completed epochs and skips the steps done in the next one.
        let position = checkpoint.header.state
        guard (0...configuration.epochs).contains(position.completedEpochs), (0...stepsPerEpoch).contains(position.step) else {
            throw CheckpointFileError.damaged(path, "it stands at step \(position.step) after \(position.completedEpochs) epochs,"
                + " outside a search of \(configuration.epochs) epochs of \(stepsPerEpoch) steps")
        }
        var offset = 0
        func next(_ count: Int) -> [Float] {
            defer { offset += count }
            return Array(checkpoint.floats[offset..<(offset + count)])
        }
        let statistics = supernet.batchNormStatistics
        for parameter in supernet.parameters { parameter.data = next(parameter.count) }
        for entry in statistics { entry.mean = next(entry.mean.count) }
        for entry in statistics { entry.variance = next(entry.variance.count) }
        for index in weightOptimizer.velocity.indices { weightOptimizer.velocity[index] = next(weightOptimizer.velocity[index].count) }
        for tensor in architecture.all { tensor.data = next(tensor.count) }
        for index in architectOptimizer.firstMoment.indices { architectOptimizer.firstMoment[index] = next(architectOptimizer.firstMoment[index].count) }
        for index in architectOptimizer.secondMoment.indices { architectOptimizer.secondMoment[index] = next(architectOptimizer.secondMoment[index].count) }
        state = checkpoint.header.state
        architectOptimizer.steps = state.architectureSteps
    }
}

extension Supernet {
    /// Adds PCNN's projection-loss gradients to every binarized convolution (after backward).
    func addProjectionLossGradients() {
        guard shape.binarization.weights == .pcnn else { return }
        for conv in allLayers.compactMap({ $0 as? Conv2d }) { conv.addProjectionLossGradients() }
    }
}
