import Binary
import Network
import Tensor

/// What one forward pass of a cell computes: the ops of each edge and their coefficients.
/// A search step uses softmax(alpha) * softmax(beta); a sampled sub-network one op per edge.
struct CellPlan {
    /// Per edge, the ops to compute (`none` is skipped: its output is zero, so it adds nothing).
    let operations: [[OperationKind]]
    /// [14, 8]: the coefficient of op o's output on edge e.
    let coefficients: Tensor
    /// [14]: softmax(beta) of each edge, which also scales the channels that bypass the ops.
    let edgeWeights: Tensor
}

/// PC-DARTS's partial-channel mixed operation (REFERENCE.md §2): the first C/K channels go through
/// the weighted sum of the surviving ops, the others bypass them (max-pooled 2x2 at stride 2), and
/// the two parts are concatenated and channel-shuffled with K groups.
final class MixedOperation: Layer {
    let stride: Int
    let partialK: Int
    /// The candidate ops with weights or state, indexed by `OperationKind.index` (nil for `none`).
    let candidates: [(any UnaryLayer)?]

    init(channels: Int, stride: Int, partialK: Int, binarization: BinarizationConfig, rng: inout SeededRNG) {
        self.stride = stride
        self.partialK = partialK
        candidates = OperationKind.allCases.map { kind in
            kind == .none ? nil : kind.makeLayer(channels: channels / partialK, stride: stride, affine: false,
                                                 inSupernet: true, binarization: binarization, rng: &rng)
        }
    }

    var sublayers: [any Layer] { candidates.compactMap { $0 } }

    func callAsFunction(_ x: Tensor, edge: Int, plan: CellPlan, training: Bool) -> Tensor {
        let channels = x.shape[1]
        let partial = channels / partialK
        let routed = partialK == 1 ? x : x.sliceChannels(0..<partial)
        let operations = plan.operations[edge]
        let terms = operations.compactMap { kind -> Tensor? in
            guard let operation = candidates[kind.index] else { return nil }
            return operation(routed, training: training).scaled(by: plan.coefficients, at: edge * OperationSpace.operationCount + kind.index)
        }
        let mixed: Tensor
        switch terms.count {
        case 0:  // a sampled sub-network chose `none` here
            let (height, width) = ((x.shape[2] + stride - 1) / stride, (x.shape[3] + stride - 1) / stride)
            mixed = Tensor.zeros([x.shape[0], partial, height, width])
        case 1: mixed = terms[0]
        default: mixed = Tensor.sum(terms)
        }
        guard partialK > 1 else { return mixed }
        var bypass = x.sliceChannels(partial..<channels)
        if stride == 2 { bypass = bypass.maxPool2d(kernel: 2, stride: 2) }
        return Tensor.concatChannels([mixed, bypass.scaled(by: plan.edgeWeights, at: edge)]).channelShuffle(groups: partialK)
    }
}

/// A search cell (REFERENCE.md §1): two preprocessed inputs, four intermediate nodes, each the
/// beta-weighted sum of a mixed op on every earlier node; output = concat of the four nodes.
final class SearchCell: Layer {
    let isReduction: Bool
    let preprocess0: any UnaryLayer
    let preprocess1: any UnaryLayer
    let edges: [MixedOperation]

    init(previousPrevious: Int, previous: Int, channels: Int, isReduction: Bool, previousWasReduction: Bool,
         partialK: Int, binarization: BinarizationConfig, rng: inout SeededRNG) {
        self.isReduction = isReduction
        preprocess0 = previousWasReduction
            ? FactorizedReduce(inChannels: previousPrevious, outChannels: channels, affine: false, binarization: binarization, rng: &rng)
            : ReLUConvBN(inChannels: previousPrevious, outChannels: channels, kernel: 1, stride: 1, padding: 0, affine: false,
                         binarization: binarization, rng: &rng)
        preprocess1 = ReLUConvBN(inChannels: previous, outChannels: channels, kernel: 1, stride: 1, padding: 0, affine: false,
                                 binarization: binarization, rng: &rng)
        edges = (0..<OperationSpace.edgeCount).map { edge in
            let stride = isReduction && OperationSpace.input(ofEdge: edge) < 2 ? 2 : 1
            return MixedOperation(channels: channels, stride: stride, partialK: partialK, binarization: binarization, rng: &rng)
        }
    }

    var sublayers: [any Layer] { [preprocess0, preprocess1] + edges }

    func callAsFunction(_ s0: Tensor, _ s1: Tensor, plan: CellPlan, training: Bool) -> Tensor {
        var states = [preprocess0(s0, training: training), preprocess1(s1, training: training)]
        for incoming in OperationSpace.nodeEdges {
            let terms = incoming.map { edge in
                edges[edge](states[OperationSpace.input(ofEdge: edge)], edge: edge, plan: plan, training: training)
            }
            states.append(Tensor.sum(terms))
        }
        return Tensor.concatChannels(Array(states[2...]))
    }
}
