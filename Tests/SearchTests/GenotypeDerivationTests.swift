import Network
import Testing
@testable import Search
import Tensor

/// The DARTS/PC-DARTS derivation rule (docs/algorithms.md#search-space) on hand-made weight tables.
struct GenotypeDerivationTests {
    @Test func keepsTheTwoStrongestEdgesPerNodeAndTheirBestRealOperation() {
        var alpha: [[Double?]] = Array(repeating: [0.30, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10], count: 14)
        // Node 1 (edges 2, 3, 4): edge 4's best real op is dil_conv_5x5 at 0.5, edge 2's sep_conv_3x3 at 0.3,
        // edge 3 has only none strong (ignored) and 0.1 elsewhere.
        alpha[4] = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.2, 0.5]
        alpha[2] = [0.10, 0.10, 0.10, 0.10, 0.30, 0.10, 0.10, 0.10]
        alpha[3] = [0.90, nil, nil, 0.02, 0.02, 0.02, 0.02, 0.02]
        let beta = Array(repeating: 1.0 / 3, count: 14)
        let edges = GenotypeDerivation.edges(alpha: alpha, beta: beta)
        #expect(edges.count == 8)
        #expect(edges[2] == GenotypeEdge(operation: .dilConv5x5, input: 2))
        #expect(edges[3] == GenotypeEdge(operation: .sepConv3x3, input: 0))
        // Beta decides between otherwise equal edges: node 3 (edges 9...13) keeps the two with the largest beta.
        var strongBeta = beta
        strongBeta[12] = 0.9
        strongBeta[10] = 0.8
        let node3 = GenotypeDerivation.edges(alpha: Array(repeating: [0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], count: 14), beta: strongBeta)[6...7]
        #expect(node3.map(\.input) == [3, 1])
        // Ties go to the first op and the first edge, as in the PyTorch code.
        #expect(node3.allSatisfy { $0.operation == .maxPool3x3 })
    }

    /// The derivation names the edges it keeps (what the dashboard marks), stronger first within a node;
    /// a node with one edge left that has a real op keeps only that one.
    @Test func derivedEdgesNameTheKeptEdgesInTheCellNumbering() {
        var alpha: [[Double?]] = Array(repeating: [0.30, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10], count: 14)
        alpha[4] = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.2, 0.5]
        alpha[2] = [0.10, 0.10, 0.10, 0.10, 0.30, 0.10, 0.10, 0.10]
        alpha[5] = [0.90, nil, nil, nil, nil, nil, nil, nil]
        alpha[6] = [0.90, nil, nil, nil, nil, nil, nil, nil]
        alpha[7] = [0.90, nil, nil, nil, nil, nil, nil, nil]
        var beta = Array(repeating: 0.25, count: 14)
        beta[12] = 0.9
        beta[10] = 0.8
        let derived = GenotypeDerivation.derivedEdges(alpha: alpha, beta: beta)
        #expect(derived.map(\.edge) == [0, 1, 4, 2, 8, 12, 10])
        #expect(derived.map(\.node) == [0, 0, 1, 1, 2, 3, 3])
        #expect(derived[2] == DerivedEdge(edge: 4, operation: .dilConv5x5))
        #expect(derived[2].genotypeEdge == GenotypeEdge(operation: .dilConv5x5, input: 2))
        #expect(derived.map(\.genotypeEdge) == GenotypeDerivation.edges(alpha: alpha, beta: beta))
    }

    @Test func aFullyReducedSpaceYieldsItsSurvivorsAsAValidGenotype() throws {
        var space = OperationSpace()
        for cell in CellType.allCases {
            for edge in 0..<14 {
                let keep = OperationKind.allCases[1 + (edge % 7)]
                for kind in OperationKind.allCases where kind != keep { space.remove(OperationRef(cell: cell, edge: edge, operation: kind), cause: .reduction) }
            }
        }
        #expect(space.isReduced)
        var rng = SeededRNG(seed: 1)
        let genotype = GenotypeDerivation.genotype(ArchitectureParameters(rng: &rng), space: space)
        try genotype.validate()
        for edge in genotype.normal { #expect(edge.operation != .none) }
    }
}
