import Binary
import Tensor

/// A bias-free 2-d convolution (a batch norm follows every convolution here), optionally
/// binarized: XNOR or PCNN weights, and sign activations padded with +1 (docs/algorithms.md#binarisation).
public final class Conv2d: UnaryLayer {
    public let weight: Tensor
    /// PCNN's learned projection P (same shape as the weight, starts at 1); nil otherwise.
    public let projection: Tensor?
    /// The learnable threshold a_c of each input channel's sign, sign(x - a_c) (RSign, starts at 0),
    /// with `BinarizationConfig.usesThresholds`; nil otherwise.
    public let threshold: Tensor?
    public let binarization: BinarizationConfig
    public let stride, padding, dilation, groups: Int
    let record: PCNNRecord?
    /// Binary weights loaded from a model file, packed once; when set they replace the binarization of `weight`.
    private var frozenKernel: BinaryKernel?
    /// The binarization of `weight` (and `projection`) last computed, keyed by the tensors' versions at
    /// that time: any change of their values bumps a version, so a stale kernel is never returned.
    /// Confined to one thread at a time: a parallel region runs each layer in one task only.
    private var cachedKernel: (weightVersion: Int, projectionVersion: Int, kernel: BinaryKernel)?
    /// Two-step training's first step: a binarized convolution computes with its latent weights as
    /// real values, its activations still as `binarization` says (docs/algorithms.md#training-recipe).
    public var usesRealWeights = false

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        let shape = [outChannels, inChannels / groups, kernel, kernel]
        weight = Initializer.uniform(shape, fanIn: inChannels / groups * kernel * kernel, rng: &rng)
        let isPCNN = binarization.weights == .pcnn
        projection = isPCNN ? Tensor.filled(shape, value: 1, requiresGrad: true) : nil
        record = isPCNN ? PCNNRecord() : nil
        threshold = binarization.usesThresholds ? Tensor.zeros([inChannels], requiresGrad: true) : nil
        self.binarization = binarization
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }

    public var ownParameters: [Tensor] { [weight] + [projection, threshold].compactMap { $0 } }

    /// Binary weights loaded from a model file (nil until `freeze`).
    public var frozen: BinaryWeights? { frozenKernel?.weights }

    /// The signs and scales this convolution computes with (binarized layers only).
    public var binaryWeights: BinaryWeights { binaryKernel.weights }

    /// The binarized kernel with its packed sign bits: the frozen one, else the binarization of the
    /// current `weight`, packed once and reused until `weight` or `projection` changes.
    public var binaryKernel: BinaryKernel {
        if let frozenKernel { return frozenKernel }
        let versions = (weight: weight.version, projection: projection?.version ?? 0)
        if let cachedKernel, cachedKernel.weightVersion == versions.weight, cachedKernel.projectionVersion == versions.projection {
            return cachedKernel.kernel
        }
        let weights: BinaryWeights
        switch binarization.weights {
        case .pcnn: weights = BinaryWeights.pcnn(weight.data, projection: projection?.data ?? [], outChannels: weight.shape[0])
        case .xnor, .none: weights = BinaryWeights.xnor(weight.data, outChannels: weight.shape[0])
        }
        let kernel = BinaryKernel(weights, channelsPerGroup: weight.shape[1], kernel: weight.shape[2])
        cachedKernel = (versions.weight, versions.projection, kernel)
        return kernel
    }

    /// Fixes the binary weights (a model loaded for inference).
    public func freeze(_ weights: BinaryWeights) {
        precondition(weights.signs.count == weight.count && weights.scales.count == weight.shape[0], "frozen weights do not fit \(weight.shape)")
        frozenKernel = BinaryKernel(weights, channelsPerGroup: weight.shape[1], kernel: weight.shape[2])
    }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        guard binarization.isBinary else {
            return x.conv2d(weight, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }
        let binaryInput = binarization.binarizesActivations
        if usesRealWeights {
            let input = binaryInput ? x.signSTE(paddedBy: padding) : x
            return input.conv2d(weight, stride: stride, padding: binaryInput ? 0 : padding, dilation: dilation, groups: groups)
        }
        if binaryInput && !GradMode.isEnabled {
            return signForward(x, normalisedBy: nil)
        }
        let x = signInput(x)
        // The convolution takes sign(x) itself where its gradient loops can (no sign tensor is stored).
        let isDepthwise = groups > 1 && groups == weight.shape[0] && weight.shape[1] == 1
        let signOfInput = binaryInput && (isDepthwise || padding == 0)
        let signGradient = binarization.activationSignGradient
        let input = binaryInput && !signOfInput ? x.signSTE(paddedBy: padding, gradient: signGradient) : x
        return input.binarizedConv2d(weight: weight, projection: projection, kernel: binaryKernel, kind: binarization.weights,
                                     record: record, binaryInput: binaryInput, signOfInput: signOfInput, signGradient: signGradient,
                                     stride: stride, padding: binaryInput && !signOfInput ? 0 : padding, dilation: dilation, groups: groups)
    }

    /// What the sign of this convolution reads in training: x - a_c with thresholds (RSign), else x.
    /// At inference the kernels take the thresholds themselves (`BinaryConvolution.forward`).
    private func signInput(_ x: Tensor) -> Tensor {
        threshold.map { x.subtractingChannels($0) } ?? x
    }

    /// Whether `callAsFunction(_:normalisedBy:)` can take the batch norm that follows this convolution:
    /// inference (no gradient recorded, running statistics) of a convolution of sign activations,
    /// the convolutions the bit kernels run.
    public func takesNormalisation(training: Bool) -> Bool {
        !training && !GradMode.isEnabled && binarization.isBinary && binarization.binarizesActivations && !usesRealWeights
    }

    /// affine(conv(x)): a following batch norm at inference applied by the convolution to each image
    /// as it writes it (docs/algorithms.md#bit-kernels, BN after the integer GEMM); the same bits as the two layers
    /// one after the other. Only where `takesNormalisation` holds.
    public func callAsFunction(_ x: Tensor, normalisedBy affine: ChannelAffine) -> Tensor {
        precondition(takesNormalisation(training: false), "Conv2d: a batch norm is taken only at inference of sign activations")
        return signForward(x, normalisedBy: affine)
    }

    /// The forward of sign(x) (of sign(x - a_c) with thresholds) with no gradient to record: the bit
    /// kernels read the signs and their +1 padding straight from x, and apply `affine` when given.
    private func signForward(_ x: Tensor, normalisedBy affine: ChannelAffine?) -> Tensor {
        let geometry = ConvGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let output = BinaryConvolution.forward(geometry, input: x, kernel: binaryKernel, normalisedBy: affine, thresholds: threshold?.data)
        return Tensor(shape: [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth], data: output)
    }

    /// The blocks norm(pointwise(depthwise(x))), one after the other, at inference of sign
    /// activations in one pass on bits, where `BinaryConvolution.separable` runs them (no depthwise
    /// output and no block's output but the last written as a tensor); nil otherwise. The same bits
    /// as the layers one after the other.
    static func separable(_ blocks: [(depthwise: Conv2d, pointwise: Conv2d, norm: BatchNorm2d)], _ x: Tensor, training: Bool) -> Tensor? {
        guard let (stages, shape) = separableStages(blocks, x, training: training),
              let output = BinaryConvolution.separable(stages, input: x) else { return nil }
        return Tensor(shape: shape, data: output)
    }

    /// `separable` written into channels of a caller's batch, or added to them (`accumulate`):
    /// image n's output at `output + n * imageStride`. False, with nothing written, where
    /// `separable` would return nil or the output would not have `shape`.
    static func separable(_ blocks: [(depthwise: Conv2d, pointwise: Conv2d, norm: BatchNorm2d)], _ x: Tensor, shape: [Int],
                          into output: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) -> Bool {
        guard let (stages, outShape) = separableStages(blocks, x, training: false), outShape == shape else { return false }
        return BinaryConvolution.separable(stages, input: x, into: output, imageStride: imageStride, accumulate: accumulate)
    }

    /// The `SeparableBits` stages of the blocks on input x, with their output's shape; nil where they
    /// do not take the batch norm or do not chain. The first depthwise convolution's thresholds are
    /// compared as its planes are packed, each 1x1's go into its stage's sign rules. A later block
    /// whose depthwise convolution has thresholds does not chain: the stage before it stores sign
    /// bits of its output, not the output.
    private static func separableStages(_ blocks: [(depthwise: Conv2d, pointwise: Conv2d, norm: BatchNorm2d)], _ x: Tensor,
                                        training: Bool) -> ([SeparableBits.Stage], [Int])? {
        guard blocks.allSatisfy({ $0.depthwise.takesNormalisation(training: training) && $0.pointwise.takesNormalisation(training: training) }),
              blocks.dropFirst().allSatisfy({ $0.depthwise.threshold == nil }), x.shape.count == 4 else { return nil }
        var shape = x.shape
        var stages: [SeparableBits.Stage] = []
        for (depthwise, pointwise, norm) in blocks {
            guard shape[1] == depthwise.weight.shape[1] * depthwise.groups else { return nil }
            let d = ConvGeometry(input: shape, weight: depthwise.weight.shape, stride: depthwise.stride, padding: depthwise.padding,
                                 dilation: depthwise.dilation, groups: depthwise.groups)
            let p = ConvGeometry(input: [d.batch, d.outChannels, d.outHeight, d.outWidth], weight: pointwise.weight.shape,
                                 stride: pointwise.stride, padding: pointwise.padding, dilation: pointwise.dilation, groups: pointwise.groups)
            stages.append(SeparableBits.Stage(depthwise: d, depthwiseKernel: depthwise.binaryKernel, pointwise: p,
                                              pointwiseKernel: pointwise.binaryKernel, depthwiseThresholds: depthwise.threshold?.data,
                                              pointwiseThresholds: pointwise.threshold?.data, affine: norm.inferenceAffine))
            shape = [p.batch, p.outChannels, p.outHeight, p.outWidth]
        }
        return (stages, shape)
    }

    /// norm(self(x)), with the batch norm taken by the convolution where it can (`takesNormalisation`).
    public func callAsFunction(_ x: Tensor, training: Bool, then norm: BatchNorm2d) -> Tensor {
        guard takesNormalisation(training: training) else { return norm(self(x, training: training), training: training) }
        return self(x, normalisedBy: norm.inferenceAffine)
    }

    /// Adds PCNN's projection-loss gradients (after the task loss's backward pass); nothing for other kinds.
    public func addProjectionLossGradients() {
        guard let projection, let record else { return }
        PCNNProjectionLoss.addGradients(weight: weight, projection: projection, record: record)
    }
}

