/// Where each panel goes for a terminal size: everything at 120x36 and above; at 80x24 the heat map,
/// the survivors (as counts), compact curves and kernels; below 80x24 only a message.
struct DashboardLayout: Equatable {
    static let minimum = GridSize(width: 80, height: 24)

    var alpha: Rect
    var survivors: Rect
    var history: Rect?
    var curves: Rect
    var kernels: Rect
    var status: Rect
    /// The whole area above the status bar (the inspect view uses it).
    var body: Rect

    /// The layout for `size`, nil when the terminal is smaller than `minimum`.
    init?(size: GridSize) {
        guard size.width >= Self.minimum.width, size.height >= Self.minimum.height else { return nil }
        let screen = Rect(x: 0, y: 0, width: size.width, height: size.height)
        let (body, status) = screen.splitTop(size.height - 1)
        (self.body, self.status) = (body, status)
        let (top, bottom) = body.splitTop(AlphaHeatMap.height)
        (alpha, survivors) = top.splitLeft(AlphaHeatMap.width)
        let sideWidth = 58
        if bottom.height >= 14, bottom.width >= AlphaHeatMap.width + sideWidth {
            let (left, side) = bottom.splitLeft(bottom.width - sideWidth)
            curves = left
            let (kernelRect, historyRect) = side.splitTop(min(9, side.height - 5))
            (kernels, history) = (kernelRect, historyRect)
        } else {
            (curves, kernels) = bottom.splitLeft(bottom.width - 30)
            history = nil
        }
    }
}

/// Draws a whole frame from the two states: the panels, or the inspect view, the help overlay, or the
/// "terminal too small" message.
public enum DashboardRenderer {
    package static func render(state: DashboardState, view: ViewState, theme: Theme, size: GridSize, elapsed: Double) -> CellGrid {
        let canvas = Canvas(size: size, theme: theme, glyphs: view.glyphs)
        guard let layout = DashboardLayout(size: size) else {
            drawTooSmall(canvas, size: size)
            return canvas.grid
        }
        if view.mode == .inspect {
            InspectView.draw(canvas, in: layout.body, state: state, view: view)
        } else {
            AlphaHeatMap.draw(canvas, in: layout.alpha, state: state, view: view)
            SurvivorsPanel.draw(canvas, in: layout.survivors, state: state, view: view)
            if let history = layout.history { HistoryPanel.draw(canvas, in: history, state: state, view: view) }
            CurvesPanel.draw(canvas, in: layout.curves, state: state, view: view)
            KernelsPanel.draw(canvas, in: layout.kernels, state: state)
        }
        StatusBar.draw(canvas, in: layout.status, state: state, view: view, elapsed: elapsed)
        if view.mode == .help { HelpOverlay.draw(canvas, in: layout.body, context: view.context) }
        return canvas.grid
    }

    static func drawTooSmall(_ canvas: Canvas, size: GridSize) {
        let minimum = DashboardLayout.minimum
        let lines = ["terminal too small: \(size.width)x\(size.height)", "bnas needs at least \(minimum.width)x\(minimum.height)",
                     "enlarge the window, or q to quit"]
        let top = max(0, (size.height - lines.count) / 2)
        for (index, line) in lines.enumerated() {
            let text = line.count > size.width ? String(line.prefix(size.width)) : line
            canvas.text(text, x: max(0, (size.width - text.count) / 2), y: top + index,
                        style: canvas.style(index == 0 ? .warning : .foreground, bold: index == 0), clip: canvas.bounds)
        }
    }
}
