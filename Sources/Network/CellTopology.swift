/// The edges of a search cell (docs/algorithms.md#search-space), numbered 0..13: intermediate node j reads
/// c_{k-2}, c_{k-1} and the nodes before it, so node 0 has edges 0-1, node 1 edges 2-4, node 2 edges 5-8
/// and node 3 edges 9-13, each node's edges in the order of their inputs. The supernet, alpha and beta,
/// the genotype derivation, the events and the dashboard all number edges so.
public enum CellTopology {
    /// The incoming edges of each intermediate node: node j reads j + 2 states.
    public static let nodeEdges: [Range<Int>] = [0..<2, 2..<5, 5..<9, 9..<14]

    /// Intermediate nodes per cell (`Genotype.intermediateNodeCount`).
    public static let nodeCount = nodeEdges.count

    /// Edges per search cell: 2 + 3 + 4 + 5.
    public static let edgeCount = nodeEdges[nodeCount - 1].upperBound

    /// The incoming edges of intermediate node `node`.
    public static func edges(into node: Int) -> Range<Int> { nodeEdges[node] }

    /// The intermediate node (0...3) an edge feeds. Total: a number past the last edge (a refused
    /// veto's) belongs to the last node, a negative one to the first.
    public static func node(of edge: Int) -> Int { nodeEdges.lastIndex { $0.lowerBound <= edge } ?? 0 }

    /// The state an edge reads, numbered as `GenotypeEdge.input`: 0 = c_{k-2}, 1 = c_{k-1}, 2 + j = node j.
    public static func input(of edge: Int) -> Int { edge - nodeEdges[node(of: edge)].lowerBound }

    /// The short name of a state an edge reads: "c-2", "c-1", "n0" ... "n3".
    public static func sourceName(_ input: Int) -> String {
        switch input {
        case 0: return "c-2"
        case 1: return "c-1"
        default: return "n\(input - 2)"
        }
    }

    /// An edge labelled by its nodes, e.g. "c-1→n2" (or "c-1->n2" in ASCII): the dashboard's and the report's name.
    /// A number that is no edge of a cell (a refused veto may name one) is labelled "edge N".
    public static func label(of edge: Int, arrow: String = "→") -> String {
        guard (0..<edgeCount).contains(edge) else { return "edge \(edge)" }
        return sourceName(input(of: edge)) + arrow + "n\(node(of: edge))"
    }
}
