import Network
import Search

/// The history of the search space: each reduction step (what went, by which policy, the lowest score)
/// and each veto, newest last; then the genotype derived now (or the final one).
enum HistoryPanel {
    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState, view: ViewState) {
        let inner = canvas.panel(rect, title: "reductions, vetoes and genotype")
        guard !inner.isEmpty else { return }
        let genotype = genotypeLines(state: state, width: inner.width)
        let historyRows = max(1, inner.height - genotype.count)
        let lines = state.history.map { line($0, arrow: canvas.glyphs.arrow) }
        let shown = lines.isEmpty ? ["no reduction yet" + (state.configuration.map { " (first after epoch \($0.warmupEpochs + $0.reductionInterval))" } ?? "")]
                                  : Array(lines.suffix(historyRows))
        var y = inner.y
        for text in shown where y < inner.maxY {
            canvas.text(text, x: inner.x, y: y, style: canvas.style(text.contains("refused") ? .warning : .foreground), clip: inner)
            y += 1
        }
        y = max(y, inner.maxY - genotype.count)
        for (index, text) in genotype.enumerated() where y < inner.maxY {
            canvas.text(text, x: inner.x, y: y, style: canvas.style(index == 0 ? .label : .ok), clip: inner)
            y += 1
        }
    }

    static func line(_ entry: DashboardState.HistoryEntry, arrow: String) -> String {
        switch entry {
        case .reduction(let event):
            let scores = event.removed.compactMap { op -> (OperationRef, Double)? in
                let table = op.cell == .normal ? event.normalScores : event.reduceScores
                guard table.indices.contains(op.edge), table[op.edge].indices.contains(op.operation.index),
                      let score = table[op.edge][op.operation.index] else { return nil }
                return (op, score)
            }
            let lowest = scores.min { $0.1 < $1.1 }.map { ", lowest \(describe($0.0, arrow: arrow)) \(Format.fixed($0.1, 4))" } ?? ""
            return "ep \(event.epoch) reduction \(event.index) (\(event.policy.rawValue)): -\(event.removed.count) ops\(lowest)"
        case .veto(let event):
            let verdict = event.accepted ? "vetoed" : "refused: \(event.reason ?? "no reason")"
            return "ep \(event.epoch) step \(event.step) veto \(describe(event.operation, arrow: arrow)) \(verdict)"
        }
    }

    static func describe(_ op: OperationRef, arrow: String) -> String {
        "\(op.cell == .normal ? "N" : "R") \(CellTopology.label(of: op.edge, arrow: arrow)) \(op.operation.shortName)"
    }

    /// "genotype derived now:" (or "final genotype:") and per cell type its nodes with their two inputs,
    /// on one line or, when `width` is too narrow, two.
    static func genotypeLines(state: DashboardState, width: Int) -> [String] {
        guard state.alpha[.normal] != nil || state.genotype != nil else { return [] }
        let cells: [(CellType, [[GenotypeEdge]])] = CellType.allCases.map { cell in
            if let final = state.genotype?.genotype {
                let edges = final.edges(cell)
                return (cell, stride(from: 0, to: edges.count, by: 2).map { Array(edges[$0..<min(edges.count, $0 + 2)]) })
            }
            let derived = state.derivedEdges(cell)
            return (cell, (0..<CellTopology.nodeCount).map { node in derived.filter { $0.node == node }.map(\.genotypeEdge) })
        }
        let title = state.genotype != nil ? "final genotype:" : "genotype derived now:"
        return [title] + cells.flatMap { cell, nodes -> [String] in
            let text = nodes.enumerated().map { node, edges in
                "n\(node) " + edges.map { "\($0.operation.shortName) \(CellTopology.sourceName($0.input))" }.joined(separator: ", ")
            }
            let name = cell == .normal ? "normal: " : "reduce: "
            let line = name + text.joined(separator: " | ")
            guard line.count > width else { return [line] }
            let half = (text.count + 1) / 2
            return [name + text.prefix(half).joined(separator: " | "),
                    String(repeating: " ", count: name.count) + text.dropFirst(half).joined(separator: " | ")]
        }
    }
}
