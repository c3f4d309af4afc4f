import Network
import Search

/// One edge of the genotype that would be derived now.
struct DerivedEdge: Equatable {
    var edge: Int
    var operation: OperationKind
    /// alpha*beta of the chosen op.
    var weight: Double

    var node: Int { CellTopology.node(of: edge) }
    var genotypeEdge: GenotypeEdge { GenotypeEdge(operation: operation, input: CellTopology.source(of: edge)) }
}

/// The genotype that would be derived from the search space as it stands (REFERENCE.md §5): per node the
/// two incoming edges with the largest best non-`none` alpha*beta, and on each its arg-max surviving op.
extension DashboardState {
    /// The derived edges of one cell type, two per node in edge order (fewer when a node has fewer
    /// edges with a surviving real op); empty before the first `alpha` event.
    func derivedEdges(_ cell: CellType) -> [DerivedEdge] {
        guard alpha[cell] != nil else { return [] }
        var derived: [DerivedEdge] = []
        for node in 0..<CellTopology.nodeCount {
            let candidates = CellTopology.edges(into: node).compactMap { bestOperation(cell: cell, edge: $0) }
            let kept = candidates.sorted { $0.weight > $1.weight || ($0.weight == $1.weight && $0.edge < $1.edge) }.prefix(2)
            derived += kept.sorted { $0.edge < $1.edge }
        }
        return derived
    }

    /// The surviving non-`none` op of an edge with the largest alpha*beta.
    private func bestOperation(cell: CellType, edge: Int) -> DerivedEdge? {
        let beta = betaValue(cell: cell, edge: edge) ?? 1
        var best: DerivedEdge?
        for op in CellTopology.operations where op != .none {
            guard let alpha = alphaValue(OperationRef(cell: cell, edge: edge, operation: op)) else { continue }
            if let current = best, current.weight >= alpha * beta { continue }
            best = DerivedEdge(edge: edge, operation: op, weight: alpha * beta)
        }
        return best
    }
}
