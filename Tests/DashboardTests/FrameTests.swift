import Foundation
import Network
@testable import Search
import Testing
@testable import Dashboard

/// Whole frames: the layouts at 120x36 and 80x24, the too-small message, the help overlay, the inspect
/// view, and a resize through the app loop.
struct FrameTests {
    static func frame(_ state: DashboardState, _ view: ViewState, _ width: Int, _ height: Int) -> CellGrid {
        DashboardRenderer.render(state: state, view: view, theme: Fixtures.terminal, size: GridSize(width: width, height: height), elapsed: 75)
    }

    @Test func everyPanelShowsAt120x36() throws {
        let grid = Self.frame(try Fixtures.runningState(), ViewState(context: .live), 120, 36)
        try Fixtures.expectSnapshot(grid, "frame-120x36")
        for title in ["α normal cell", "surviving ops", "curves", "kernels", "reductions, vetoes and genotype", "acc  "] {
            #expect(grid.text.contains(title), "\(title) missing")
        }
        #expect(grid.row(35).contains("SEARCH"))
    }

    @Test func aReadableArrangementAt80x24() throws {
        let grid = Self.frame(try Fixtures.runningState(), ViewState(context: .live), 80, 24)
        try Fixtures.expectSnapshot(grid, "frame-80x24")
        for title in ["α normal cell", "surviving ops", "curves", "kernels"] { #expect(grid.text.contains(title), "\(title) missing") }
        #expect(grid.row(23).contains("? help"))
    }

    @Test func belowTheMinimumACentredMessage() throws {
        let grid = Self.frame(try Fixtures.runningState(), ViewState(context: .live), 70, 20)
        try Fixtures.expectSnapshot(grid, "too-small")
        let row = try #require((0..<20).first { grid.row($0).contains("terminal too small: 70x20") })
        #expect(row == 8 || row == 9, "vertically centred")
        let column = try #require(grid.column(of: "terminal too small", inRow: row))
        #expect(abs(column - (70 - "terminal too small: 70x20".count) / 2) <= 1, "horizontally centred")
        #expect(grid.text.contains("at least 80x24"))
    }

    @Test func helpOverlayListsTheKeyTable() throws {
        var view = ViewState(context: .live)
        view.mode = .help
        let grid = Self.frame(try Fixtures.runningState(), view, 120, 36)
        try Fixtures.expectSnapshot(grid, "help-live")
        #expect(grid.text.contains("keys"))
        #expect(!grid.text.contains("play faster"), "replay-only keys are not offered live")
    }

    @Test func inspectDrawsTheCellAsAGraph() throws {
        var view = ViewState(context: .live)
        view.mode = .inspect
        let state = try Fixtures.runningState()
        let grid = Self.frame(state, view, 120, 36)
        try Fixtures.expectSnapshot(grid, "inspect-normal")
        #expect(grid.row(1).contains("c-2  c-1"))
        let edgeRows = (0..<36).filter { grid.row($0).contains("▶") }
        #expect(edgeRows.count == 14, "one arrow per edge")
        for node in 0..<3 { #expect(grid.text.contains("│    n\(node)") || grid.text.contains(" n\(node) ")) }
        let derived = state.derivedEdges(.normal)
        #expect(edgeRows.filter { grid.row($0).contains("★") }.count == derived.count, "★ on the derived edges only")
        #expect(grid.text.contains("cell output = concat(n0, n1, n2, n3)"))
        let vetoedRow = try #require(edgeRows.first { grid.row($0).contains("n1 ★ n0") || grid.row($0).contains("n1   n0") })
        #expect(!grid.row(vetoedRow).contains("max3"), "the vetoed max3 of n0→n1 is not drawn as surviving")
    }

    @Test func theInspectViewHasAnASCIIFallback() throws {
        var view = ViewState(context: .live)
        (view.mode, view.glyphs) = (.inspect, .ascii)
        let grid = Self.frame(try Fixtures.runningState(), view, 80, 24)
        try Fixtures.expectSnapshot(grid, "inspect-ascii-80x24")
        #expect(grid.text.unicodeScalars.allSatisfy { $0.isASCII || "αβ·".unicodeScalars.contains($0) })
    }

    @Test func theAppLoopRelaysOutAfterAResize() throws {
        let screen = try MemoryScreen(size: GridSize(width: 120, height: 36))
        var frames: [CellGrid] = []
        screen.onPresent = { grid in
            frames.append(grid)
            if frames.count == 1 {
                screen.size = GridSize(width: 80, height: 24)
                screen.type("g")
            } else if frames.count == 2 {
                screen.type("q")
            }
        }
        let player = try ReplayPlayer(url: Fixtures.sampleRun.appendingPathComponent("events.jsonl"), speed: nil)
        let wake = try WakePipe()
        let app = DashboardApp(runName: "sample-run", screen: screen, themes: ThemeCatalog(themes: []), glyphs: .braille, wake: wake,
                               inbox: EventInbox(wake: wake), replay: player, send: { _ in })
        #expect(app.run() == 0)
        #expect(frames.count >= 2)
        #expect(frames.first?.size == GridSize(width: 120, height: 36))
        let resized = try #require(frames.last)
        #expect(resized.size == GridSize(width: 80, height: 24))
        #expect(resized.text.contains("curves · block (g)"), "g switched to block glyphs")
        #expect(resized.row(23).contains("FINISHED"))
    }
}
