import Foundation
@testable import Search
import Testing
@testable import Dashboard

/// The recorded sample run (Fixtures/sample-run/events.jsonl: 4 epochs of 10 steps, one warm-up epoch,
/// a reduction step, a refused and an accepted veto, kernels, the final genotype) and text snapshots.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let sampleRun = directory.appendingPathComponent("sample-run")

    static func records() throws -> [EventRecord] { try EventLog.read(sampleRun.appendingPathComponent("events.jsonl")) }

    /// The state after the whole sample run.
    static func finishedState() throws -> DashboardState { DashboardState(runName: "sample-run", records: try records()) }

    /// The state in the middle of epoch 4 (after the reduction and the vetoes, before the end).
    static func runningState() throws -> DashboardState {
        let records = try records()
        let cut = records.firstIndex { if case .step(let step) = $0.event { return step.epoch == 4 && step.step == 5 }; return false }
        return DashboardState(runName: "sample-run", records: Array(records[...(cut ?? records.count - 1)]))
    }

    static let terminal = Theme.terminalDefault

    static func defaultTheme() throws -> Theme {
        try Theme.load(ThemeTests.themesDirectory.appendingPathComponent("default.theme"))
    }

    /// Compares `grid` with Fixtures/snapshots/NAME.txt; with BNAS_RECORD_SNAPSHOTS=1 (re)writes it instead.
    static func expectSnapshot(_ grid: CellGrid, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent("snapshots/\(name).txt")
        let text = grid.text + "\n"
        if ProcessInfo.processInfo.environment["BNAS_RECORD_SNAPSHOTS"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no snapshot \(name).txt: run with BNAS_RECORD_SNAPSHOTS=1 and review it", sourceLocation: sourceLocation)
            return
        }
        if expected != text {
            let lines = zip(expected.split(separator: "\n", omittingEmptySubsequences: false), text.split(separator: "\n", omittingEmptySubsequences: false))
            let first = lines.enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("\(name) differs from its snapshot at line \((first?.offset ?? 0) + 1):\nexpected: \(first?.element.0 ?? "")\nactual:   \(first?.element.1 ?? "")\n\(text)",
                         sourceLocation: sourceLocation)
        }
    }

    /// One panel drawn alone into a grid of its own size.
    static func panel(width: Int, height: Int, glyphs: GlyphSet = .braille, theme: Theme = terminal,
                      _ draw: (Canvas, Rect) -> Void) -> CellGrid {
        let canvas = Canvas(size: GridSize(width: width, height: height), theme: theme, glyphs: glyphs)
        draw(canvas, canvas.bounds)
        return canvas.grid
    }
}
