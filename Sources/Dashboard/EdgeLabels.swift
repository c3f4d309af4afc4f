import Network

/// How the dashboard names the states and edges of a cell (the numbering is `CellTopology`'s).
extension CellTopology {
    /// The short name of a state an edge reads: "c-2", "c-1", "n0" ... "n3".
    static func sourceName(_ input: Int) -> String {
        switch input {
        case 0: return "c-2"
        case 1: return "c-1"
        default: return "n\(input - 2)"
        }
    }

    /// An edge labelled by its nodes, e.g. "c-1→n2" (or "c-1->n2" in ASCII).
    static func label(of edge: Int, arrow: String = "→") -> String {
        sourceName(input(of: edge)) + arrow + "n\(node(of: edge))"
    }
}
