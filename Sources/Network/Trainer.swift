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

/// Trains a network built from a genotype with SGD (momentum, weight decay, cosine schedule,
/// gradient clipping) and evaluates it (the DARTS final-training recipe, REFERENCE.md §6).
public final class Trainer {
    public let network: GenotypeNetwork
    public let configuration: TrainingConfiguration
    let optimizer: SGD
    let schedule: CosineSchedule
    var dropPath: DropPath

    public init(network: GenotypeNetwork, configuration: TrainingConfiguration) {
        self.network = network
        self.configuration = configuration
        optimizer = SGD(parameters: network.parameters, learningRate: configuration.learningRate,
                        momentum: configuration.momentum, weightDecay: configuration.weightDecay)
        schedule = CosineSchedule(base: configuration.learningRate, minimum: configuration.minimumLearningRate, total: configuration.epochs)
        dropPath = DropPath(probability: 0, seed: configuration.seed &+ 17)
    }

    /// One epoch over `data`; returns the epoch's mean training loss and accuracy.
    public func trainEpoch(_ epoch: Int, on data: Dataset, progress: (TrainingProgress) -> Void) -> EpochMetrics {
        let start = Date()
        optimizer.learningRate = schedule.rate(epoch: epoch)
        // DARTS ramps drop-path linearly over the epochs.
        dropPath.probability = configuration.dropPath * Float(epoch) / Float(max(1, configuration.epochs))
        let augmentation = Augmentation(cropPadding: configuration.cropPadding, horizontalFlip: false, cutout: configuration.cutout)
        let batches = BatchIterator(dataset: data, batchSize: configuration.batchSize, shuffle: true, dropLast: true,
                                    augmentation: augmentation, seed: configuration.seed, epoch: epoch)
        let steps = batches.batchCount
        var (lossSum, correct, seen) = (0.0, 0, 0)
        for (step, batch) in batches.enumerated() {
            let images = Tensor(shape: [batch.count, batch.channels, batch.height, batch.width], data: batch.images)
            let (logits, auxiliary) = network(images, training: true, dropPath: &dropPath)
            var loss = logits.crossEntropy(labels: batch.labels)
            if let auxiliary, configuration.auxiliaryWeight > 0 {
                loss = loss + auxiliary.crossEntropy(labels: batch.labels).scaled(by: configuration.auxiliaryWeight)
            }
            optimizer.zeroGrad()
            loss.backward()
            network.addProjectionLossGradients()
            GradientClipping.clipNorm(optimizer.parameters, maxNorm: configuration.gradientClip)
            optimizer.step()
            lossSum += Double(loss.scalar) * Double(batch.count)
            correct += Metrics.correctPredictions(logits, labels: batch.labels)
            seen += batch.count
            progress(TrainingProgress(epoch: epoch, epochs: configuration.epochs, step: step + 1, stepsPerEpoch: steps,
                                      loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                      imagesPerSecond: Double(seen) / max(1e-9, Date().timeIntervalSince(start))))
        }
        let seconds = Date().timeIntervalSince(start)
        return EpochMetrics(epoch: epoch, learningRate: optimizer.learningRate, trainLoss: lossSum / Double(max(1, seen)),
                            trainAccuracy: Double(correct) / Double(max(1, seen)), testLoss: nil, testAccuracy: nil,
                            seconds: seconds, imagesPerSecond: Double(seen) / max(1e-9, seconds))
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
