import Datasets
import Foundation
import Tensor

/// How a training run ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// Every epoch ran; `results.json` and `model.bnn` were written.
    case finished(TrainingResults)
    /// A stop was requested; a checkpoint of that moment was written (`state` says where).
    case stopped(TrainingState)
}

/// A request to stop, set from a signal handler and read between training steps.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public func request() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    public var isRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return requested
    }
}

/// A whole training run in `runs/NAME/`: epochs of training with a test evaluation after each,
/// a checkpoint after each epoch and on stop, metrics appended to `metrics.csv` as they come, and
/// `results.json` and `model.bnn` at the end.
public final class TrainingSession {
    public let network: GenotypeNetwork
    public let configuration: TrainingConfiguration
    public let folder: RunFolder
    public let trainer: Trainer
    /// Set when resuming passed over a damaged newest checkpoint (the reason, for one line on stderr).
    public let checkpointWarning: String?

    /// A session that starts at epoch 1 in `folder` (which holds `config.json`), distilling from
    /// `teacher` when given.
    public init(network: GenotypeNetwork, configuration: TrainingConfiguration, folder: RunFolder, teacher: GenotypeNetwork? = nil) {
        self.network = network
        self.configuration = configuration
        self.folder = folder
        trainer = Trainer(network: network, configuration: configuration, teacher: teacher)
        checkpointWarning = nil
    }

    private init(trainer: Trainer, folder: RunFolder, warning: String?) {
        network = trainer.network
        configuration = trainer.configuration
        self.folder = folder
        self.trainer = trainer
        checkpointWarning = warning
    }

    static let metricsHeader = "epoch,learning_rate,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second"
    static let checkpointMagic = Array("BNASTRN1".utf8)
    public static let checkpointName = "checkpoint"

    /// The JSON header of a training checkpoint: enough to rebuild the network without the data.
    struct CheckpointHeader: Codable {
        var configuration: TrainingConfiguration
        var genotype: Genotype
        var shape: NetworkShape
        var state: TrainingState
    }

    /// A new training of `configuration.genotype` on images like `data`'s: resolves the genotype,
    /// checks the network's shape and the recipe and loads the teacher, and only then makes the folder
    /// (`makeFolder`) and writes `config.json`.
    public static func start(configuration: TrainingConfiguration, data: Dataset,
                             in makeFolder: () throws -> RunFolder) throws -> TrainingSession {
        let genotype = try Genotype.resolve(configuration.genotype)
        let shape = configuration.networkShape(for: data)
        try shape.validate()
        try configuration.validateRecipe()
        let teacher = try configuration.teacher.map { try Distillation.loadTeacher($0, for: configuration, genotype: genotype) }
        let folder = try makeFolder()
        try folder.writeJSON(configuration, to: "config.json")
        return TrainingSession(network: GenotypeNetwork(genotype: genotype, shape: shape, seed: configuration.seed),
                               configuration: configuration, folder: folder, teacher: teacher)
    }

    /// The training of the run folder at `path`, restored from its newest whole checkpoint. Refuses a
    /// run that already finished and a checkpoint that does not match the run's `config.json`.
    public static func resume(run path: String) throws -> TrainingSession {
        let folder = try RunFolder(existing: path)
        let configuration = try TrainingConfiguration.read(from: folder)
        guard !FileManager.default.fileExists(atPath: folder.file("results.json").path) else {
            throw CheckpointFileError.mismatch(folder.url.path, "the training already finished (results.json exists); nothing to resume")
        }
        let ((header, floats), warning) = try CheckpointFile.readLatest(
            from: folder, name: checkpointName, magic: checkpointMagic, decode: decodeCheckpoint)
        let trainer = try restoredTrainer(header: header, floats: floats, configuration: configuration,
                                          path: folder.file(checkpointName).path)
        try folder.write(Data(metricsText(header.state.history).utf8), to: "metrics.csv")
        return TrainingSession(trainer: trainer, folder: folder, warning: warning)
    }

