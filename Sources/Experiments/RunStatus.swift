import Foundation
import Network
import Search

/// Where a planned run stands on disk.
public enum RunStatus: Equatable, Sendable {
    /// Finished with the planned configuration: reused as it is.
    case done
    /// Started with the planned configuration and not finished (what is done, e.g. "2 of 5 epochs"):
    /// continued from its checkpoint.
    case partial(String)
    /// No run folder yet.
    case todo
    /// The folder holds something else (another configuration, another kind of run, a run that cannot
    /// continue): refused, never reused or overwritten. The reason is one line.
    case refused(String)
    /// The run needs `bnas train` arguments this build cannot express (`PlannedRun.unwiredArguments`):
    /// never started. The arguments, space-separated.
    case notWired(String)

    /// `done`, `partial (…)`, `todo`, `refused: …` or `not wired: …`, as `--list` prints it.
    public var label: String {
        switch self {
        case .done: return "done"
        case .partial(let progress): return "partial (\(progress))"
        case .todo: return "todo"
        case .refused(let reason): return "refused: \(reason)"
        case .notWired(let arguments): return "not wired: needs \(arguments), which this build does not have"
        }
    }
}

public struct ExperimentError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Reads a run folder to tell whether it is done, partial, missing or not the planned run.
enum RunInspection {
    /// The files that say a training run is complete: its results, its model, and the bit-path measurement.
    static let trainOutputs = ["results.json", "model.bnn", ModelEvaluation.fileName]

    static func status(of run: PlannedRun, root: URL) -> RunStatus {
        if !run.unwiredArguments.isEmpty { return .notWired(run.unwiredArguments.joined(separator: " ")) }
        let folder = root.appendingPathComponent(run.name)
        guard FileManager.default.fileExists(atPath: folder.path) else { return .todo }
        let config = folder.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: config.path) else {
            return .refused("\(folder.path) exists but has no config.json: move it away, this experiment will not overwrite it")
        }
        switch run.work {
        case .search(let planned):
            guard let found = try? SearchJSON.decoder().decode(SearchConfiguration.self, from: data) else {
                return .refused("\(config.path) is not a search configuration: move \(folder.path) away")
            }
            if let difference = differences(found, planned, ignoring: "dataDirectory") { return mismatch(folder, difference) }
            return searchStatus(folder)
        case .train(let planned, let search):
            guard let found = try? JSONDecoder().decode(TrainingConfiguration.self, from: data) else {
                return .refused("\(config.path) is not a training configuration: move \(folder.path) away")
            }
            if let difference = differences(found, planned, ignoring: "dataDirectory") { return mismatch(folder, difference) }
            return trainStatus(folder, search: search.map { root.appendingPathComponent($0) })
        }
    }

    static func mismatch(_ folder: URL, _ difference: String) -> RunStatus {
        .refused("\(folder.path) was run with another configuration (\(difference)): move it away or pick the other size")
    }

    /// A search is done when its log ends with a `finished` event that was not a stop.
    static func searchStatus(_ folder: URL) -> RunStatus {
        let events = (try? EventLog.read(folder.appendingPathComponent("events.jsonl"))) ?? []
        if let finished = searchFinish(events), !finished.stopped,
           FileManager.default.fileExists(atPath: folder.appendingPathComponent("genotype.json").path) {
            return .done
        }
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoint").path)
            || FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoint.previous").path) else {
            return .refused("\(folder.path) has no checkpoint to continue from: move it away to search again")
        }
        let epochs = events.reduce(0) { count, record in
            if case .checkpoint(let checkpoint) = record.event { return checkpoint.epoch }
            return count
        }
        let total = events.compactMap { record -> Int? in
            if case .runStarted(let started) = record.event { return started.configuration.epochs }
            return nil
        }.last
        return .partial("\(epochs) of \(total.map(String.init) ?? "?") epochs")
    }

    static func searchFinish(_ events: [EventRecord]) -> FinishedEvent? {
        guard let last = events.last, case .finished(let finished) = last.event else { return nil }
        return finished
    }

    /// A training is done when results, model and measurement are there; a training of a searched
    /// genotype must also have trained the genotype its search found.
    static func trainStatus(_ folder: URL, search: URL?) -> RunStatus {
        let present = trainOutputs.map { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        if let search, present[0] {
            let trained = try? JSONDecoder().decode(TrainingResults.self, from: Data(contentsOf: folder.appendingPathComponent("results.json")))
            let found = try? Genotype.resolve(search.appendingPathComponent("genotype.json").path)
            if trained?.genotype != found {
                return .refused("\(folder.path) trained another genotype than \(search.path)/genotype.json: move it away to train the new one")
            }
        }
        if present.allSatisfy({ $0 }) { return .done }
        if present[0] && present[1] { return .partial("trained, not measured") }
        let lines = ((try? String(contentsOf: folder.appendingPathComponent("metrics.csv"), encoding: .utf8)) ?? "").split(separator: "\n")
        let epochs = max(0, lines.count - 1)
        return .partial("\(epochs) epoch\(epochs == 1 ? "" : "s") trained")
    }

    /// The first fields in which two configurations differ, as "epochs 8, not 20", or nil when they agree.
    static func differences<T: Encodable>(_ found: T, _ planned: T, ignoring ignored: String) -> String? {
        func fields(_ value: T) -> [String: String] {
            guard let data = try? JSONEncoder().encode(value),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.mapValues { "\($0)" }
        }
        let (have, want) = (fields(found), fields(planned))
        let keys = Set(have.keys).union(want.keys).subtracting([ignored]).sorted()
        let differing = keys.filter { have[$0] != want[$0] }
        guard !differing.isEmpty else { return nil }
        return differing.prefix(3).map { "\($0) \(have[$0] ?? "unset"), not \(want[$0] ?? "unset")" }.joined(separator: "; ")
    }
}
