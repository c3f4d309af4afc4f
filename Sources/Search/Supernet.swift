import Binary
import Network
import Tensor

/// The shape of a supernet.
public struct SupernetShape: Equatable, Sendable {
    public var inputChannels: Int
    public var classes: Int
    public var layers: Int
    public var channels: Int
    public var partialK: Int
    public var binarization: BinarizationConfig

    public init(inputChannels: Int, classes: Int, layers: Int, channels: Int, partialK: Int, binarization: BinarizationConfig) {
        self.inputChannels = inputChannels
        self.classes = classes
        self.layers = layers
        self.channels = channels
        self.partialK = partialK
        self.binarization = binarization
    }

    /// Cells at layers/3 and 2*layers/3 are reduction cells (as in the final network).
    public func isReduction(_ layer: Int) -> Bool { layer == layers / 3 || layer == 2 * layers / 3 }
}

/// The network the search trains (PC-DARTS's `Network` of `model_search.py`): a full-precision stem
/// conv3x3 (3C) + BN, `layers` search cells sharing one alpha/beta per cell type, global average
/// pooling and a full-precision linear classifier (docs/algorithms.md#search-space, docs/algorithms.md#binarisation).
public final class Supernet: Layer {
    public let shape: SupernetShape
    let stem: Sequential
    let cells: [SearchCell]
    let classifier: Linear

    public init(shape: SupernetShape, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        self.shape = shape
        let stemChannels = 3 * shape.channels
        stem = Sequential([
            Conv2d(inChannels: shape.inputChannels, outChannels: stemChannels, kernel: 3, padding: 1, rng: &rng),
            BatchNorm2d(channels: stemChannels),
        ])
        var (previousPrevious, previous, channels) = (stemChannels, stemChannels, shape.channels)
        var previousWasReduction = false
        var cells: [SearchCell] = []
        for layer in 0..<shape.layers {
            let reduction = shape.isReduction(layer)
            if reduction { channels *= 2 }
            cells.append(SearchCell(previousPrevious: previousPrevious, previous: previous, channels: channels,
                                    isReduction: reduction, previousWasReduction: previousWasReduction,
                                    partialK: shape.partialK, binarization: shape.binarization, rng: &rng))
            previousWasReduction = reduction
            (previousPrevious, previous) = (previous, CellTopology.nodeCount * channels)
        }
        self.cells = cells
        classifier = Linear(inFeatures: previous, outFeatures: shape.classes, rng: &rng)
    }

    public var sublayers: [any Layer] { [stem] + cells + [classifier] }

    /// Logits [N, classes].
    func callAsFunction(_ x: Tensor, normal: CellPlan, reduce: CellPlan, training: Bool) -> Tensor {
        var s0 = stem(x, training: training)
        var s1 = s0
        for cell in cells {
            (s0, s1) = (s1, cell(s0, s1, plan: cell.isReduction ? reduce : normal, training: training))
        }
        return classifier(s1.globalAvgPool(), training: training)
    }
}

extension Supernet {
    /// The search forward: every surviving op of every edge weighted by softmax(alpha) * softmax(beta).
    func callAsFunction(_ x: Tensor, architecture: ArchitectureParameters, space: OperationSpace, training: Bool) -> Tensor {
        self(x, normal: Self.searchPlan(.normal, architecture: architecture, space: space),
             reduce: Self.searchPlan(.reduce, architecture: architecture, space: space), training: training)
    }

    static func searchPlan(_ cell: CellType, architecture: ArchitectureParameters, space: OperationSpace) -> CellPlan {
        let edgeWeights = architecture.edgeWeights(cell)
        let operations = (0..<CellTopology.edgeCount).map { edge in space.surviving(cell, edge: edge).filter { $0 != .none } }
        return CellPlan(operations: operations,
                        coefficients: architecture.operationWeights(cell, space: space).scaledRows(by: edgeWeights),
                        edgeWeights: edgeWeights)
    }

    /// A sub-network: one op per edge with coefficient softmax(beta) (the sampled sub-networks of
    /// docs/algorithms.md#operation-space-reduction; no gradient is recorded for it).
    static func subnetworkPlan(_ cell: CellType, choice: [OperationKind], architecture: ArchitectureParameters) -> CellPlan {
        let edgeWeights = GradMode.disabled { architecture.edgeWeights(cell) }
        var coefficients = [Float](repeating: 0, count: CellTopology.edgeCount * OperationSpace.operationCount)
        for (edge, kind) in choice.enumerated() { coefficients[edge * OperationSpace.operationCount + kind.index] = edgeWeights.data[edge] }
        return CellPlan(operations: choice.map { [$0] },
                        coefficients: Tensor(shape: [CellTopology.edgeCount, OperationSpace.operationCount], data: coefficients),
                        edgeWeights: edgeWeights)
    }
}
