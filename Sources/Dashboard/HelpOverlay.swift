/// The `?` overlay: every binding of the key table that does something here, with what it does.
enum HelpOverlay {
    static func draw(_ canvas: Canvas, in bounds: Rect, context: DashboardContext) {
        let bindings = KeyBindings.bindings(in: context)
        let labelWidth = (bindings.map(\.label.count).max() ?? 4) + 2
        let lines = bindings.map { $0.label.fitted(to: labelWidth) + ($0.summary(in: context) ?? "") }
        let width = min(bounds.width, (lines.map(\.count).max() ?? 20) + 4)
        let height = min(bounds.height, lines.count + 4)
        let rect = bounds.centred(width: width, height: height)
        let inner = canvas.panel(rect, title: context == .live ? "keys" : "keys · replay")
        for (index, binding) in bindings.enumerated() where inner.y + index < inner.maxY {
            let y = inner.y + index
            canvas.text(binding.label.fitted(to: labelWidth), x: inner.x + 1, y: y, style: canvas.style(.cursor, bold: true), clip: inner)
            canvas.text(binding.summary(in: context) ?? "", x: inner.x + 1 + labelWidth, y: y, style: canvas.style(.foreground), clip: inner)
        }
        if inner.height > bindings.count + 1 {
            canvas.text("esc or ? closes", x: inner.x + 1, y: inner.maxY - 1, style: canvas.style(.dim), clip: inner)
        }
    }
}
