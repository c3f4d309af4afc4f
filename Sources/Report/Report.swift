import Foundation
import Network

/// What `bnas report` reports on.
public enum ReportTarget: Equatable, Sendable {
    /// A search run folder (it has events.jsonl).
    case searchRun(URL)
    /// A training run folder (config.json without events.jsonl).
    case trainingRun(URL)
    /// An experiment table, results/NAME.csv.
    case experimentTable(URL)

    /// `argument` as typed: a run folder, an experiment table's CSV, or the name of one under `runs` or
    /// under `results`.
    public static func resolve(_ argument: String, runs: URL, results: URL) throws -> ReportTarget {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) {
            let url = URL(fileURLWithPath: argument)
            if !isDirectory.boolValue {
                guard url.pathExtension == "csv" else { throw ReportError.notFound(argument) }
                return .experimentTable(url)
            }
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("events.jsonl").path) { return .searchRun(url) }
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) { return .trainingRun(url) }
            throw ReportError.unreadable(url.path, "not a bnas run folder: it has neither events.jsonl nor config.json")
        }
        guard !argument.isEmpty, !argument.contains("/") else { throw ReportError.notFound(argument) }
        let run = runs.appendingPathComponent(argument)
        if FileManager.default.fileExists(atPath: run.path) { return try resolve(run.path, runs: runs, results: results) }
        let table = results.appendingPathComponent(argument.hasSuffix(".csv") ? argument : argument + ".csv")
        if FileManager.default.fileExists(atPath: table.path) { return .experimentTable(table) }
        throw ReportError.notFound(argument)
    }

    /// Where the report goes: runs/NAME/report.html for a run, results/NAME.html beside a table.
    public var output: URL {
        switch self {
        case .searchRun(let folder), .trainingRun(let folder): return folder.appendingPathComponent("report.html")
        case .experimentTable(let table): return table.deletingPathExtension().appendingPathExtension("html")
        }
    }
}

/// `bnas report`: one self-contained HTML file of figures and tables from the files a run or an experiment
/// already wrote (docs/design.md#run-folder); nothing else is read and nothing else is written.
public enum Report {
    /// The page of `target`, and what it had to leave out for want of a tool (one line each).
    public static func page(_ target: ReportTarget, graphviz: Graphviz) throws -> (html: String, warnings: [String]) {
        switch target {
        case .searchRun(let folder):
            let report = try SearchReport.read(folder: folder, graphviz: graphviz)
            return (report.html, report.warnings)
        case .trainingRun(let folder):
            return (try TrainingReport.read(folder: folder).html, [])
        case .experimentTable(let table):
            return (try ExperimentTableReport.read(table).html(path: table.path), [])
        }
    }

    /// Writes the page of `target` to `target.output` (replacing an older report at once) and returns the
    /// warnings.
    @discardableResult
    public static func write(_ target: ReportTarget, graphviz: Graphviz = Graphviz()) throws -> [String] {
        let (html, warnings) = try page(target, graphviz: graphviz)
        try AtomicFile.write(Data(html.utf8), to: target.output)
        return warnings
    }
}
