// The Experiments module: `bnas experiment` runs whole comparisons (searched against random and published
// genotypes, ablations) as separate run folders and writes their tables. It adds one module to the chain
// of docs/design.md#modules: bnas -> Experiments -> Search -> Network (and Experiments -> Datasets); nothing imports it
// but the command line.
import Datasets
import Foundation
import Network
import Search

/// What the runner reports as it goes; the command line prints it, tests count it.
public protocol ExperimentObserver: AnyObject, Sendable {
    /// A run is about to start (or continue, when `status` is partial); `index` counts from 1.
    func runStarting(_ run: PlannedRun, index: Int, of total: Int, status: RunStatus)
    /// A finished run is reused as it is.
    func runReused(_ run: PlannedRun)
    /// An event of the running search, on the search's thread.
    func searchEvent(_ record: EventRecord)
    /// A training run starts or continues.
    func trainingStarting(_ session: TrainingSession, data: DatasetSplits)
    func trainingStep(_ progress: TrainingProgress)
    func trainingEpoch(_ metrics: EpochMetrics, of epochs: Int)
    /// A run finished (and, for a training, was measured).
    func runFinished(_ run: PlannedRun)
    /// A warning worth a line (e.g. a damaged checkpoint passed over).
    func warning(_ text: String)
}

/// How a call of `ExperimentRunner.run` ended.
public enum ExperimentOutcome: Equatable, Sendable {
    /// Every run is done; the tables are complete.
    case finished
    /// A stop was requested; the run in progress wrote a checkpoint, and running again continues it.
    case stopped(run: String)
}

/// Runs the planned runs one after another in this process (two cores: never two at once), reusing
/// finished runs and continuing partial ones, and rewrites the tables after every run.
public final class ExperimentRunner: @unchecked Sendable {
    public let plan: ExperimentPlan
    /// Where the run folders are (`runs/`).
    public let root: URL
    /// Where the tables go (`results/`).
    public let tables: URL
    let observer: ExperimentObserver
    private let stop = StopRequest()
    private let lock = NSLock()
    private var search: SearchSession?
    private var cachedData: (key: DataKey, splits: DatasetSplits)?

    /// What decides a training's data.
    private struct DataKey: Equatable {
        var dataset: String
        var dataDirectory: String?
        var trainSize: Int?
        var testSize: Int?
        var seed: UInt64
    }

    public init(plan: ExperimentPlan, root: URL, tables: URL, observer: ExperimentObserver) {
        self.plan = plan
        self.root = root
        self.tables = tables
        self.observer = observer
    }

    /// Each planned run with its status, in running order.
    public func statuses() -> [(run: PlannedRun, status: RunStatus)] {
        plan.runs.map { ($0, RunInspection.status(of: $0, root: root)) }
    }

    /// Asks the run in progress to stop after its current step (safe from a signal handler's queue).
    public func requestStop() {
        stop.request()
        lock.lock()
        let running = search
        lock.unlock()
        running?.send(.stop)
    }

