import Binary
import Tensor

/// Drop-path regularisation (DARTS's final training): in training, each sample's output of a
/// non-identity edge is zeroed with `probability` and otherwise scaled by 1/(1-probability).
public struct DropPath {
    public var probability: Float
    public var rng: SeededRNG

    public init(probability: Float, seed: UInt64) {
        self.probability = probability
        rng = SeededRNG(seed: seed)
    }

    mutating func apply(_ x: Tensor) -> Tensor {
        guard probability > 0 else { return x }
        let keep = 1 - probability
        let factors = (0..<x.shape[0]).map { _ in rng.nextUniform() < keep ? 1 / keep : 0 }
        return x.scaledPerSample(factors)
    }
}

/// A cell built from a genotype (docs/algorithms.md#search-space): two preprocessed inputs, four intermediate nodes
/// each summing two edges, output = channel concat of the genotype's concat nodes.
public final class Cell: Layer {
    public let isReduction: Bool
    let preprocess0: any UnaryLayer
    let preprocess1: any UnaryLayer
    let edges: [GenotypeEdge]
    let operations: [any UnaryLayer]
    let concat: [Int]

    /// - Parameters: `previousPrevious`/`previous` are the channel counts of c_{k-2} and c_{k-1};
    ///   `channels` is C of this cell; `previousWasReduction` makes preprocess0 a FactorizedReduce.
    ///   `binarization` reaches the preprocessing and every operation's convolutions.
    public init(genotype: Genotype, previousPrevious: Int, previous: Int, channels: Int,
                isReduction: Bool, previousWasReduction: Bool, binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        self.isReduction = isReduction
        (preprocess0, preprocess1) = Cell.preprocessing(previousPrevious: previousPrevious, previous: previous, channels: channels,
                                                         previousWasReduction: previousWasReduction, affine: true,
                                                         binarization: binarization, rng: &rng)
        edges = genotype.edges(isReduction ? .reduce : .normal)
        concat = genotype.concat(isReduction ? .reduce : .normal)
        var operations: [any UnaryLayer] = []
        for edge in edges {
            let stride = isReduction && edge.input < 2 ? 2 : 1
            operations.append(edge.operation.makeLayer(channels: channels, stride: stride, affine: true, binarization: binarization, rng: &rng))
        }
        self.operations = operations
    }

    /// The preprocessing of a cell's two inputs (docs/algorithms.md#search-space): c_{k-2} through ReLU-Conv1x1-BN, or
    /// FactorizedReduce when the cell before was a reduction; c_{k-1} through ReLU-Conv1x1-BN.
    /// The search cells use it too, with non-affine BN.
    public static func preprocessing(previousPrevious: Int, previous: Int, channels: Int, previousWasReduction: Bool, affine: Bool,
                                     binarization: BinarizationConfig, rng: inout SeededRNG) -> (any UnaryLayer, any UnaryLayer) {
        let first: any UnaryLayer = previousWasReduction
            ? FactorizedReduce(inChannels: previousPrevious, outChannels: channels, affine: affine, binarization: binarization, rng: &rng)
            : ReLUConvBN(inChannels: previousPrevious, outChannels: channels, kernel: 1, stride: 1, padding: 0, affine: affine,
                         binarization: binarization, rng: &rng)
        let second = ReLUConvBN(inChannels: previous, outChannels: channels, kernel: 1, stride: 1, padding: 0, affine: affine,
                                binarization: binarization, rng: &rng)
        return (first, second)
    }

    /// Output channels: C times the number of concatenated nodes.
    public var multiplier: Int { concat.count }

    public var sublayers: [any Layer] { [preprocess0, preprocess1] + operations }

    public func callAsFunction(_ s0: Tensor, _ s1: Tensor, training: Bool, dropPath: inout DropPath) -> Tensor {
        var states = [preprocess0(s0, training: training), preprocess1(s1, training: training)]
        if !training && !GradMode.isEnabled { return inference(states) }
        for node in 0..<Genotype.intermediateNodeCount {
            var terms: [Tensor] = []
            for slot in 0..<2 {
                let index = 2 * node + slot
                var h = operations[index](states[edges[index].input], training: training)
                if training && !(operations[index] is Identity) { h = dropPath.apply(h) }
                terms.append(h)
            }
            states.append(Tensor.sum(terms))
        }
        return Tensor.concatChannels(concat.map { states[$0] })
    }

    /// The forward without gradients, the output assembled in place: a node no later edge reads is
    /// never a tensor of its own. Its first term is written into its channels of the output and the
    /// second added there (`Tensor.sum`'s rounding), each by its op where the op writes in place
    /// (`WritesInPlace`: separable blocks on bits write from their GEMM's store), else copied or added
    /// from the op's result. Nodes that later edges read are summed as tensors and copied in. The
    /// first term of the first node is computed first: its shape is every node's.
    private func inference(_ inputs: [Tensor]) -> Tensor {
        var states: [Tensor?] = inputs
        let leading = operations[0](inputs[edges[0].input], training: false)
        let shape = leading.shape
        precondition(shape.count == 4, "Cell: a node of shape \(shape)")
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let imageStride = concat.count * channels * plane
        // Every channel of the output is written: the concat names intermediate nodes, each once (as
        // `Genotype.validate` requires).
        precondition(Set(concat).count == concat.count && concat.allSatisfy { (2..<2 + Genotype.intermediateNodeCount).contains($0) },
                     "Cell: concat \(concat) is not a list of distinct intermediate nodes")
        let data = [Float](unsafeUninitializedCapacity: batch * imageStride) { buffer, count in
            count = buffer.count
            guard let output = buffer.baseAddress else { return }
            for node in 0..<Genotype.intermediateNodeCount {
                let state = node + 2
                func term(_ index: Int) -> Tensor {
                    guard index > 0 else { return leading }
                    guard let input = states[edges[index].input] else { preconditionFailure("Cell: node \(edges[index].input) was not kept") }
                    let h = operations[index](input, training: false)
                    precondition(h.shape == shape, "Cell: node terms of shapes \(shape) and \(h.shape)")
                    return h
                }
                let position = concat.firstIndex(of: state)
                guard let position, !edges[(2 * node + 2)...].contains(where: { $0.input == state }) else {
                    let sum = Tensor.sum([term(2 * node), term(2 * node + 1)])
                    states.append(sum)
                    if let position { sum.write(into: output + position * channels * plane, imageStride: imageStride, accumulate: false) }
                    continue
                }
                let target = output + position * channels * plane
                for slot in 0..<2 {
                    let index = 2 * node + slot
                    if index > 0, let op = operations[index] as? WritesInPlace, let input = states[edges[index].input],
                       op.write(input, shape: shape, into: target, imageStride: imageStride, accumulate: slot == 1) {
                        continue
                    }
                    term(index).write(into: target, imageStride: imageStride, accumulate: slot == 1)
                }
                states.append(nil)
            }
        }
        return Tensor(shape: [batch, concat.count * channels, shape[2], shape[3]], data: data)
    }
}
