import ArgumentParser
import Foundation
import Report

/// `bnas report runs/NAME` or `bnas report results/NAME.csv`: a self-contained HTML page of figures.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report of figures and tables: runs/NAME/report.html for a run, results/NAME.html for an experiment table.",
        discussion: """
            A search's report draws the loss and accuracy, softmax(alpha) x beta of every operation on every edge, the \
            reduction timeline, the cells (with Graphviz's dot), the kernels' throughput and the configuration; a \
            training's its curves, size and bnas eval results; an experiment table's accuracy against 1-bit parameters. \
            The page needs no network and no script. A run still being written shows what exists so far.
            """)

    @Argument(help: "A run folder (runs/NAME), an experiment table (results/NAME.csv), or the name of either.")
    var target: String

    func run() throws {
        try reportingErrors {
            let resolved = try ReportTarget.resolve(target, runs: URL(fileURLWithPath: "runs"), results: URL(fileURLWithPath: "results"))
            for warning in try Report.write(resolved) { FileHandle.standardError.write(Data("bnas: \(warning)\n".utf8)) }
            print(Self.displayPath(resolved.output))
        }
    }

    /// `url` relative to the working directory when it lies inside it (as the user typed it), else absolute.
    static func displayPath(_ url: URL) -> String {
        let base = FileManager.default.currentDirectoryPath + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