/// Batch norm over channels, optionally affine (the search cells use affine=False).
public final class BatchNorm2d: UnaryLayer {
    public let gamma: Tensor?
    public let beta: Tensor?
    public let statistics: BatchNormStatistics

    public init(channels: Int, affine: Bool = true) {
        gamma = affine ? Tensor.filled([channels], value: 1, requiresGrad: true) : nil
        beta = affine ? Tensor.zeros([channels], requiresGrad: true) : nil
        statistics = BatchNormStatistics(channels: channels)
    }

    public var ownParameters: [Tensor] { [gamma, beta].compactMap { $0 } }

    /// The normalisation with the running statistics as y = x * scale + shift per channel.
    public var inferenceAffine: ChannelAffine { statistics.inferenceAffine(gamma: gamma?.data, beta: beta?.data) }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        x.batchNorm(gamma: gamma, beta: beta, statistics: statistics, training: training)
    }
}

/// A fully connected layer with bias.
public final class Linear: UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor

    public init(inFeatures: Int, outFeatures: Int, rng: inout SeededRNG) {
        weight = Initializer.uniform([outFeatures, inFeatures], fanIn: inFeatures, rng: &rng)
        bias = Initializer.uniform([outFeatures], fanIn: inFeatures, rng: &rng)
    }

    public var ownParameters: [Tensor] { [weight, bias] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        x.linear(weight: weight, bias: bias)
    }
}

