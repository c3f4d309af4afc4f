import Network
import Search

/// The α heat map: the 14 edges of one cell type by the 8 operations, softmax(alpha) coloured by the
/// theme's gradient, β per edge, the value under the cursor; removed ops dimmed with the reduction that
/// took them, vetoed ops marked.
enum AlphaHeatMap {
    static let labelWidth = 8
    static let columnWidth = 5
    /// Columns the panel needs: border, labels, 8 ops, β.
    static let width = 2 + labelWidth + 8 * columnWidth + 6
    /// Rows the panel needs: border, header, 14 edges, cursor line.
    static let height = 2 + 1 + CellTopology.edgeCount + 1

    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState, view: ViewState) {
        let cellName = view.cell == .normal ? "normal" : "reduction"
        let inner = canvas.panel(rect, title: "α \(cellName) cell · tab switches")
        guard !inner.isEmpty else { return }
        let label = canvas.style(.label), dim = canvas.style(.dim)
        var x = inner.x + labelWidth
        for op in OperationKind.allCases {
            canvas.text(op.shortName, x: x, y: inner.y, style: label, clip: inner)
            x += columnWidth
        }
        canvas.text("  β", x: x, y: inner.y, style: label, clip: inner)
        let derived = Dictionary(state.derivedEdges(view.cell).map { ($0.edge, $0.operation) }, uniquingKeysWith: { a, _ in a })
        for edge in 0..<CellTopology.edgeCount {
            let y = inner.y + 1 + edge
            guard y < inner.maxY else { break }
            let mark = derived[edge] != nil ? String(canvas.glyphs.keptMark) : " "
            canvas.text(CellTopology.label(of: edge, arrow: canvas.glyphs.arrow) + mark, x: inner.x, y: y, style: label, clip: inner)
            drawRow(canvas, edge: edge, y: y, inner: inner, state: state, view: view, derived: derived[edge])
            let beta = state.betaValue(cell: view.cell, edge: edge).map(Format.probability) ?? "  - "
            canvas.text(" " + beta, x: inner.x + labelWidth + 8 * columnWidth, y: y, style: canvas.style(.accent), clip: inner)
        }
        let infoY = inner.y + 1 + CellTopology.edgeCount
        if infoY < inner.maxY {
            canvas.text(cursorLine(state: state, view: view), x: inner.x, y: infoY, style: dim, clip: inner)
        }
    }

    private static func drawRow(_ canvas: Canvas, edge: Int, y: Int, inner: Rect, state: DashboardState, view: ViewState,
                                derived: OperationKind?) {
        let refs = OperationKind.allCases.map { OperationRef(cell: view.cell, edge: edge, operation: $0) }
        let rowMax = refs.compactMap(state.alphaValue).max() ?? 1
        for (column, op) in refs.enumerated() {
            let x = inner.x + labelWidth + column * columnWidth
            var style: Style
            let text: String
            if let removal = state.removals[op] {
                switch removal {
                case .reduction(let index, _, _):
                    text = "\(canvas.glyphs.removedMark)r\(index)"
                    style = canvas.style(.dim, dim: true)
                case .veto:
                    text = " \(canvas.glyphs.vetoMark) "
                    style = canvas.style(.veto, bold: true)
                }
            } else if let value = state.alphaValue(op) {
                text = Format.probability(value)
                style = canvas.style(.foreground, bold: op.operation == derived)
                if let background = canvas.theme.gradient(rowMax > 0 ? value / rowMax : 0) {
                    style.background = background
                    style.foreground = readableForeground(on: background)
                }
            } else {
                text = state.alpha[view.cell] == nil ? "  - " : " \(canvas.glyphs.removedMark)  "
                style = canvas.style(.dim, dim: true)
            }
            if op == view.cursor, view.mode != .inspect {
                style.reverse = true
                style.bold = true
            }
            canvas.text(text.fitted(to: columnWidth - 1), x: x, y: y, style: style, clip: inner)
        }
    }

    /// Black or white, whichever reads better on `background`.
    static func readableForeground(on background: RGB) -> RGB {
        let luminance = 0.299 * Double(background.red) + 0.587 * Double(background.green) + 0.114 * Double(background.blue)
        return luminance > 140 ? RGB(red: 0, green: 0, blue: 0) : RGB(red: 255, green: 255, blue: 255)
    }

    /// The line under the table: the op under the cursor with its α, β and α·β, or why it is gone.
    static func cursorLine(state: DashboardState, view: ViewState) -> String {
        let op = view.cursor
        let name = "\(CellTopology.label(of: op.edge, arrow: view.glyphs.arrow)) \(op.operation.rawValue)"
        switch state.removals[op] {
        case .reduction(let index, let epoch, let score)?:
            return "\(name): removed by reduction \(index) after epoch \(epoch)" + (score.map { ", score \(Format.fixed($0, 4))" } ?? "")
        case .veto(let epoch, let step)?:
            return "\(name): vetoed in epoch \(epoch) step \(step)"
        case nil:
            guard let alpha = state.alphaValue(op) else {
                return state.alpha[view.cell] == nil ? "\(name): no α yet (warm-up)" : "\(name): removed"
            }
            let beta = state.betaValue(cell: op.cell, edge: op.edge) ?? 1
            return "\(name)  α \(Format.fixed(alpha, 4))  β \(Format.fixed(beta, 4))  α·β \(Format.fixed(alpha * beta, 4))"
        }
    }
}
