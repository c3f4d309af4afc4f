import Binary
import Tensor

/// The shape of a network built from a genotype.
public struct NetworkShape: Codable, Equatable, Sendable {
    public var inputChannels: Int
    public var imageSize: Int
    public var classes: Int
    public var layers: Int
    public var channels: Int
    public var auxiliary: Bool
    /// Binarization of the cells' convolutions; the stem, the classifier and the auxiliary head stay real.
    public var binarization: BinarizationConfig

    public init(inputChannels: Int, imageSize: Int, classes: Int, layers: Int, channels: Int, auxiliary: Bool = false,
                binarization: BinarizationConfig = .float) {
        self.inputChannels = inputChannels
        self.imageSize = imageSize
        self.classes = classes
        self.layers = layers
        self.channels = channels
        self.auxiliary = auxiliary
        self.binarization = binarization
    }

    /// Refuses shapes the network cannot be built for, with the reason.
    public func validate() throws {
        guard inputChannels >= 1 else { throw NetworkShapeError("images need at least 1 channel, got \(inputChannels)") }
        guard classes >= 1 else { throw NetworkShapeError("a classifier needs at least 1 class, got \(classes)") }
        guard layers >= 3 else { throw NetworkShapeError("a network needs at least 3 cells (two reductions), got \(layers)") }
        guard channels >= 2, channels % 2 == 0 else { throw NetworkShapeError("channels must be even and at least 2, got \(channels)") }
        // Two reductions halve the image twice, and FactorizedReduce needs an even size each time.
        guard imageSize >= 4, imageSize % 4 == 0 else {
            throw NetworkShapeError("images of \(imageSize)x\(imageSize) pixels cannot be halved twice: the side must be a multiple of 4")
        }
    }

    /// Weights every network of this shape has at least, whatever its genotype: the stem's 3C x
    /// inputChannels 3x3 convolution, each cell's 1x1 convolution of the previous cell's output (at least
    /// C x C: both have at least C channels) and the classifier's (at least C inputs per class). A file
    /// that describes a network is refused with it when it holds fewer values, before the network is
    /// built: a damaged header cannot make bnas allocate more than its file can fill. A Double, as the
    /// products of absurd shapes do not fit an Int.
    public var minimumWeightCount: Double {
        let c = Double(channels)
        return 27 * c * Double(inputChannels) + Double(layers) * c * c + c * Double(classes)
    }

    /// Cells at layers/3 and 2*layers/3 are reduction cells (docs/algorithms.md#search-space).
    public func isReduction(_ layer: Int) -> Bool { layers >= 3 ? (layer == layers / 3 || layer == 2 * layers / 3) : layer == 1 }
}

