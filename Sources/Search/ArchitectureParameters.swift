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
        let (edges, operations) = (CellTopology.edgeCount, OperationSpace.operationCount)
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
        beta(cell).segmentSoftmax(CellTopology.nodeEdges)
    }

    /// softmax(alpha) as a 14x8 table with nil for removed ops (the `alpha` event, the dashboard).
    public func operationTable(_ cell: CellType, space: OperationSpace) -> [[Double?]] {
        let weights = GradMode.disabled { operationWeights(cell, space: space) }
        let mask = space.survivalMask(cell)
        let columns = OperationSpace.operationCount
        return (0..<CellTopology.edgeCount).map { edge in
            (0..<columns).map { op in mask[edge * columns + op] ? Double(weights.data[edge * columns + op]) : nil }
        }
    }

    /// softmax(beta) per node as 14 numbers.
    public func edgeTable(_ cell: CellType) -> [Double] {
        GradMode.disabled { edgeWeights(cell) }.data.map(Double.init)
    }
}
