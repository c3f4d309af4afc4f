import Datasets
import Foundation
import Network
import Search
@testable import Experiments

/// A recipe that runs a whole experiment in seconds: 16x16 synthetic images, 3-cell networks with
/// C = 4, searches of 2 epochs on 64 + 64 images, trainings of 1 epoch on 64 images tested on 50.
enum Tiny {
    static let recipe: ExperimentRecipe = {
        var search = SearchConfiguration()
        search.dataset = "synthetic"
        search.layers = 3
        search.channels = 4
        search.partialK = 2
        search.epochs = 2
        search.warmupEpochs = 1
        search.reductionInterval = 1
        search.samplingRounds = 1
        search.scoringBatches = 1
        search.batchSize = 32
        search.trainSize = 64
        search.seed = 3
        let training = TrainingConfiguration(genotype: "", dataset: "synthetic", binarize: "xnor", activations: "binary", layers: 3,
                                             channels: 4, epochs: 2, batchSize: 16, trainSize: 64, testSize: 50, seed: 1,
                                             learningRate: 0.05)
        return ExperimentRecipe(name: "tiny", search: search, training: training, binaryEpochs: 2, deviation: "tiny, for tests",
                                searchSeeds: [3, 4], randomSeeds: [1, 2], trainingNoiseSeeds: [2])
    }()

    static func temporaryRoot() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("bnas-experiment-\(UUID().uuidString)/runs")
    }

    /// The tables' folder beside a temporary runs root.
    static func tables(_ root: URL) -> URL {
        root.deletingLastPathComponent().appendingPathComponent("results")
    }
}

/// Counts what the runner reports, and can ask it to stop at a chosen moment.
final class RecordingObserver: ExperimentObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _started: [String] = []
    private var _reused: [String] = []
    private var _finished: [String] = []
    private var _warnings: [String] = []
    private var trainingSteps = 0
    private var searchSteps = 0
    weak var runner: ExperimentRunner?
    /// Stop after this many finished runs, or before this training step / after this search step (counted over the whole call).
    var stopAfterRuns: Int?
    var stopAtTrainingStep: Int?
    var stopAtSearchStep: Int?

    var started: [String] { lock.withLock { _started } }
    var reused: [String] { lock.withLock { _reused } }
    var finished: [String] { lock.withLock { _finished } }
    var warnings: [String] { lock.withLock { _warnings } }

    func runStarting(_ run: PlannedRun, index: Int, of total: Int, status: RunStatus) { lock.withLock { _started.append(run.name) } }
    func runReused(_ run: PlannedRun) { lock.withLock { _reused.append(run.name) } }
    func trainingStarting(_ session: TrainingSession, data: DatasetSplits) {}
    func trainingEpoch(_ metrics: EpochMetrics, of epochs: Int) {}
    func warning(_ text: String) { lock.withLock { _warnings.append(text) } }

    func searchEvent(_ record: EventRecord) {
        guard case .step = record.event else { return }
        let steps = lock.withLock { searchSteps += 1; return searchSteps }
        if steps == stopAtSearchStep { runner?.requestStop() }
    }

    func trainingStep(_ progress: TrainingProgress) {
        let steps = lock.withLock { trainingSteps += 1; return trainingSteps }
        if steps == stopAtTrainingStep { runner?.requestStop() }
    }

    func runFinished(_ run: PlannedRun) {
        let count = lock.withLock { _finished.append(run.name); return _finished.count }
        if count == stopAfterRuns { runner?.requestStop() }
    }
}
