import Binary
import Tensor

/// An op's leading activation: ReLU, or nothing when its convolutions take sign(x) themselves
/// (sign(ReLU(x)) would be +1 everywhere, docs/algorithms.md#binarisation).
func leadingActivation(_ x: Tensor, _ binarization: BinarizationConfig) -> Tensor {
    binarization.binarizesActivations ? x : x.relu()
}

/// ReLU -> conv kxk -> BN: the cell preprocessing (1x1) and the stem of the auxiliary head.
public final class ReLUConvBN: UnaryLayer {
    let conv: Conv2d
    let norm: BatchNorm2d

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, affine: Bool,
                binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        conv = Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding,
                      binarization: binarization, rng: &rng)
        norm = BatchNorm2d(channels: outChannels, affine: affine)
    }

    public var sublayers: [any Layer] { [conv, norm] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        conv(leadingActivation(x, conv.binarization), training: training, then: norm)
    }
}

/// An op that can write its inference output straight into channels of a caller's batch (a cell's
/// output), or add it to them, where its kernels allow.
protocol WritesInPlace {
    /// Writes (or with `accumulate` adds) self(x) for batch image n at `output + n * imageStride`;
    /// false, with nothing written, where the op's output is not written so or would not have
    /// `shape`. Only at inference without gradients.
    func write(_ x: Tensor, shape: [Int], into output: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) -> Bool
}

/// ReLU -> depthwise kxk (dilated) -> pointwise 1x1 -> BN (docs/algorithms.md#search-space, `dil_conv_kxk`).
public final class DilConv: UnaryLayer, WritesInPlace {
    let depthwise: Conv2d
    let pointwise: Conv2d
    let norm: BatchNorm2d

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                affine: Bool, binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        depthwise = Conv2d(inChannels: inChannels, outChannels: inChannels, kernel: kernel, stride: stride,
                           padding: padding, dilation: dilation, groups: inChannels, binarization: binarization, rng: &rng)
        pointwise = Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, binarization: binarization, rng: &rng)
        norm = BatchNorm2d(channels: outChannels, affine: affine)
    }

    public var sublayers: [any Layer] { [depthwise, pointwise, norm] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let activated = leadingActivation(x, depthwise.binarization)
        if depthwise.takesNormalisation(training: training), let fused = Conv2d.separable(blocks, activated, training: training) {
            return fused
        }
        return pointwise(depthwise(activated, training: training), training: training, then: norm)
    }

    /// The block as `Conv2d.separable` takes it.
    var blocks: [(depthwise: Conv2d, pointwise: Conv2d, norm: BatchNorm2d)] { [(depthwise, pointwise, norm)] }

    func write(_ x: Tensor, shape: [Int], into output: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) -> Bool {
        Conv2d.separable(blocks, x, shape: shape, into: output, imageStride: imageStride, accumulate: accumulate)
    }
}

/// Two stacked DilConv blocks without dilation; only the first has the stride (`sep_conv_kxk`).
public final class SepConv: UnaryLayer, WritesInPlace {
    let first: DilConv
    let second: DilConv

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, affine: Bool,
                binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        first = DilConv(inChannels: inChannels, outChannels: inChannels, kernel: kernel, stride: stride,
                        padding: padding, dilation: 1, affine: affine, binarization: binarization, rng: &rng)
        second = DilConv(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: 1,
                         padding: padding, dilation: 1, affine: affine, binarization: binarization, rng: &rng)
    }

    public var sublayers: [any Layer] { [first, second] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        // At inference on bits, both halves in one pass, an image at a time (no tensor between them).
        if first.depthwise.takesNormalisation(training: training), let fused = Conv2d.separable(first.blocks + second.blocks, x, training: training) {
            return fused
        }
        return second(first(x, training: training), training: training)
    }

    func write(_ x: Tensor, shape: [Int], into output: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) -> Bool {
        Conv2d.separable(first.blocks + second.blocks, x, shape: shape, into: output, imageStride: imageStride, accumulate: accumulate)
    }
}

/// Halves the resolution without losing pixels: two 1x1 stride-2 convolutions, the second on the
/// input shifted by one pixel, concatenated on channels, then BN (skip_connect at stride 2).
public final class FactorizedReduce: UnaryLayer {
    let left: Conv2d
    let right: Conv2d
    let norm: BatchNorm2d

