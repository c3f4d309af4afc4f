import Network
import Search

/// The inspect view (enter): one cell drawn as a graph. Each input (c_{k-2}, c_{k-1}, then each node as
/// it is computed) is a vertical line; each edge branches off its input's line into the node it feeds,
/// with the edge's surviving ops and their α·β bars, strongest first. ★ marks the derived edges.
enum InspectView {
    static let busSpacing = 5
    static let barWidth = 4

    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState, view: ViewState) {
        let cellName = view.cell == .normal ? "normal" : "reduction"
        let inner = canvas.panel(rect, title: "inspect · \(cellName) cell · tab switches · esc returns")
        guard !inner.isEmpty else { return }
        let ascii = canvas.glyphs == .ascii
        let line = canvas.style(.border), label = canvas.style(.label, bold: true)
        let busX = (0..<5).map { inner.x + 1 + busSpacing * $0 }
        let arrowX = busX[4] + 3
        let derived = Set(state.derivedEdges(view.cell).map(\.edge))
        let weights = (0..<CellTopology.edgeCount).flatMap { edge in weightedOps(state: state, cell: view.cell, edge: edge).map(\.weight) }
        let maxWeight = max(weights.max() ?? 1, 1e-9)
        var activeFrom = [inner.y + 1, inner.y + 1, Int.max, Int.max, Int.max]
        canvas.text("c-2", x: busX[0], y: inner.y, style: label, clip: inner)
        canvas.text("c-1", x: busX[1], y: inner.y, style: label, clip: inner)
        var y = inner.y + 1
        for node in 0..<CellTopology.nodeCount {
            for edge in CellTopology.edges(into: node) {
                guard y < inner.maxY else { return }
                let source = CellTopology.input(of: edge)
                let isLastUse = node == CellTopology.nodeCount - 1
                for (bus, x) in busX.enumerated() where activeFrom[bus] <= y {
                    if bus < source, isLastUse { continue }
                    let character: Character
                    if bus == source { character = isLastUse ? (ascii ? "`" : "╰") : (ascii ? "+" : "├") }
                    else if bus > source { character = ascii ? "+" : "┼" }
                    else { character = ascii ? "|" : "│" }
                    canvas.set(character, x: x, y: y, style: line)
                }
                for x in (busX[source] + 1)..<arrowX where !busX.enumerated().contains(where: { $0.element == x && activeFrom[$0.offset] <= y }) {
                    canvas.set(ascii ? "-" : "─", x: x, y: y, style: line)
                }
                canvas.set(ascii ? ">" : "▶", x: arrowX, y: y, style: line)
                drawEdge(canvas, edge: edge, y: y, x: arrowX + 2, inner: inner, state: state, view: view,
                         isDerived: derived.contains(edge), maxWeight: maxWeight)
                y += 1
            }
            guard y < inner.maxY else { return }
            if node + 2 < busX.count {
                for (bus, x) in busX.enumerated() where activeFrom[bus] <= y { canvas.set(ascii ? "|" : "│", x: x, y: y, style: line) }
                canvas.text("n\(node)", x: busX[node + 2], y: y, style: label, clip: inner)
                activeFrom[node + 2] = y + 1
                y += 1
            }
        }
        if y < inner.maxY {
            let concat = (state.genotype?.genotype.concat(view.cell) ?? Genotype.fullConcat).map { "n\($0 - 2)" }
            canvas.text("cell output = concat(\(concat.joined(separator: ", ")))", x: inner.x + 1, y: y, style: canvas.style(.dim), clip: inner)
        }
    }

    /// The surviving ops of an edge with α·β, strongest first.
    static func weightedOps(state: DashboardState, cell: CellType, edge: Int) -> [(op: OperationKind, weight: Double)] {
        let beta = state.betaValue(cell: cell, edge: edge) ?? 1
        return OperationKind.allCases
            .compactMap { op in state.alphaValue(OperationRef(cell: cell, edge: edge, operation: op)).map { (op, $0 * beta) } }
            .sorted { $0.1 > $1.1 }
    }

    private static func drawEdge(_ canvas: Canvas, edge: Int, y: Int, x start: Int, inner: Rect, state: DashboardState, view: ViewState,
                                 isDerived: Bool, maxWeight: Double) {
        let mark = isDerived ? String(canvas.glyphs.keptMark) : " "
        let head = "n\(CellTopology.node(of: edge)) \(mark) \(CellTopology.sourceName(CellTopology.input(of: edge)).fitted(to: 3))  "
        var x = canvas.text(head, x: start, y: y, style: canvas.style(isDerived ? .ok : .label, bold: isDerived), clip: inner)
        let ops = weightedOps(state: state, cell: view.cell, edge: edge)
        if ops.isEmpty {
            canvas.text(state.alpha[view.cell] == nil ? "no α yet" : "no op left", x: x, y: y, style: canvas.style(.dim), clip: inner)
            return
        }
        for (op, weight) in ops {
            let entry = 4 + 1 + barWidth + 1 + 4 + 2
            guard x + entry <= inner.maxX else { break }
            x = canvas.text(op.shortName + " ", x: x, y: y, style: canvas.style(.foreground), clip: inner)
            x = canvas.text(canvas.glyphs.bar(weight / maxWeight, width: barWidth), x: x, y: y, style: canvas.style(.bar), clip: inner)
            x = canvas.text(" " + Format.probability(weight) + "  ", x: x, y: y, style: canvas.style(.dim), clip: inner)
        }
    }
}
