import Benchmarks
import Foundation
import Network
@testable import Report
@testable import Search
import Testing

/// Whole pages from run folders: every figure present, the size bounded, nothing fetched, and damaged,
/// truncated or missing files named or worked around.
struct ReportPageTests {
    /// The ids of the search report's figures, each an SVG when the run has finished.
    static let searchFigures = ["figure-loss", "figure-accuracy", "figure-alpha-normal", "figure-alpha-reduce", "figure-reductions",
                                "figure-cell-normal", "figure-cell-reduce", "figure-throughput", "figure-latency"]

    /// The markup of the `<figure>` with `id`, or nil.
    static func figure(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: "<figure id=\"\(id)\"") else { return nil }
        return html[start.lowerBound...].range(of: "</figure>").map { String(html[start.lowerBound..<$0.upperBound]) }
    }

    static func graphviz() throws -> Graphviz {
        let graphviz = Graphviz()
        try #require(graphviz.executable != nil, "Graphviz's dot is not installed: run scripts/setup.sh")
        return graphviz
    }

    @Test func aSearchReportHasEveryFigureAsInlineSVGAndFetchesNothing() throws {
        let folder = try SampleFolder.make()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().deletingLastPathComponent()) }
        let (html, warnings) = try Report.page(.searchRun(folder), graphviz: try Self.graphviz())
        #expect(warnings.isEmpty)
        for id in Self.searchFigures {
            let figure = try #require(Self.figure(id, in: html), "no \(id)")
            #expect(figure.contains("<svg"), "\(id) has no drawing")
        }
        // Small multiples: 14 panels per cell; the cells as Graphviz drew them, their ids kept apart.
        #expect(try #require(Self.figure("figure-alpha-normal", in: html)).components(separatedBy: "class=\"chart panel\"").count == 15)
        #expect(try #require(Self.figure("figure-cell-reduce", in: html)).contains("id=\"reduce-graph0\""))
        for table in ["outcome-table", "configuration-table"] { #expect(html.contains("<table id=\"\(table)\"")) }
        #expect(html.contains("policy performance, 20 epochs (5 warm-up)"))
        // One file, nothing to fetch: no script, no external link or source.
        for forbidden in ["<script", "src=", "href=", "@import", "url("] { #expect(!html.contains(forbidden), "\(forbidden)") }
        // 20 epochs of 40 steps: each curve is thinned to the limit.
        let curves = try #require(Self.figure("figure-loss", in: html))
        for polyline in SVGTests.elements("polyline", in: curves) {
            #expect(polyline.components(separatedBy: ",").count - 1 <= SearchReport.stepPoints + 2)
        }
    }

    @Test func withoutDotTheReportSaysWhyInOneLineAndDrawsTheRest() throws {
        let folder = try SampleFolder.make()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().deletingLastPathComponent()) }
        let (html, warnings) = try Report.page(.searchRun(folder), graphviz: Graphviz(searchPath: "/nonexistent"))
        #expect(warnings == [Graphviz.missingReason])
        #expect(html.components(separatedBy: Markup.escape(Graphviz.missingReason)).count == 2)
        #expect(Self.figure("figure-cell-normal", in: html) == nil && Self.figure("figure-cell-reduce", in: html) == nil)
        #expect(Self.figure("figure-alpha-reduce", in: html)?.contains("<svg") == true)
    }

    /// The default search's size: 20 epochs of 156 steps, alpha every 10 steps, kernels every 2 s.
    @Test func aReportOfAFullSizeSearchStaysUnderTwoMegabytes() throws {
        let folder = try SampleFolder.make(records: try SampleRun.records(epochs: 20, warmupEpochs: 5, stepsPerEpoch: 156))
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().deletingLastPathComponent()) }
        let (html, _) = try Report.page(.searchRun(folder), graphviz: Graphviz(searchPath: ""))
        #expect(html.utf8.count < 2_000_000, "\(html.utf8.count) bytes")
        let panel = try #require(Self.figure("figure-alpha-normal", in: html).map { SVGTests.elements("polyline", in: $0) })
        #expect(panel.allSatisfy { $0.components(separatedBy: " ").count <= SearchReport.alphaPoints + 12 })
    }

    @Test func aRunStillBeingWrittenShowsWhatExistsSoFar() throws {
        let records = try SampleRun.records(epochs: 4, warmupEpochs: 1, stepsPerEpoch: 10)
        let folder = try SampleFolder.make(records: records)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().deletingLastPathComponent()) }
        for cell in CellType.allCases { try FileManager.default.removeItem(at: folder.appendingPathComponent("\(cell.rawValue).dot")) }
        // A line cut in the middle of its write.
        let log = folder.appendingPathComponent("events.jsonl")
        var data = try Data(contentsOf: log)
        data.append(Data(#"{"epoch":5,"epochs":4,"#.utf8))
        try data.write(to: log)
        let (html, _) = try Report.page(.searchRun(folder), graphviz: try Self.graphviz())
        #expect(html.contains("not finished (still running, or killed)"))
        #expect(Self.figure("figure-loss", in: html)?.contains("<svg") == true)
        #expect(Self.figure("figure-cell-normal", in: html)?.contains("no normal.dot yet") == true)

        // Before the first event: the configuration and a note.
        try Data().write(to: log)
        let (empty, _) = try Report.page(.searchRun(folder), graphviz: try Self.graphviz())
        #expect(empty.contains("events.jsonl holds no event yet") && empty.contains("<table id=\"configuration-table\""))
    }

    @Test func damagedFilesAreNamedInOneLine() throws {
        let folder = try SampleFolder.make(records: try SampleRun.records(epochs: 3, warmupEpochs: 1, stepsPerEpoch: 10))
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().deletingLastPathComponent()) }
        let log = folder.appendingPathComponent("events.jsonl")
        let original = try Data(contentsOf: log)
        var lines = original.split(separator: 0x0A, omittingEmptySubsequences: false)
        lines[2] = Data("{\"type\":\"step\",\"t\":1,\"epoch\":".utf8)[...]
        try Data(lines.joined(separator: [0x0A])).write(to: log)
        do {
            _ = try Report.page(.searchRun(folder), graphviz: Graphviz(searchPath: ""))
            Issue.record("a damaged events.jsonl was read")
        } catch let error as EventLogError {
            guard case .malformed(let path, let line, _) = error else { Issue.record("\(error)"); return }
            #expect(path == log.path && line == 3)
        }
        try original.write(to: log)
        let config = folder.appendingPathComponent("config.json")
        try Data("{\"epochs\": 2".utf8).write(to: config)
        do {
            _ = try Report.page(.searchRun(folder), graphviz: Graphviz(searchPath: ""))
            Issue.record("a damaged config.json was read")
        } catch let error as ReportError {
            #expect("\(error)".hasPrefix("\(config.path) is damaged: not a JSON object"), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
        try Data("digraph {".utf8).write(to: folder.appendingPathComponent("reduce.dot"))
        try SearchJSON.encoder().encode(SearchConfiguration()).write(to: config)
        do {
            _ = try Report.page(.searchRun(folder), graphviz: try Self.graphviz())
            Issue.record("a damaged reduce.dot was drawn")
        } catch let error as ReportError {
            #expect("\(error)".hasPrefix("\(folder.appendingPathComponent("reduce.dot").path) is damaged: Graphviz cannot draw it"), "\(error)")
        }
    }
}
