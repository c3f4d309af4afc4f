import Datasets
import Foundation
import Tensor

/// A whole training run: epochs of training with a test evaluation after each, metrics appended
/// to `metrics.csv` as they come, and `results.json` at the end.
public struct TrainingSession {
    public let network: GenotypeNetwork
    public let configuration: TrainingConfiguration
    public let folder: RunFolder

    public init(network: GenotypeNetwork, configuration: TrainingConfiguration, folder: RunFolder) {
        self.network = network
        self.configuration = configuration
        self.folder = folder
    }

    static let metricsHeader = "epoch,learning_rate,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second"

    public func run(train: Dataset, test: Dataset, onStep: (TrainingProgress) -> Void,
                    onEpoch: (EpochMetrics) -> Void) throws -> TrainingResults {
        let trainer = Trainer(network: network, configuration: configuration)
        var history: [EpochMetrics] = []
        var trainSeconds = 0.0
        var evaluation = Evaluation(loss: .nan, accuracy: 0, images: 0, seconds: 0)
        for epoch in 0..<configuration.epochs {
            var metrics = trainer.trainEpoch(epoch, on: train, progress: onStep)
            guard metrics.trainLoss.isFinite else { throw TrainingError.diverged(epoch: epoch + 1) }
            trainSeconds += metrics.seconds
            evaluation = Trainer.evaluate(network, on: test)
            metrics.testLoss = evaluation.loss
            metrics.testAccuracy = evaluation.accuracy
            history.append(metrics)
            try folder.appendLine(Self.csvLine(metrics), to: "metrics.csv", header: Self.metricsHeader)
            onEpoch(metrics)
        }
        let auxiliaryParameters = network.auxiliaryHead?.parameterCount ?? 0
        let results = TrainingResults(
            genotype: network.genotype, testAccuracy: evaluation.accuracy, testLoss: evaluation.loss,
            parameters: network.parameterCount, parametersExcludingAuxiliary: network.parameterCount - auxiliaryParameters,
            binaryParameters: network.binaryParameterCount, floatParameters: network.floatParameterCount,
            trainSeconds: trainSeconds, evaluationSeconds: evaluation.seconds, epochs: history)
        try folder.writeJSON(results, to: "results.json")
        try ModelFile.write(network, to: folder.file("model.bnn"))
        return results
    }

    static func csvLine(_ m: EpochMetrics) -> String {
        let fields: [String] = [
            String(m.epoch + 1), String(m.learningRate), String(m.trainLoss), String(m.trainAccuracy),
            m.testLoss.map { String($0) } ?? "", m.testAccuracy.map { String($0) } ?? "",
            String(format: "%.3f", m.seconds), String(format: "%.1f", m.imagesPerSecond),
        ]
        return fields.joined(separator: ",")
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case diverged(epoch: Int)

    public var description: String {
        switch self {
        case .diverged(let epoch): return "training diverged in epoch \(epoch) (loss is NaN or infinite): lower --learning-rate"
        }
    }
}
