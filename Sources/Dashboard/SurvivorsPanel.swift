import Network
import Search

/// Surviving operations: per edge the ops still in the search space, and the op the genotype would take
/// from that edge now (★); narrow panels show the count instead of the names.
enum SurvivorsPanel {
    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState, view: ViewState) {
        let left = OperationKind.allCases.count * CellTopology.edgeCount
        let counts = CellType.allCases.map { cell in
            (0..<CellTopology.edgeCount).reduce(0) { $0 + state.survivors(cell: cell, edge: $1).count }
        }
        let inner = canvas.panel(rect, title: "surviving ops · normal \(counts[0])/\(left) · reduce \(counts[1])/\(left)")
        guard !inner.isEmpty else { return }
        let derived = Dictionary(state.derivedEdges(view.cell).map { ($0.edge, $0.operation) }, uniquingKeysWith: { a, _ in a })
        let wide = inner.width >= 8 + 8 * 5 + 8
        for edge in 0..<CellTopology.edgeCount {
            let y = inner.y + edge
            guard y < inner.maxY else { break }
            let survivors = state.survivors(cell: view.cell, edge: edge)
            var x = canvas.text(CellTopology.label(of: edge, arrow: canvas.glyphs.arrow).fitted(to: 8), x: inner.x, y: y,
                                style: canvas.style(.label), clip: inner)
            if wide {
                for op in survivors {
                    x = canvas.text(op.shortName + " ", x: x, y: y, style: canvas.style(.foreground, bold: op == derived[edge]), clip: inner)
                }
                x = inner.x + 8 + 8 * 5
            } else {
                x = canvas.text(String(survivors.count).leftPadded(to: 2) + " ", x: x, y: y, style: canvas.style(.foreground), clip: inner)
            }
            if let op = derived[edge] {
                canvas.text("\(canvas.glyphs.keptMark) \(op.shortName)", x: x, y: y, style: canvas.style(.ok, bold: true), clip: inner)
            }
        }
        let footerY = inner.y + CellTopology.edgeCount
        if footerY < inner.maxY {
            canvas.text("\(canvas.glyphs.keptMark) = the genotype derived now (\(view.cell.rawValue) cell)", x: inner.x, y: footerY,
                        style: canvas.style(.dim), clip: inner)
        }
    }
}
