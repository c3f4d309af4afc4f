import Network
import Search

extension DashboardState {
    /// The genotype that would be derived from the search space as it stands: the engine's own
    /// `GenotypeDerivation` on the last alpha and beta, with ops vetoed since then left out; per node up
    /// to two edges, in edge order. Empty before the first `alpha` event.
    func derivedEdges(_ cell: CellType) -> [DerivedEdge] {
        guard alpha[cell] != nil, let beta = beta[cell] else { return [] }
        let table = (0..<CellTopology.edgeCount).map { edge in
            OperationKind.allCases.map { alphaValue(OperationRef(cell: cell, edge: edge, operation: $0)) }
        }
        return GenotypeDerivation.derivedEdges(alpha: table, beta: beta).sorted { $0.edge < $1.edge }
    }
}
