import Foundation
import Testing

/// `bnas report` through the real binary: a real short search's report opened in headless Chromium, the
/// report of a training, and the one-line refusals.
@Suite(.serialized) struct ReportCommandTests {
    /// Every figure of a finished search's report.
    static let searchFigures = ["figure-loss", "figure-accuracy", "figure-alpha-normal", "figure-alpha-reduce", "figure-reductions",
                                "figure-cell-normal", "figure-cell-reduce", "figure-throughput", "figure-latency"]

    /// The `<figure>` with `id` in `html`, up to its end.
    static func figure(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: "<figure id=\"\(id)\"") else { return nil }
        return html[start.lowerBound...].range(of: "</figure>").map { String(html[start.lowerBound..<$0.upperBound]) }
    }

    /// Debian's chromium (scripts/setup.sh installs it); the test fails, saying so, when it is missing.
    static func chromium() throws -> URL {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        let found = folders.map { URL(fileURLWithPath: $0).appendingPathComponent("chromium") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "chromium is not installed: run scripts/setup.sh (it installs Debian's chromium for this test)")
    }

    /// Runs headless Chromium on `page` with `arguments` (--dump-dom, --screenshot=...); its stdout.
    static func chromium(_ arguments: [String], page: URL, profile: URL) throws -> String {
        let process = Process()
        process.executableURL = try chromium()
        // The README's command (as root Chromium needs --no-sandbox). A profile and a configuration folder of its
        // own keep the user's home untouched.
        process.arguments = ["--headless", "--no-sandbox", "--hide-scrollbars", "--user-data-dir=\(profile.path)"]
            + arguments + [page.absoluteString]
        process.environment = ProcessInfo.processInfo.environment.merging(["XDG_CONFIG_HOME": profile.path]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "chromium \(arguments) exited with \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }

    /// A real 4-epoch search on synthetic data (about 2 s), its report, and that report as Chromium renders it:
    /// every figure an SVG in the browser's DOM, and a screenshot that is neither blank nor a single colour.
    @Test func aSearchReportRendersInChromiumWithEveryFigure() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let search = try BNAS.run(SearchCommandTests.tiny(epochs: 4) + ["--run", "tiny"], in: directory)
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.hasSuffix("figures of the run: bnas report runs/tiny\n"), "\(search.stdout)")

        let report = try BNAS.run(["report", "runs/tiny"], in: directory)
        #expect(report.status == 0 && report.stderr.isEmpty, "\(report.stderr)")
        #expect(report.stdout == "runs/tiny/report.html\n")
        let page = directory.appendingPathComponent("runs/tiny/report.html")
        let html = try String(contentsOf: page, encoding: .utf8)
        for id in Self.searchFigures { #expect(Self.figure(id, in: html)?.contains("<svg") == true, "\(id) is missing or not drawn") }
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))

        let profile = directory.appendingPathComponent("chromium-profile")
        let dom = try Self.chromium(["--dump-dom"], page: page, profile: profile)
        for id in Self.searchFigures {
            let figure = Self.figure(id, in: dom)
            #expect(figure?.contains("<svg") == true, "Chromium's DOM has no drawing in \(id)")
        }
        #expect(dom.components(separatedBy: "<polyline").count > 100, "the DOM holds few lines")

        let screenshot = directory.appendingPathComponent("report.png")
        _ = try Self.chromium(["--window-size=1280,1900", "--screenshot=\(screenshot.path)"], page: page, profile: profile)
        let image = try PNGImage(try Data(contentsOf: screenshot))
        #expect(image.width == 1280 && image.height == 1900)
        let colours = image.colourCounts
        let white = colours[0xFFFFFF] ?? 0
        let pixels = image.width * image.height
        #expect(colours.count > 50, "\(colours.count) colours")
        #expect(white < pixels * 95 / 100 && white > pixels / 3, "\(white) of \(pixels) pixels are white")
    }

    @Test func withoutGraphvizAndWithDamagedFilesTheReportSaysSoInOneLine() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try BNAS.run(SearchCommandTests.tiny(epochs: 2) + ["--run", "short"], in: directory).status == 0)
        let run = directory.appendingPathComponent("runs/short")

        // No dot on PATH: the page without the cells, and one line saying why (named by the folder's name).
        let noDot = try BNAS.run(["report", "short"], in: directory, environment: ["PATH": "/nonexistent"])
        #expect(noDot.status == 0 && noDot.stdout == "runs/short/report.html\n", "\(noDot.stderr)")
        #expect(noDot.stderrLines == ["bnas: the cell graphs are left out: Graphviz's dot is not on PATH (scripts/setup.sh installs graphviz)"])
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Graphviz&#39;s dot is not on PATH") && !html.contains("figure-cell-normal"))
        #expect(Self.figure("figure-alpha-normal", in: html)?.contains("<svg") == true)

        // A damaged line in the middle: one line naming the file and the line; the old report stays.
        let log = run.appendingPathComponent("events.jsonl")
        var lines = try String(contentsOf: log, encoding: .utf8).components(separatedBy: "\n")
        lines[4] = "{\"type\": \"step\", \"t\": "
        try lines.joined(separator: "\n").write(to: log, atomically: true, encoding: .utf8)
        let damaged = try BNAS.run(["report", "runs/short"], in: directory)
        #expect(damaged.status == 1 && damaged.stderrLines.count == 1, "\(damaged.stderr)")
        #expect(damaged.stderr.hasPrefix("bnas: \(log.path) line 5 is not a bnas event"), "\(damaged.stderr)")
        #expect(try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8) == html)

        let missing = try BNAS.run(["report", "runs/nowhere"], in: directory)
        #expect(missing.status == 1 && missing.stderrLines == ["bnas: no run folder or experiment table 'runs/nowhere': "
                                                               + "pass runs/NAME, results/NAME.csv or an experiment table's name"])
    }

    /// A short training and its evaluation: curves, size and the bit path against the float path.
    @Test func aTrainingReportShowsCurvesSizeAndEvaluation() throws {
        let directory = try EvalCommandTests.trainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try BNAS.run(["report", "tiny"], in: directory)
        #expect(before.status == 0 && before.stdout == "runs/tiny/report.html\n", "\(before.stderr)")
        let page = directory.appendingPathComponent("runs/tiny/report.html")
        let trained = try String(contentsOf: page, encoding: .utf8)
        #expect(trained.contains("no evaluation.json"))
        #expect(try BNAS.run(["eval", "runs/tiny"], in: directory).status == 0)
        #expect(try BNAS.run(["report", "runs/tiny"], in: directory).status == 0)
        let html = try String(contentsOf: page, encoding: .utf8)
        for id in ["figure-loss", "figure-accuracy", "figure-evaluation"] {
            #expect(Self.figure(id, in: html)?.contains("<svg") == true, "\(id) is missing or not drawn")
        }
        for table in ["outcome-table", "size-table", "evaluation-table", "configuration-table"] { #expect(html.contains("<table id=\"\(table)\"")) }
        let results = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("runs/tiny/results.json"))) as? [String: Any])
        let binary = try #require(results["binaryParameters"] as? Int)
        #expect(html.contains("<tr><td>1-bit (binarized convolutions)</td><td class=\"num\">\(binary)</td></tr>"))
    }
}
