import Network
@testable import Search
import Testing
@testable import Dashboard

/// Each panel rendered from the sample run's events, compared as text (ratatui TestBackend style),
/// plus the facts a snapshot could hide: styles of removed, vetoed and cursor cells.
struct PanelTests {
    @Test func alphaHeatMap() throws {
        let state = try Fixtures.runningState()
        var view = ViewState(context: .live)
        (view.cursorEdge, view.cursorOperation) = (2, .dilConv3x3)
        let grid = Fixtures.panel(width: AlphaHeatMap.width, height: AlphaHeatMap.height) { AlphaHeatMap.draw($0, in: $1, state: state, view: view) }
        try Fixtures.expectSnapshot(grid, "alpha-normal")
        #expect(grid.row(0).contains("α normal cell"))
        #expect(grid.row(2 + 4).contains("✗"), "n0→n1 max3 was vetoed")
        #expect(grid.row(AlphaHeatMap.height - 2).contains("c-2→n1 dil_conv_3x3  α 0."))
        let cursorColumn = 1 + AlphaHeatMap.labelWidth + 6 * AlphaHeatMap.columnWidth
        #expect(grid[cursorColumn, 2 + 2].style.reverse, "the cursor cell is drawn reversed")
        let removed = try #require(grid.column(of: "·r1", inRow: 2 + 0))
        #expect(grid[removed, 2].style.dim, "removed ops are dimmed")

        view.cell = .reduce
        let reduce = Fixtures.panel(width: AlphaHeatMap.width, height: AlphaHeatMap.height) { AlphaHeatMap.draw($0, in: $1, state: state, view: view) }
        try Fixtures.expectSnapshot(reduce, "alpha-reduce")
        #expect(reduce.row(0).contains("α reduction cell"))
    }

    @Test func heatMapColoursComeFromTheThemeGradient() throws {
        let state = try Fixtures.runningState()
        let theme = try Fixtures.defaultTheme()
        let view = ViewState(context: .live)
        let grid = Fixtures.panel(width: AlphaHeatMap.width, height: AlphaHeatMap.height, theme: theme) { AlphaHeatMap.draw($0, in: $1, state: state, view: view) }
        let row = 2 + 1, values = (0..<8).map { 1 + AlphaHeatMap.labelWidth + $0 * AlphaHeatMap.columnWidth }
        let backgrounds = values.compactMap { grid[$0, row].style.background }
        #expect(backgrounds.contains(try #require(theme[.gradientHigh])), "the row's largest alpha takes the gradient's top colour")
        #expect(Set(backgrounds).count > 2)
    }

    @Test func survivorsAndHistory() throws {
        let state = try Fixtures.runningState()
        let view = ViewState(context: .live)
        let survivors = Fixtures.panel(width: 64, height: 18) { SurvivorsPanel.draw($0, in: $1, state: state, view: view) }
        try Fixtures.expectSnapshot(survivors, "survivors")
        #expect(survivors.row(0).contains("normal 97/112"), "14 reduced + 1 vetoed of 112 in the normal cell: \(survivors.row(0))")
        let narrow = Fixtures.panel(width: 24, height: 18) { SurvivorsPanel.draw($0, in: $1, state: state, view: view) }
        try Fixtures.expectSnapshot(narrow, "survivors-narrow")

        let history = Fixtures.panel(width: 100, height: 9) { HistoryPanel.draw($0, in: $1, state: state, view: view) }
        try Fixtures.expectSnapshot(history, "history")
        #expect(history.text.contains("reduction 1 (performance): -28 ops"))
        #expect(history.text.contains("refused: the last real operation"))
        #expect(history.text.contains("genotype derived now:"))
        let finishedState = try Fixtures.finishedState()
        let finished = Fixtures.panel(width: 90, height: 9) { HistoryPanel.draw($0, in: $1, state: finishedState, view: view) }
        #expect(finished.text.contains("final genotype:"))
    }

    @Test(arguments: GlyphSet.allCases) func curves(glyphs: GlyphSet) throws {
        let state = try Fixtures.runningState()
        var view = ViewState(context: .live)
        view.glyphs = glyphs
        let grid = Fixtures.panel(width: 70, height: 14, glyphs: glyphs) { CurvesPanel.draw($0, in: $1, state: state, view: view) }
        try Fixtures.expectSnapshot(grid, "curves-\(glyphs.rawValue)")
        for label in ["loss  ", "acc  ", "train", "val", "100%", "0%", "35 steps"] {
            #expect(grid.text.contains(label), "\(label) missing")
        }
    }

    @Test func kernelsAndStatusBar() throws {
        let state = try Fixtures.runningState()
        let kernels = Fixtures.panel(width: 58, height: 10) { KernelsPanel.draw($0, in: $1, state: state) }
        try Fixtures.expectSnapshot(kernels, "kernels")
        #expect(kernels.text.contains("12.5 Gbit-ops/s"), "2 x 6.24e9 binary MACs/s")
        #expect(kernels.text.contains("ratio 3.0x"))
        #expect(kernels.text.contains("sep3      0.210     0.950      4.5x"))

        let view = ViewState(context: .live)
        let status = Fixtures.panel(width: 120, height: 1) { StatusBar.draw($0, in: $1, state: state, view: view, elapsed: 75) }
        try Fixtures.expectSnapshot(status, "status-running")
        for part in ["sample-run", "SEARCH", "ep 4/4 step 5/10", "88%", "1:15", "~0:11 left", "? help", "q quit"] {
            #expect(status.text.contains(part), "\(part) missing from \(status.text)")
        }
        let narrow = Fixtures.panel(width: 80, height: 1) { StatusBar.draw($0, in: $1, state: state, view: view, elapsed: 75) }
        #expect(narrow.text.contains("? help") && narrow.text.contains("q quit"), "help and quit always fit: \(narrow.text)")
    }

    @Test func statusBarPhases() throws {
        let records = try Fixtures.records()
        func phase(after count: Int) -> DashboardState.Phase { DashboardState(runName: "r", records: Array(records.prefix(count))).phase }
        #expect(phase(after: 1) == .starting)
        #expect(phase(after: 2) == .warmup)
        let reductionEpoch = try #require(records.firstIndex { if case .epoch(let e) = $0.event { return e.epoch == 3 }; return false })
        #expect(phase(after: reductionEpoch + 1) == .reduction, "between the epoch event and the reduction event")
        #expect(phase(after: reductionEpoch + 3) == .reduction || phase(after: reductionEpoch + 3) == .search)
        #expect(phase(after: records.count) == .finished)
        var paused = try Fixtures.runningState()
        paused.apply(EventRecord(t: 80, event: .paused(PositionEvent(epoch: 4, step: 5))))
        #expect(paused.phase == .paused)
        paused.apply(EventRecord(t: 81, event: .error(ErrorEvent(message: "the loss became NaN"))))
        #expect(paused.phase == .error)
    }
}
