import Network
import Testing

/// The edge numbering of a search cell (docs/algorithms.md#search-space), defined once for the search and the dashboard.
struct CellTopologyTests {
    @Test func edgesReadTheNodesOfReferenceNumbering() {
        #expect((0..<14).map(CellTopology.input(of:)) == [0, 1, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3, 4])
        #expect((0..<14).map(CellTopology.node(of:)) == [0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3])
    }

    @Test func nodeJReadsTheTwoCellInputsAndTheNodesBeforeIt() {
        #expect(CellTopology.nodeCount == Genotype.intermediateNodeCount)
        #expect(CellTopology.edgeCount == 14)
        for node in 0..<CellTopology.nodeCount {
            let edges = CellTopology.edges(into: node)
            #expect(edges.map(CellTopology.input(of:)) == Array(0..<(node + 2)), "node \(node)")
            #expect(edges.allSatisfy { CellTopology.node(of: $0) == node })
        }
        #expect(CellTopology.nodeEdges.flatMap { $0 } == Array(0..<CellTopology.edgeCount), "every edge once, in order")
    }

    /// Edge numbers from outside (a veto for edge 20 in a log) name a node instead of trapping.
    @Test func numbersOutsideTheCellStillNameANode() {
        #expect(CellTopology.node(of: 20) == 3 && CellTopology.input(of: 20) == 11)
        #expect(CellTopology.node(of: -1) == 0)
    }
}
