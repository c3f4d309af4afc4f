// Graphviz drawings of a cell, in the style of DARTS's visualize.py (render with `dot -Tpdf normal.dot -o normal.pdf`).
extension Genotype {
    /// The cell of one type as a Graphviz digraph, laid out left to right like DARTS's visualize.py: the input
    /// nodes `c_{k-2}` and `c_{k-1}`, the intermediate nodes `0`...`3`, one edge per genotype edge labelled with
    /// its operation's DARTS name, and an edge from every concatenated node to the output `c_{k}`.
    public func dot(_ type: CellType) -> String {
        var lines = [
            "digraph \(type.rawValue) {",
            "\tedge [fontname=times fontsize=20]",
            "\tnode [align=center fontname=times fontsize=20 height=0.5 penwidth=2 shape=rect style=filled width=0.5]",
            "\trankdir=LR",
            "\t\"c_{k-2}\" [fillcolor=darkseagreen2]",
            "\t\"c_{k-1}\" [fillcolor=darkseagreen2]",
        ]
        let cellEdges = edges(type)
        let nodeCount = (cellEdges.count + 1) / 2
        for node in 0..<nodeCount {
            lines.append("\t\"\(node)\" [fillcolor=lightblue]")
        }
        for (position, edge) in cellEdges.enumerated() {
            let arrow = "\"\(dotNodeName(edge.input))\" -> \"\(position / 2)\""
            lines.append("\t\(arrow) [label=\"\(edge.operation.rawValue)\" fillcolor=gray]")
        }
        lines.append("\t\"c_{k}\" [fillcolor=palegoldenrod]")
        for index in concat(type) {
            lines.append("\t\"\(dotNodeName(index))\" -> \"c_{k}\" [fillcolor=gray]")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The drawing's name of genotype input `input`: c_{k-2}, c_{k-1}, then the intermediate nodes 0, 1, ...
private func dotNodeName(_ input: Int) -> String {
    switch input {
    case 0: return "c_{k-2}"
    case 1: return "c_{k-1}"
    default: return String(input - 2)
    }
}
