import Network
import Search

/// The reduction timeline of one cell type: a row per edge, a column per reduction step or accepted veto,
/// each box naming the op that step removed from the edge with the score it was ranked by; a box's
/// tooltip holds the edge's whole ranking (docs/algorithms.md#operation-space-reduction).
struct ReductionTimeline {
    struct Removal: Equatable {
        var operation: OperationKind
        /// The score the op was ranked by (nil for a veto).
        var score: Double?
        /// The edge's ranked ops, lowest score first.
        var ranking: [Ranked]
    }

    struct Ranked: Equatable {
        var operation: OperationKind
        var score: Double
    }

    struct Column: Equatable {
        /// `R1`, `R2`, ... for reduction steps, `V1`, ... for vetoes.
        var label: String
        /// Under the label: `ep 7`.
        var detail: String
        var title: String
        /// The op removed from each edge (by edge number).
        var removals: [Int: Removal]
    }

    var cell: CellType
    var columns: [Column]

    static let labelWidth = 64.0, boxWidth = 90.0, rowHeight = 18.0, headerHeight = 34.0

    /// The columns of `cell`: reduction steps and its accepted vetoes, in the order they happened.
    static func columns(_ history: SearchHistory, cell: CellType) -> [Column] {
        var columns: [Column] = []
        var vetoes = 0
        for removal in history.removals {
            switch removal {
            case .reduction(let reduction):
                let scores = cell == .normal ? reduction.normalScores : reduction.reduceScores
                var removals: [Int: Removal] = [:]
                for op in reduction.removed where op.cell == cell && removals[op.edge] == nil {
                    let ranking = ranked(scores, edge: op.edge)
                    let score = ranking.first { $0.operation == op.operation }?.score
                    removals[op.edge] = Removal(operation: op.operation, score: score, ranking: ranking)
                }
                columns.append(Column(label: "R\(reduction.index)", detail: "ep \(reduction.epoch)",
                                      title: "reduction step \(reduction.index) after epoch \(reduction.epoch), policy \(reduction.policy.rawValue)",
                                      removals: removals))
            case .veto(let veto) where veto.accepted:
                vetoes += 1
                guard veto.operation.cell == cell else { continue }
                columns.append(Column(label: "V\(vetoes)", detail: "ep \(veto.epoch)", title: "veto in epoch \(veto.epoch), step \(veto.step)",
                                      removals: [veto.operation.edge: Removal(operation: veto.operation.operation, score: nil, ranking: [])]))
            case .veto: continue
            }
        }
        return columns
    }

    /// The scored ops of one edge, lowest first (ties in column order); none for a table that has no such edge.
    static func ranked(_ scores: [[Double?]], edge: Int) -> [Ranked] {
        guard scores.indices.contains(edge) else { return [] }
        let row = scores[edge]
        let scored = OperationKind.allCases.compactMap { op -> Ranked? in
            guard row.indices.contains(op.index), let score = row[op.index], score.isFinite else { return nil }
            return Ranked(operation: op, score: score)
        }
        return scored.enumerated().sorted { ($0.element.score, $0.offset) < ($1.element.score, $1.offset) }.map(\.element)
    }

    func svg() -> String {
        let width = Self.labelWidth + Self.boxWidth * Double(columns.count) + 4
        let height = Self.headerHeight + Self.rowHeight * Double(CellTopology.edgeCount) + 4
        var canvas = SVGCanvas(width: width, height: height)
        for (index, column) in columns.enumerated() {
            let x = Self.labelWidth + Self.boxWidth * Double(index)
            canvas.group(class: "timeline-head", title: column.title) { group in
                group.text(column.label, at: Point(x: x + Self.boxWidth / 2, y: 13), anchor: .middle, class: "legend")
                group.text(column.detail, at: Point(x: x + Self.boxWidth / 2, y: 26), anchor: .middle, class: "tick")
            }
        }
        for edge in 0..<CellTopology.edgeCount {
            let y = Self.headerHeight + Self.rowHeight * Double(edge)
            if CellTopology.nodeEdges.contains(where: { $0.lowerBound == edge }) && edge > 0 {
                canvas.line(Point(x: 0, y: y), Point(x: width, y: y), class: "grid")
            }
            canvas.text(CellTopology.label(of: edge), at: Point(x: 2, y: y + 13), class: "tick")
            for (index, column) in columns.enumerated() {
                guard let removal = column.removals[edge] else { continue }
                let x = Self.labelWidth + Self.boxWidth * Double(index)
                canvas.group(class: "removal", title: tooltip(edge: edge, column: column, removal: removal)) { group in
                    group.rect(x: x + 1, y: y + 1, width: Self.boxWidth - 2, height: Self.rowHeight - 2,
                               class: "box op-\(removal.operation.index)")
                    let score = removal.score.map { " " + AxisFormat.compact($0) } ?? " veto"
                    group.text(removal.operation.shortName + score, at: Point(x: x + 5, y: y + 13), class: "box-label")
                }
            }
        }
        return canvas.markup(class: "timeline", label: "operations removed from the \(cell.rawValue) cell's edges")
    }

    private func tooltip(edge: Int, column: Column, removal: Removal) -> String {
        var text = "\(column.title): \(cell.rawValue) \(CellTopology.label(of: edge)) lost \(removal.operation.rawValue)"
        if let score = removal.score { text += String(format: " (score %.4f)", score) }
        if !removal.ranking.isEmpty {
            let ranking = removal.ranking.map { "\($0.operation.shortName) " + String(format: "%.4f", $0.score) }
            text += "; ranked, lowest first: " + ranking.joined(separator: ", ")
        }
        return text
    }
}