    public init(inChannels: Int, outChannels: Int, affine: Bool, binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        precondition(outChannels % 2 == 0, "FactorizedReduce needs an even channel count, got \(outChannels)")
        left = Conv2d(inChannels: inChannels, outChannels: outChannels / 2, kernel: 1, stride: 2, binarization: binarization, rng: &rng)
        right = Conv2d(inChannels: inChannels, outChannels: outChannels / 2, kernel: 1, stride: 2, binarization: binarization, rng: &rng)
        norm = BatchNorm2d(channels: outChannels, affine: affine)
    }

    public var sublayers: [any Layer] { [left, right, norm] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let activated = leadingActivation(x, left.binarization)
        let shifted = activated.cropSpatial(top: 1, left: 1)
        if left.takesNormalisation(training: training) {
            // Each half takes its channels of the batch norm: the same bits as normalising the concat.
            let (affine, half) = (norm.inferenceAffine, left.weight.shape[0])
            return Tensor.concatChannels([left(activated, normalisedBy: affine.channels(0..<half)),
                                          right(shifted, normalisedBy: affine.channels(half..<affine.channels))])
        }
        return norm(Tensor.concatChannels([left(activated, training: training), right(shifted, training: training)]), training: training)
    }
}

/// 3x3 max or average pooling with padding 1, optionally followed by a non-affine BN (inside the supernet).
public final class Pool3x3: UnaryLayer {
    public enum Kind: Sendable { case max, average }
    let kind: Kind
    let stride: Int
    let norm: BatchNorm2d?

    public init(_ kind: Kind, channels: Int, stride: Int, withBatchNorm: Bool) {
        self.kind = kind
        self.stride = stride
        norm = withBatchNorm ? BatchNorm2d(channels: channels, affine: false) : nil
    }

    public var sublayers: [any Layer] { norm.map { [$0] } ?? [] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let pooled = kind == .max ? x.maxPool2d(kernel: 3, stride: stride, padding: 1) : x.avgPool2d(kernel: 3, stride: stride, padding: 1)
        return norm.map { $0(pooled, training: training) } ?? pooled
    }
}

/// skip_connect at stride 1.
public final class Identity: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor { x }
}

/// The `none` operation: zeros of the (strided) output shape.
public final class Zero: UnaryLayer {
    let stride: Int
    public init(stride: Int) { self.stride = stride }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let (height, width) = ((x.shape[2] + stride - 1) / stride, (x.shape[3] + stride - 1) / stride)
        return Tensor.zeros([x.shape[0], x.shape[1], height, width])
    }
}

extension OperationKind {
    /// Builds the operation for `channels` in and out at `stride` (docs/algorithms.md#search-space). `inSupernet`
    /// adds the non-affine BN after pools that the DARTS supernet uses; `binarization` reaches
    /// every convolution of the op.
    public func makeLayer(channels: Int, stride: Int, affine: Bool, inSupernet: Bool = false,
                          binarization b: BinarizationConfig = .float, rng: inout SeededRNG) -> any UnaryLayer {
        switch self {
        case .none: return Zero(stride: stride)
        case .maxPool3x3: return Pool3x3(.max, channels: channels, stride: stride, withBatchNorm: inSupernet)
        case .avgPool3x3: return Pool3x3(.average, channels: channels, stride: stride, withBatchNorm: inSupernet)
        case .skipConnect:
            return stride == 1 ? Identity() : FactorizedReduce(inChannels: channels, outChannels: channels, affine: affine, binarization: b, rng: &rng)
        case .sepConv3x3:
            return SepConv(inChannels: channels, outChannels: channels, kernel: 3, stride: stride, padding: 1, affine: affine, binarization: b, rng: &rng)
        case .sepConv5x5:
            return SepConv(inChannels: channels, outChannels: channels, kernel: 5, stride: stride, padding: 2, affine: affine, binarization: b, rng: &rng)
        case .dilConv3x3:
            return DilConv(inChannels: channels, outChannels: channels, kernel: 3, stride: stride, padding: 2, dilation: 2, affine: affine, binarization: b, rng: &rng)
        case .dilConv5x5:
            return DilConv(inChannels: channels, outChannels: channels, kernel: 5, stride: stride, padding: 4, dilation: 2, affine: affine, binarization: b, rng: &rng)
        }
    }
}
