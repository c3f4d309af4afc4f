import Network

/// The edges of a search cell (docs/algorithms.md#search-space): node j reads c_{k-2}, c_{k-1} and nodes 0..<j, so
/// node 0 has edges 0-1, node 1 edges 2-4, node 2 edges 5-8, node 3 edges 9-13.
enum CellTopology {
    static let nodeCount = 4
    static let edgeCount = 14
    static let operations = OperationKind.allCases

    /// The first edge of each node: 0, 2, 5, 9 (and 14 past the end).
    static let firstEdge = [0, 2, 5, 9, 14]

    /// The intermediate node (0...3) an edge feeds.
    static func node(of edge: Int) -> Int { (0..<nodeCount).last { firstEdge[$0] <= edge } ?? 0 }

    /// The input of an edge in DARTS numbering: 0 = c_{k-2}, 1 = c_{k-1}, 2 + j = node j.
    static func source(of edge: Int) -> Int { edge - firstEdge[node(of: edge)] }

    static func edges(into node: Int) -> Range<Int> { firstEdge[node]..<firstEdge[node + 1] }

    /// The short name of an input: "c-2", "c-1", "n0" ... "n3".
    static func sourceName(_ source: Int) -> String {
        switch source {
        case 0: return "c-2"
        case 1: return "c-1"
        default: return "n\(source - 2)"
        }
    }

    /// An edge labelled by its nodes, e.g. "c-1→n2" (or "c-1->n2" in ASCII).
    static func label(of edge: Int, arrow: String = "→") -> String {
        sourceName(source(of: edge)) + arrow + "n\(node(of: edge))"
    }
}