public struct NetworkShapeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Stem conv3x3 (3C) + BN, `layers` cells with reductions at layers/3 and 2*layers/3 (channels
/// doubling there), global average pool and a linear classifier; an optional auxiliary head after
/// the second reduction (DARTS's final-training recipe).
public final class GenotypeNetwork: Layer {
    public let genotype: Genotype
    public let shape: NetworkShape
    let stem: Sequential
    let cells: [Cell]
    let classifier: Linear
    let auxiliaryHead: AuxiliaryHead?
    let auxiliaryAfter: Int

    public init(genotype: Genotype, shape: NetworkShape, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        self.genotype = genotype
        self.shape = shape
        let stemChannels = 3 * shape.channels
        stem = Sequential([
            Conv2d(inChannels: shape.inputChannels, outChannels: stemChannels, kernel: 3, padding: 1, rng: &rng),
            BatchNorm2d(channels: stemChannels),
        ])
        var (previousPrevious, previous, channels) = (stemChannels, stemChannels, shape.channels)
        var previousWasReduction = false
        var cells: [Cell] = []
        var size = shape.imageSize
        var auxiliaryChannels = 0
        var auxiliarySize = 0
        for layer in 0..<shape.layers {
            let reduction = shape.isReduction(layer)
            if reduction { channels *= 2; size = (size + 1) / 2 }
            let cell = Cell(genotype: genotype, previousPrevious: previousPrevious, previous: previous, channels: channels,
                            isReduction: reduction, previousWasReduction: previousWasReduction,
                            binarization: shape.binarization, rng: &rng)
            cells.append(cell)
            previousWasReduction = reduction
            (previousPrevious, previous) = (previous, cell.multiplier * channels)
            if layer == 2 * shape.layers / 3 { auxiliaryChannels = previous; auxiliarySize = size }
        }
        self.cells = cells
        auxiliaryAfter = 2 * shape.layers / 3
        auxiliaryHead = shape.auxiliary
            ? AuxiliaryHead(inChannels: auxiliaryChannels, inputSize: auxiliarySize, classes: shape.classes, rng: &rng) : nil
        classifier = Linear(inFeatures: previous, outFeatures: shape.classes, rng: &rng)
    }

    public var sublayers: [any Layer] { [stem] + cells + [classifier] + (auxiliaryHead.map { [$0] } ?? []) }

    /// The convolutions of the cells (binarized when the shape says so).
    public var cellConvolutions: [Conv2d] { cells.flatMap { $0.allLayers.compactMap { $0 as? Conv2d } } }

    /// The latent weights of the binarized cell convolutions: what their signs are taken of, and
    /// what the training recipe clips and keeps from weight decay (none in a float network).
    public var latentWeights: [Tensor] {
        cellConvolutions.filter(\.binarization.isBinary).map(\.weight)
    }

    /// Whether the binarized cell convolutions compute with real-valued weights (two-step training's
    /// first step, docs/algorithms.md#training-recipe); false in a float network.
    public var usesRealWeights: Bool {
        get { cellConvolutions.contains { $0.binarization.isBinary && $0.usesRealWeights } }
        set { for conv in cellConvolutions where conv.binarization.isBinary { conv.usesRealWeights = newValue } }
    }

    /// Parameters stored with one bit each: the weights of binarized cell convolutions (PCNN's
    /// projections only serve training and are not counted).
    public var binaryParameterCount: Int {
        shape.binarization.isBinary ? cellConvolutions.reduce(0) { $0 + $1.weight.count } : 0
    }

    /// Parameters kept in 32 bits: everything else but the auxiliary head and PCNN's projections.
    public var floatParameterCount: Int {
        let projections = cellConvolutions.reduce(0) { $0 + ($1.projection?.count ?? 0) }
        return parameterCount - binaryParameterCount - projections - (auxiliaryHead?.parameterCount ?? 0)
    }

    /// Adds PCNN's projection-loss gradients to every binarized convolution (call after backward).
    public func addProjectionLossGradients() {
        guard shape.binarization.weights == .pcnn, !usesRealWeights else { return }
        for conv in cellConvolutions { conv.addProjectionLossGradients() }
    }

    /// Logits [N, classes] and, in training with an auxiliary head, the auxiliary logits.
    public func callAsFunction(_ x: Tensor, training: Bool, dropPath: inout DropPath) -> (logits: Tensor, auxiliary: Tensor?) {
        var s0 = stem(x, training: training)
        var s1 = s0
        var auxiliary: Tensor?
        for (layer, cell) in cells.enumerated() {
            (s0, s1) = (s1, cell(s0, s1, training: training, dropPath: &dropPath))
            if layer == auxiliaryAfter, training, let auxiliaryHead { auxiliary = auxiliaryHead(s1, training: training) }
        }
        return (classifier(s1.globalAvgPool(), training: training), auxiliary)
    }

    /// Logits for evaluation (no drop-path, no auxiliary head, no graph).
    public func predict(_ x: Tensor) -> Tensor {
        var noDrop = DropPath(probability: 0, seed: 0)
        return GradMode.disabled { self(x, training: false, dropPath: &noDrop).logits }
    }
}

/// DARTS's auxiliary classifier: ReLU, 5x5 average pool down to 2x2, conv1x1 128 + BN + ReLU,
/// conv2x2 768 + BN + ReLU, linear. The pool stride adapts so that 7x7 (28-pixel input) and 8x8
/// (32-pixel input) maps both come out at 2x2.
final class AuxiliaryHead: UnaryLayer {
    let poolStride: Int
    let features: Sequential
    let classifier: Linear

    init(inChannels: Int, inputSize: Int, classes: Int, rng: inout SeededRNG) {
        poolStride = max(1, inputSize - 5)
        features = Sequential([
            Conv2d(inChannels: inChannels, outChannels: 128, kernel: 1, rng: &rng), BatchNorm2d(channels: 128), ReLU(),
            Conv2d(inChannels: 128, outChannels: 768, kernel: 2, rng: &rng), BatchNorm2d(channels: 768), ReLU(),
        ])
        classifier = Linear(inFeatures: 768, outFeatures: classes, rng: &rng)
    }

    var sublayers: [any Layer] { [features, classifier] }

    func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let pooled = x.relu().avgPool2d(kernel: 5, stride: poolStride)
        return classifier(features(pooled, training: training).globalAvgPool(), training: training)
    }
}
