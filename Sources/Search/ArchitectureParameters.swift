import Network
import Tensor

/// The architecture parameters of the supernet: alpha (14 edges x 8 operations) and beta (one per
/// edge, edge normalisation) for the normal and the reduction cell (docs/algorithms.md#partial-channels).
public final class ArchitectureParameters {
    public let alphaNormal: Tensor
    public let alphaReduce: Tensor
    public let betaNormal: Tensor
    public let betaReduce: Tensor

    /// DARTS's initialisation: 1e-3 * N(0, 1) for every entry.
    public init(rng: inout SeededRNG) {
        let (edges, operations) = (OperationSpace.edgeCount, OperationSpace.operationCount)
        alphaNormal = Tensor.randomNormal([edges, operations], std: 1e-3, rng: &rng, requiresGrad: true)
        alphaReduce = Tensor.randomNormal([edges, operations], std: 1e-3, rng: &rng, requiresGrad: true)
        betaNormal = Tensor.randomNormal([edges], std: 1e-3, rng: &rng, requiresGrad: true)
        betaReduce = Tensor.randomNormal([edges], std: 1e-3, rng: &rng, requiresGrad: true)
    }

    /// alpha, beta in a fixed order (the architect's optimiser and the checkpoint rely on it).
    public var all: [Tensor] { [alphaNormal, alphaReduce, betaNormal, betaReduce] }

    public func alpha(_ cell: CellType) -> Tensor { cell == .normal ? alphaNormal : alphaReduce }
    public func beta(_ cell: CellType) -> Tensor { cell == .normal ? betaNormal : betaReduce }

    /// softmax(alpha) over each edge's surviving ops, 0 for removed ones: [14, 8], differentiable.
    public func operationWeights(_ cell: CellType, space: OperationSpace) -> Tensor {
        alpha(cell).maskedSoftmaxRows(keep: space.survivalMask(cell))
    }

    /// softmax(beta) over each node's incoming edges: [14], differentiable.
    public func edgeWeights(_ cell: CellType) -> Tensor {
        beta(cell).segmentSoftmax(OperationSpace.nodeEdges)
    }

    /// softmax(alpha) as a 14x8 table with nil for removed ops (the `alpha` event, the dashboard).
    public func operationTable(_ cell: CellType, space: OperationSpace) -> [[Double?]] {
        let weights = GradMode.disabled { operationWeights(cell, space: space) }
        let mask = space.survivalMask(cell)
        let columns = OperationSpace.operationCount
        return (0..<OperationSpace.edgeCount).map { edge in
            (0..<columns).map { op in mask[edge * columns + op] ? Double(weights.data[edge * columns + op]) : nil }
        }
    }

    /// softmax(beta) per node as 14 numbers.
    public func edgeTable(_ cell: CellType) -> [Double] {
        GradMode.disabled { edgeWeights(cell) }.data.map(Double.init)
    }
}

/// The final cell from the architecture weights (DARTS/PC-DARTS, docs/algorithms.md#search-space): per intermediate
/// node keep the two incoming edges whose best non-`none` surviving op has the largest
/// softmax(alpha) * softmax(beta), and on each that op.
public enum GenotypeDerivation {
    /// `alpha` is 14x8 (nil = removed), `beta` 14 per-node softmax values.
    public static func edges(alpha: [[Double?]], beta: [Double]) -> [GenotypeEdge] {
        var result: [GenotypeEdge] = []
        for edges in OperationSpace.nodeEdges {
            var candidates: [(strength: Double, edge: GenotypeEdge)] = []
            for edge in edges {
                let surviving = OperationKind.allCases.compactMap { operation -> (weight: Double, operation: OperationKind)? in
                    guard operation != .none, let weight = alpha[edge][operation.index] else { return nil }
                    return (weight, operation)
                }
                // The first of equal weights wins, as Python's max() does.
                guard let best = surviving.reduce(nil, { (best: (weight: Double, operation: OperationKind)?, next) in
                    best.map { $0.weight >= next.weight ? $0 : next } ?? next
                }) else { continue }
                let input = OperationSpace.input(ofEdge: edge)
                candidates.append((best.weight * beta[edge], GenotypeEdge(operation: best.operation, input: input)))
            }
            // Strongest first; on a tie the earlier edge wins, as Python's sorted() keeps order.
            let chosen = candidates.enumerated().sorted { ($0.element.strength, -$0.offset) > ($1.element.strength, -$1.offset) }
                .prefix(2).map(\.element.edge)
            result.append(contentsOf: chosen)
        }
        return result
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
