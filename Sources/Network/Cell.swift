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

/// A cell built from a genotype (REFERENCE.md §1): two preprocessed inputs, four intermediate nodes
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

    /// The preprocessing of a cell's two inputs (REFERENCE.md §1): c_{k-2} through ReLU-Conv1x1-BN, or
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
        // Without a gradient, a node no later edge reads is never written on its own: its two terms
        // are summed straight into its channels of the output (`Tensor.concatenatedSums`), which
        // saves the concatenation's copy of it. `terms[node]` holds them; its state stays nil.
        let direct = !training && !GradMode.isEnabled
        var states: [Tensor?] = [preprocess0(s0, training: training), preprocess1(s1, training: training)]
        var terms: [Int: [Tensor]] = [:]
        for node in 0..<Genotype.intermediateNodeCount {
            var pair: [Tensor] = []
            for slot in 0..<2 {
                let index = 2 * node + slot
                guard let input = states[edges[index].input] else { preconditionFailure("Cell: node \(edges[index].input) was not kept") }
                var h = operations[index](input, training: training)
                if training && !(operations[index] is Identity) { h = dropPath.apply(h) }
                pair.append(h)
            }
            let state = node + 2
            if direct && concat.contains(state) && !edges[(2 * node + 2)...].contains(where: { $0.input == state }) {
                terms[state] = pair
                states.append(nil)
            } else {
                states.append(Tensor.sum(pair))
            }
        }
        guard direct else { return Tensor.concatChannels(concat.map { states[$0]! }) }
        return Tensor.concatenatedSums(concat.map { terms[$0] ?? [states[$0]!] })
    }
}
