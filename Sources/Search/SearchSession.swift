import Binary
import Foundation
import Network

/// How a search ended.
public enum SearchOutcome: Equatable, Sendable {
    /// Every epoch ran; the genotype was derived and written.
    case finished(Genotype)
    /// The user stopped it; a checkpoint and the genotype of that moment were written.
    case stopped(Genotype)
    /// It failed (the one-line reason was also sent as an `error` event).
    case failed(String)
}

/// A search running on its own thread (docs/design.md#engine-and-dashboard): commands go in through
/// `send`, taken between minibatch steps; every event is appended to `events.jsonl` and then handed
/// to the `onEvent` callback on the engine thread.
public final class SearchSession: @unchecked Sendable {
    public let folder: RunFolder
    /// Set when resuming passed over a damaged newest checkpoint (the reason, for one line on stderr).
    public let checkpointWarning: String?
    package let engine: SearchEngine
    let resumedFromEpoch: Int?
    private let condition = NSCondition()
    private var pending: [SearchCommand] = []
    private var outcome: SearchOutcome?
    private var thread: Thread?

    init(engine: SearchEngine, folder: RunFolder, resumedFromEpoch: Int?, checkpointWarning: String?) {
        self.engine = engine
        self.folder = folder
        self.resumedFromEpoch = resumedFromEpoch
        self.checkpointWarning = checkpointWarning
    }

    /// A new search in `root/runName` (a timestamp when nil): loads the data, builds the supernet and
    /// writes `config.json`. Every refusal (a bad flag, missing data, an existing folder) throws
    /// before anything is written.
    public static func create(configuration: SearchConfiguration, runName: String?, root: URL) throws -> SearchSession {
        try configuration.validate()
        let data = try SearchData.load(configuration)
        let engine = try SearchEngine(configuration: configuration, data: data)
        let folder = try RunFolder.create(name: runName, root: root)
        try folder.write(SearchJSON.encoder(pretty: true).encode(configuration), to: "config.json")
        return SearchSession(engine: engine, folder: folder, resumedFromEpoch: nil, checkpointWarning: nil)
    }

    /// The search of the run folder at `path`, restored from its newest whole checkpoint.
    public static func resume(run path: String) throws -> SearchSession {
        let folder = try RunFolder(existing: path)
        let configURL = folder.file("config.json")
        guard let configData = FileManager.default.contents(atPath: configURL.path) else {
            throw CheckpointFileError.missing("\(configURL.path) (is \(path) a search run?)")
        }
        let configuration: SearchConfiguration
        do {
            configuration = try SearchJSON.decoder().decode(SearchConfiguration.self, from: configData)
        } catch {
            throw RunFolderError.damaged(configURL.path, "not a search configuration (\(JSONErrorReason.describe(error)))")
        }
        let engine = try SearchEngine(configuration: configuration, data: SearchData.load(configuration))
        let (checkpoint, warning) = try SearchCheckpoint.readLatest(from: folder)
        try engine.restore(checkpoint, path: folder.file(SearchCheckpoint.fileName).path)
        guard !engine.isComplete else {
            throw CheckpointFileError.mismatch(folder.url.path, "the search already finished all \(configuration.epochs) epochs; nothing to resume")
        }
        try MetricsFile.keepEpochs(through: engine.completedEpochs, in: folder)
        return SearchSession(engine: engine, folder: folder, resumedFromEpoch: engine.completedEpochs, checkpointWarning: warning)
    }

    public var configuration: SearchConfiguration { engine.configuration }

    /// Starts the search thread. `onEvent` runs on that thread after each event is logged.
    public func start(onEvent: @escaping @Sendable (EventRecord) -> Void) {
        let thread = Thread { [self] in
            let result = SearchRun(session: self, onEvent: onEvent).run()
            condition.lock()
            outcome = result
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "bnas-search"
        thread.stackSize = 64 << 20  // deep autograd graphs recurse in deinit
        self.thread = thread
        thread.start()
    }

    /// Queues a command; the engine takes it before its next minibatch step.
    public func send(_ command: SearchCommand) {
        condition.lock()
        pending.append(command)
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until the search thread has ended.
    public func waitUntilFinished() -> SearchOutcome {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return outcome ?? .failed("no outcome")
    }

    public var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return outcome != nil
    }

    /// The queued commands; with `waiting`, blocks until there is at least one.
    func takeCommands(waiting: Bool) -> [SearchCommand] {
        condition.lock()
        defer { condition.unlock() }
        while waiting && pending.isEmpty { condition.wait() }
        let taken = pending
        pending.removeAll()
        return taken
    }
}

/// `metrics.csv`: one row per completed epoch.
enum MetricsFile {
    static let name = "metrics.csv"
    static let header = "epoch,phase,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,surviving_operations,seconds,images_per_second"

    static func line(_ e: EpochEvent) -> String {
        [String(e.epoch), e.phase.rawValue, String(e.learningRate), String(e.trainLoss), String(e.trainAccuracy),
         e.validationLoss.map { String($0) } ?? "", e.validationAccuracy.map { String($0) } ?? "",
         String(e.survivingOperations), String(format: "%.3f", e.seconds), String(format: "%.1f", e.imagesPerSecond)]
            .joined(separator: ",")
    }

    /// Drops the rows of epochs after `epochs` (written by a process killed before its checkpoint).
    static func keepEpochs(through epochs: Int, in folder: RunFolder) throws {
        let url = folder.file(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        let rows = text.split(separator: "\n").dropFirst().filter { row in
            guard let epoch = Int(row.prefix { $0 != "," }) else { return false }
            return epoch <= epochs
        }
        try folder.write(Data(([header] + rows.map(String.init)).map { $0 + "\n" }.joined().utf8), to: name)
    }
}
