import Binary
import Tensor

/// An op's leading activation: ReLU, or nothing when its convolutions take sign(x) themselves
/// (sign(ReLU(x)) would be +1 everywhere, docs/algorithms.md#binarisation).
func leadingActivation(_ x: Tensor, _ binarization: BinarizationConfig) -> Tensor {
    binarization.binarizesActivations ? x : x.relu()
}

/// The end of a binarized block in the ReAct flavour (docs/algorithms.md#react-flavour): the block's
/// input added to its output where their shapes match (Bi-Real Net's real-valued shortcut, with
/// `BinarizationConfig.usesShortcuts`), then RPReLU (with `usesThresholds`). The shortcut comes
/// first, as in ReActNet's blocks: RPReLU shifts and bends the sum that the next sign reads, and real
/// values pass every sign through the shortcuts.
final class BlockEnd: Layer {
    let shortcut: Bool
    let rprelu: RPReLU?

    /// nil where the block ends at its batch norm (no shortcut, no RPReLU). A shortcut needs the
    /// block's output shaped like its input: stride 1 and as many channels out as in.
    init?(inChannels: Int, outChannels: Int, stride: Int, binarization: BinarizationConfig) {
        shortcut = binarization.usesShortcuts && stride == 1 && inChannels == outChannels
        rprelu = binarization.usesThresholds ? RPReLU(channels: outChannels) : nil
        if !shortcut && rprelu == nil { return nil }
    }

    var sublayers: [any Layer] { rprelu.map { [$0] } ?? [] }

    /// rprelu(input + output) in one pass, or either part alone.
    func callAsFunction(_ output: Tensor, input: Tensor, training: Bool) -> Tensor {
        precondition(!shortcut || output.shape == input.shape, "BlockEnd: a shortcut from \(input.shape) to \(output.shape)")
        guard let rprelu else { return shortcut ? input + output : output }
        return shortcut ? rprelu(output, adding: input) : rprelu(output, training: training)
    }

    /// `callAsFunction` written into channels of a caller's batch, or added to them (`WritesInPlace`);
    /// with RPReLU in the same pass, without it from the sum.
    func write(_ output: Tensor, input: Tensor, into target: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) {
        guard let rprelu else {
            return self(output, input: input, training: false).write(into: target, imageStride: imageStride, accumulate: accumulate)
        }
        precondition(!shortcut || output.shape == input.shape, "BlockEnd: a shortcut from \(input.shape) to \(output.shape)")
        rprelu.write(output, adding: shortcut ? input : nil, into: target, imageStride: imageStride, accumulate: accumulate)
    }
}

