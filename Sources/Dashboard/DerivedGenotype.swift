import Network
import Search

/// One edge of the genotype that would be derived now.
struct DerivedEdge: Equatable {
    var edge: Int
    var operation: OperationKind

    var node: Int { CellTopology.node(of: edge) }
    var genotypeEdge: GenotypeEdge { GenotypeEdge(operation: operation, input: CellTopology.source(of: edge)) }
}

extension DashboardState {
    /// The genotype that would be derived from the search space as it stands (the engine's own
    /// `GenotypeDerivation` on the last alpha and beta, with ops vetoed since then left out): per node
    /// up to two edges, in node order. Empty before the first `alpha` event.
    func derivedEdges(_ cell: CellType) -> [DerivedEdge] {
        guard alpha[cell] != nil, let beta = beta[cell] else { return [] }
        let table = (0..<CellTopology.edgeCount).map { edge in
            CellTopology.operations.map { alphaValue(OperationRef(cell: cell, edge: edge, operation: $0)) }
        }
        let chosen = GenotypeDerivation.edges(alpha: table, beta: beta)
        // The derivation lists min(2, candidates) edges per node, node after node; a candidate is an
        // edge with a surviving real op.
        var derived: [DerivedEdge] = []
        var position = 0
        for node in 0..<CellTopology.nodeCount {
            let candidates = CellTopology.edges(into: node).filter { edge in table[edge].indices.contains { $0 > 0 && table[edge][$0] != nil } }
            for genotypeEdge in chosen.dropFirst(position).prefix(min(2, candidates.count)) {
                derived.append(DerivedEdge(edge: CellTopology.firstEdge[node] + genotypeEdge.input, operation: genotypeEdge.operation))
            }
            position += min(2, candidates.count)
        }
        return derived.sorted { $0.edge < $1.edge }
    }
}