/// Layers applied one after the other.
public final class Sequential: UnaryLayer {
    public let layers: [any UnaryLayer]

    public init(_ layers: [any UnaryLayer]) { self.layers = layers }

    public var sublayers: [any Layer] { layers }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        layers.reduce(x) { $1($0, training: training) }
    }
}

/// RPReLU (ReActNet), after the batch norm of a binarized block in the ReAct flavour
/// (docs/algorithms.md#react-flavour): f(x) = x - gamma_c + zeta_c for x > gamma_c, else
/// beta_c (x - gamma_c) + zeta_c, a PReLU whose kink the block learns to move; it shifts and bends
/// the distribution the next sign reads.
public final class RPReLU: UnaryLayer {
    /// Where the kink is (starts at 0).
    public let gamma: Tensor
    /// The slope below the kink (starts at 0.25).
    public let beta: Tensor
    /// The output at the kink (starts at 0).
    public let zeta: Tensor

    public init(channels: Int) {
        gamma = Tensor.zeros([channels], requiresGrad: true)
        beta = Tensor.filled([channels], value: 0.25, requiresGrad: true)
        zeta = Tensor.zeros([channels], requiresGrad: true)
    }

    public var ownParameters: [Tensor] { [gamma, beta, zeta] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        x.rprelu(gamma: gamma, beta: beta, zeta: zeta)
    }

    /// RPReLU of x + shortcut, in one pass.
    public func callAsFunction(_ x: Tensor, adding shortcut: Tensor) -> Tensor {
        x.rprelu(gamma: gamma, beta: beta, zeta: zeta, adding: shortcut)
    }

    /// RPReLU of x (+ shortcut) written or added into channels of a caller's batch (a cell's output at inference).
    func write(_ x: Tensor, adding shortcut: Tensor?, into target: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) {
        x.rprelu(gamma: gamma, beta: beta, zeta: zeta, adding: shortcut, into: target, imageStride: imageStride, accumulate: accumulate)
    }
}

/// max(x, 0).
public final class ReLU: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor { x.relu() }
}