/// ReLU -> conv kxk -> BN: the cell preprocessing (1x1) and the stem of the auxiliary head.
/// In the ReAct flavour its `BlockEnd` follows.
public final class ReLUConvBN: UnaryLayer {
    let conv: Conv2d
    let norm: BatchNorm2d
    let end: BlockEnd?

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, affine: Bool,
                binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        conv = Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding,
                      binarization: binarization, rng: &rng)
        norm = BatchNorm2d(channels: outChannels, affine: affine)
        end = BlockEnd(inChannels: inChannels, outChannels: outChannels, stride: stride, binarization: binarization)
    }

    public var sublayers: [any Layer] { [conv, norm] + (end.map { [$0] } ?? []) }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let output = conv(leadingActivation(x, conv.binarization), training: training, then: norm)
        return end.map { $0(output, input: x, training: training) } ?? output
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
/// In the ReAct flavour its `BlockEnd` follows.
public final class DilConv: UnaryLayer, WritesInPlace {
    let depthwise: Conv2d
    let pointwise: Conv2d
    let norm: BatchNorm2d
    let end: BlockEnd?

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, dilation: Int,
                affine: Bool, binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        depthwise = Conv2d(inChannels: inChannels, outChannels: inChannels, kernel: kernel, stride: stride,
                           padding: padding, dilation: dilation, groups: inChannels, binarization: binarization, rng: &rng)
        pointwise = Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, binarization: binarization, rng: &rng)
        norm = BatchNorm2d(channels: outChannels, affine: affine)
        end = BlockEnd(inChannels: inChannels, outChannels: outChannels, stride: stride, binarization: binarization)
    }

    public var sublayers: [any Layer] { [depthwise, pointwise, norm] + (end.map { [$0] } ?? []) }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let output = beforeEnd(x, training: training)
        return end.map { $0(output, input: x, training: training) } ?? output
    }

    /// The block up to its batch norm: on bits in one pass where `Conv2d.separable` runs it.
    private func beforeEnd(_ x: Tensor, training: Bool) -> Tensor {
        let activated = leadingActivation(x, depthwise.binarization)
        if depthwise.takesNormalisation(training: training), let fused = Conv2d.separable(blocks, activated, training: training) {
            return fused
        }
        return pointwise(depthwise(activated, training: training), training: training, then: norm)
    }

    /// The block as `Conv2d.separable` takes it.
    var blocks: [(depthwise: Conv2d, pointwise: Conv2d, norm: BatchNorm2d)] { [(depthwise, pointwise, norm)] }

    /// Without a `BlockEnd`, the separable stages write in place from their GEMM's store; with one,
    /// the end reads the stages' output and writes its result in place.
    func write(_ x: Tensor, shape: [Int], into output: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) -> Bool {
        guard let end else { return Conv2d.separable(blocks, x, shape: shape, into: output, imageStride: imageStride, accumulate: accumulate) }
        let blockOutput = beforeEnd(x, training: false)
        guard blockOutput.shape == shape else { return false }
        end.write(blockOutput, input: x, into: output, imageStride: imageStride, accumulate: accumulate)
        return true
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
        // At inference on bits, both halves in one pass, an image at a time (no tensor between them),
        // where no `BlockEnd` needs the first half's output; else each half fuses on its own.
        if first.end == nil && second.end == nil && first.depthwise.takesNormalisation(training: training),
           let fused = Conv2d.separable(first.blocks + second.blocks, x, training: training) {
            return fused
        }
        return second(first(x, training: training), training: training)
    }

    func write(_ x: Tensor, shape: [Int], into output: UnsafeMutablePointer<Float>, imageStride: Int, accumulate: Bool) -> Bool {
        if first.end == nil && second.end == nil {
            return Conv2d.separable(first.blocks + second.blocks, x, shape: shape, into: output, imageStride: imageStride, accumulate: accumulate)
        }
        return second.write(first(x, training: false), shape: shape, into: output, imageStride: imageStride, accumulate: accumulate)
    }
}

/// Halves the resolution without losing pixels: two 1x1 stride-2 convolutions, the second on the
/// input shifted by one pixel, concatenated on channels, then BN (skip_connect at stride 2).
/// In the ReAct flavour RPReLU follows (its `BlockEnd`: no shortcut at stride 2).
public final class FactorizedReduce: UnaryLayer {
    let left: Conv2d
    let right: Conv2d
    let norm: BatchNorm2d
    let end: BlockEnd?

    public init(inChannels: Int, outChannels: Int, affine: Bool, binarization: BinarizationConfig = .float, rng: inout SeededRNG) {
        precondition(outChannels % 2 == 0, "FactorizedReduce needs an even channel count, got \(outChannels)")
        left = Conv2d(inChannels: inChannels, outChannels: outChannels / 2, kernel: 1, stride: 2, binarization: binarization, rng: &rng)
        right = Conv2d(inChannels: inChannels, outChannels: outChannels / 2, kernel: 1, stride: 2, binarization: binarization, rng: &rng)
        norm = BatchNorm2d(channels: outChannels, affine: affine)
        end = BlockEnd(inChannels: inChannels, outChannels: outChannels, stride: 2, binarization: binarization)
    }

    public var sublayers: [any Layer] { [left, right, norm] + (end.map { [$0] } ?? []) }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        let activated = leadingActivation(x, left.binarization)
        let shifted = activated.cropSpatial(top: 1, left: 1)
        let output: Tensor
        if left.takesNormalisation(training: training) {
            // Each half takes its channels of the batch norm: the same bits as normalising the concat.
            let (affine, half) = (norm.inferenceAffine, left.weight.shape[0])
            output = Tensor.concatChannels([left(activated, normalisedBy: affine.channels(0..<half)),
                                            right(shifted, normalisedBy: affine.channels(half..<affine.channels))])
        } else {
            output = norm(Tensor.concatChannels([left(activated, training: training), right(shifted, training: training)]), training: training)
        }
        return end.map { $0(output, input: x, training: training) } ?? output
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