    /// A checkpoint's header and tensors; an unreadable header, or one describing a network that is
    /// invalid or needs more values than the checkpoint holds, is damage.
    static func decodeCheckpoint(_ file: CheckpointFile, path: String) throws -> (CheckpointHeader, [Float]) {
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: file.header)
        } catch {
            throw CheckpointFileError.damaged(path, "unreadable header: \(error)")
        }
        do {
            try header.genotype.validate()
            try header.shape.validate()
        } catch {
            throw CheckpointFileError.damaged(path, "its network is invalid: \(error)")
        }
        guard header.shape.minimumWeightCount <= Double(file.floats.count) else {
            throw CheckpointFileError.damaged(path, "its network needs at least \(String(format: "%.0f", header.shape.minimumWeightCount)) values, it holds \(file.floats.count)")
        }
        return (header, file.floats)
    }

    /// The trainer a checkpoint restores for the run of `configuration` (its config.json).
    static func restoredTrainer(header: CheckpointHeader, floats: [Float], configuration: TrainingConfiguration,
                                path: String) throws -> Trainer {
        guard header.configuration == configuration else { throw CheckpointFileError.mismatch(path, "it was written with another config.json") }
        guard header.state.completedEpochs <= configuration.epochs else {
            throw CheckpointFileError.damaged(path, "it has \(header.state.completedEpochs) epochs of \(configuration.epochs)")
        }
        let teacher = try configuration.teacher.map { try Distillation.loadTeacher($0, for: configuration, genotype: header.genotype) }
        let trainer = Trainer(network: GenotypeNetwork(genotype: header.genotype, shape: header.shape, seed: configuration.seed),
                              configuration: configuration, teacher: teacher)
        try trainer.restore(floats: floats, state: header.state, path: path)
        return trainer
    }

    /// Trains the remaining epochs. With `shouldStop` answering true between two steps, it writes a
    /// checkpoint of that moment and returns `.stopped`; `resume(run:)` continues it.
    public func run(train: Dataset, test: Dataset, onStep: (TrainingProgress) -> Void, onEpoch: (EpochMetrics) -> Void,
                    shouldStop: () -> Bool = { false }) throws -> TrainingOutcome {
        if trainer.state.completedEpochs == 0 && trainer.state.step == 0 { try checkpoint() }
        var evaluation: Evaluation?
        while !trainer.isComplete {
            guard var metrics = trainer.trainEpoch(on: train, progress: onStep, shouldStop: shouldStop) else {
                try checkpoint()
                return .stopped(trainer.state)
            }
            guard metrics.trainLoss.isFinite else { throw TrainingError.diverged(epoch: metrics.epoch + 1) }
            let tested = Trainer.evaluate(network, on: test)
            metrics.testLoss = tested.loss
            metrics.testAccuracy = tested.accuracy
            evaluation = tested
            trainer.complete(metrics)
            try checkpoint()
            try folder.appendLine(Self.csvLine(metrics), to: "metrics.csv", header: Self.metricsHeader)
            onEpoch(metrics)
        }
        // A run resumed after its last epoch (stopped between the checkpoint and results.json) tests once more.
        let final = evaluation ?? Trainer.evaluate(network, on: test)
        let auxiliaryParameters = network.auxiliaryHead?.parameterCount ?? 0
        let results = TrainingResults(
            genotype: network.genotype, testAccuracy: final.accuracy, testLoss: final.loss,
            parameters: network.parameterCount, parametersExcludingAuxiliary: network.parameterCount - auxiliaryParameters,
            binaryParameters: network.binaryParameterCount, floatParameters: network.floatParameterCount,
            trainSeconds: trainer.state.trainSeconds, evaluationSeconds: final.seconds, epochs: trainer.state.history)
        try ModelFile.write(network, to: folder.file("model.bnn"))
        try folder.writeJSON(results, to: "results.json")
        return .finished(results)
    }

    func checkpoint() throws {
        let header = CheckpointHeader(configuration: configuration, genotype: network.genotype, shape: network.shape, state: trainer.state)
        let file = CheckpointFile(header: try JSONEncoder().encode(header), floats: trainer.checkpointArrays.flatMap { $0 })
        try file.write(to: folder, name: Self.checkpointName, magic: Self.checkpointMagic)
    }

    static func metricsText(_ history: [EpochMetrics]) -> String {
        ([metricsHeader] + history.map(csvLine)).map { $0 + "\n" }.joined()
    }

    /// The epochs of a training's metrics.csv, as `csvLine` writes them. A last line without its newline is
    /// an epoch being written and is left out; anything else that is not such a line is damage, named.
    public static func readMetrics(_ url: URL) throws -> [EpochMetrics] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RunFolderError.cannotRead(url.path, "no such file or not text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        guard lines.first == Substring(metricsHeader) else {
            throw RunFolderError.damaged(url.path, "its first line is not the header of a training's metrics")
        }
        return try lines.enumerated().dropFirst().map { number, line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func value(_ index: Int) -> Double? { fields[index].isEmpty ? nil : Double(fields[index]) }
            guard fields.count == 8, let epoch = Int(fields[0]), epoch >= 1, let rate = Float(fields[1]), let trainLoss = value(2),
                  let trainAccuracy = value(3), fields[4].isEmpty || value(4) != nil, fields[5].isEmpty || value(5) != nil,
                  let seconds = value(6), let imagesPerSecond = value(7) else {
                throw RunFolderError.damaged(url.path, "line \(number + 1) is not an epoch's metrics")
            }
            return EpochMetrics(epoch: epoch - 1, learningRate: rate, trainLoss: trainLoss, trainAccuracy: trainAccuracy, testLoss: value(4),
                                testAccuracy: value(5), seconds: seconds, imagesPerSecond: imagesPerSecond)
        }
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