    /// Runs what is not done. Refuses, before running anything, when a run folder holds something
    /// other than the planned run.
    public func run() throws -> ExperimentOutcome {
        let planned = statuses()
        if let refusal = planned.lazy.compactMap({ entry -> String? in
            if case .refused(let reason) = entry.status { return reason }
            return nil
        }).first {
            throw ExperimentError(refusal)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (index, entry) in planned.enumerated() {
            // A run before this one may have changed what this one depends on (a search redone).
            let status = RunInspection.status(of: entry.run, root: root)
            if case .refused(let reason) = status { throw ExperimentError(reason) }
            if status == .done {
                observer.runReused(entry.run)
                continue
            }
            if stop.isRequested { return try stopped(entry.run) }
            observer.runStarting(entry.run, index: index + 1, of: planned.count, status: status)
            let finished: Bool
            switch entry.run.work {
            case .search(let configuration): finished = try runSearch(entry.run, configuration, status: status)
            case .train(let configuration, _): finished = try runTraining(entry.run, configuration, status: status)
            }
            guard finished else { return try stopped(entry.run) }
            observer.runFinished(entry.run)
            try writeTables()
        }
        try writeTables()
        return .finished
    }

    private func stopped(_ run: PlannedRun) throws -> ExperimentOutcome {
        try writeTables()
        return .stopped(run: run.name)
    }

    // MARK: - Searches

    /// Runs or continues a search; false when it was stopped.
    private func runSearch(_ run: PlannedRun, _ configuration: SearchConfiguration, status: RunStatus) throws -> Bool {
        let session = status == .todo
            ? try SearchSession.create(configuration: configuration, runName: run.name, root: root)
            : try SearchSession.resume(run: root.appendingPathComponent(run.name).path)
        if let warning = session.checkpointWarning { observer.warning(warning) }
        lock.lock()
        search = session
        lock.unlock()
        defer {
            lock.lock()
            search = nil
            lock.unlock()
        }
        // A stop asked for while the session was being built.
        if stop.isRequested { session.send(.stop) }
        let observer = self.observer
        session.start { observer.searchEvent($0) }
        switch session.waitUntilFinished() {
        case .finished: return true
        case .stopped: return false
        case .failed(let message): throw ExperimentError("\(run.name): \(message)")
        }
    }

    // MARK: - Trainings

    /// Runs, continues or measures a training; false when it was stopped.
    private func runTraining(_ run: PlannedRun, _ configuration: TrainingConfiguration, status: RunStatus) throws -> Bool {
        let path = root.appendingPathComponent(run.name)
        let data = try trainingData(configuration)
        if !FileManager.default.fileExists(atPath: path.appendingPathComponent("results.json").path) {
            let hasCheckpoint = [TrainingSession.checkpointName, TrainingSession.checkpointName + ".previous"]
                .contains { FileManager.default.fileExists(atPath: path.appendingPathComponent($0).path) }
            let session = hasCheckpoint
                ? try TrainingSession.resume(run: path.path)
                : try TrainingSession.start(configuration: configuration, data: data.train) {
                    status == .todo ? try RunFolder.create(name: run.name, root: root) : try RunFolder(existing: path.path)
                }
            if let warning = session.checkpointWarning { observer.warning(warning) }
            observer.trainingStarting(session, data: data)
            let observer = self.observer
            let outcome = try session.run(train: data.train, test: data.test, onStep: { observer.trainingStep($0) },
                                          onEpoch: { observer.trainingEpoch($0, of: configuration.epochs) },
                                          shouldStop: { [stop] in stop.isRequested })
            guard case .finished = outcome else { return false }
        }
        let evaluation = try ModelEvaluation.measure(RunFolder(existing: path.path), on: data.test)
        if let disagreement = evaluation.disagreement { throw ExperimentError("\(run.name): \(disagreement)") }
        return true
    }

    /// The data of a training; every row of an experiment trains on the same, so it is loaded once.
    private func trainingData(_ configuration: TrainingConfiguration) throws -> DatasetSplits {
        let key = DataKey(dataset: configuration.dataset, dataDirectory: configuration.dataDirectory, trainSize: configuration.trainSize,
                          testSize: configuration.testSize, seed: configuration.seed)
        if let cachedData, cachedData.key == key { return cachedData.splits }
        let splits = try configuration.loadData()
        cachedData = (key, splits)
        return splits
    }

    // MARK: - Tables

    /// Rewrites `exp-…-KIND.md` and `.csv` of every table of the plan (in `tables`) from the run folders.
    @discardableResult
    public func writeTables() throws -> [String] {
        do {
            try FileManager.default.createDirectory(at: tables, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotWrite(tables.path, error.localizedDescription)
        }
        return try plan.kind.tables.map { table in
            let report = ExperimentReport(plan: plan, table: table, measurements: measurements())
            let file = plan.tableFile(table, root: tables)
            try AtomicFile.write(Data(report.markdown.utf8), to: file.appendingPathExtension("md"))
            try AtomicFile.write(Data(report.csv.utf8), to: file.appendingPathExtension("csv"))
            return report.markdown
        }
    }

    /// What the finished runs measured, by run name.
    func measurements() -> RunMeasurements {
        var measured = RunMeasurements()
        for run in plan.runs where RunInspection.status(of: run, root: root) == .done {
            let folder = root.appendingPathComponent(run.name)
            switch run.work {
            case .search:
                let events = (try? EventLog.read(folder.appendingPathComponent("events.jsonl"))) ?? []
                measured.searchSeconds[run.name] = RunInspection.searchFinish(events)?.seconds
            case .train:
                let decoder = JSONDecoder()
                guard let results = try? decoder.decode(TrainingResults.self, from: Data(contentsOf: folder.appendingPathComponent("results.json"))),
                      let evaluation = try? decoder.decode(ModelEvaluation.self, from: Data(contentsOf: folder.appendingPathComponent(ModelEvaluation.fileName)))
                else { continue }
                measured.trainings[run.name] = TrainingMeasurement(
                    testAccuracy: results.testAccuracy, binaryParameters: results.binaryParameters, floatParameters: results.floatParameters,
                    modelFileBytes: evaluation.modelFileBytes, bitPathImagesPerSecond: evaluation.bitPathImagesPerSecond,
                    trainSeconds: results.trainSeconds)
            }
        }
        return measured
    }
}
