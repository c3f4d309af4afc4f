import Network

/// One edge of a derived cell: the edge (0...13, `CellTopology`) and the operation kept on it.
public struct DerivedEdge: Equatable, Sendable {
    public var edge: Int
    public var operation: OperationKind

    public init(edge: Int, operation: OperationKind) {
        self.edge = edge
        self.operation = operation
    }

    /// The intermediate node the edge feeds.
    public var node: Int { CellTopology.node(of: edge) }

    /// The edge as a genotype writes it: the operation and the state it reads.
    public var genotypeEdge: GenotypeEdge { GenotypeEdge(operation: operation, input: CellTopology.input(of: edge)) }
}

/// The final cell from the architecture weights (DARTS/PC-DARTS, docs/algorithms.md#search-space): per intermediate
/// node keep the two incoming edges whose best non-`none` surviving op has the largest
/// softmax(alpha) * softmax(beta), and on each that op.
public enum GenotypeDerivation {
    /// The kept edges, node after node, the stronger of a node's two first; a node with fewer than two
    /// edges that still have a real op keeps fewer. `alpha` is 14x8 (nil = removed), `beta` 14 per-node
    /// softmax values.
    public static func derivedEdges(alpha: [[Double?]], beta: [Double]) -> [DerivedEdge] {
        var result: [DerivedEdge] = []
        for edges in CellTopology.nodeEdges {
            var candidates: [(strength: Double, edge: DerivedEdge)] = []
            for edge in edges {
                let surviving = OperationKind.allCases.compactMap { operation -> (weight: Double, operation: OperationKind)? in
                    guard operation != .none, let weight = alpha[edge][operation.index] else { return nil }
                    return (weight, operation)
                }
                // The first of equal weights wins, as Python's max() does.
                guard let best = surviving.reduce(nil, { (best: (weight: Double, operation: OperationKind)?, next) in
                    best.map { $0.weight >= next.weight ? $0 : next } ?? next
                }) else { continue }
                candidates.append((best.weight * beta[edge], DerivedEdge(edge: edge, operation: best.operation)))
            }
            // Strongest first; on a tie the earlier edge wins, as Python's sorted() keeps order.
            let chosen = candidates.enumerated().sorted { ($0.element.strength, -$0.offset) > ($1.element.strength, -$1.offset) }
                .prefix(2).map(\.element.edge)
            result.append(contentsOf: chosen)
        }
        return result
    }

    /// `derivedEdges` as a genotype lists them.
    public static func edges(alpha: [[Double?]], beta: [Double]) -> [GenotypeEdge] {
        derivedEdges(alpha: alpha, beta: beta).map(\.genotypeEdge)
    }

    public static func genotype(normalAlpha: [[Double?]], normalBeta: [Double], reduceAlpha: [[Double?]], reduceBeta: [Double]) -> Genotype {
        Genotype(normal: edges(alpha: normalAlpha, beta: normalBeta), reduce: edges(alpha: reduceAlpha, beta: reduceBeta))
    }

    /// The genotype of the current architecture weights and search space.
    public static func genotype(_ parameters: ArchitectureParameters, space: OperationSpace) -> Genotype {
        genotype(normalAlpha: parameters.operationTable(.normal, space: space), normalBeta: parameters.edgeTable(.normal),
                 reduceAlpha: parameters.operationTable(.reduce, space: space), reduceBeta: parameters.edgeTable(.reduce))
    }
}
