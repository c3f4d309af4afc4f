/// y = y * scale[c] + shift[c] on every plane of channel c of an NCHW tensor: what a batch norm does at
/// inference, with its running statistics fixed.
///
/// A convolution that a batch norm follows takes one of these and applies it to each image right
/// after writing it, while the image is still in cache, instead of the batch norm reading and writing
/// the whole tensor again (docs/algorithms.md#bit-kernels: BN after the integer GEMM). `apply` does the arithmetic of
/// `Tensor.batchNorm`'s output pass, a multiply rounded and then an add rounded, so the result has
/// the same bits as the two layers run one after the other.
public struct ChannelAffine: Equatable, Sendable {
    public let scale: [Float]
    public let shift: [Float]

    public init(scale: [Float], shift: [Float]) {
        precondition(scale.count == shift.count, "ChannelAffine: \(scale.count) scales for \(shift.count) shifts")
        self.scale = scale
        self.shift = shift
    }

    /// The normalisation (x - mean) * inverseStd * gamma + beta written as x * scale + shift, with
    /// scale = gamma * inverseStd and shift = beta - mean * scale (gamma 1 and beta 0 when absent).
    public init(mean: [Float], inverseStd: [Float], gamma: [Float]?, beta: [Float]?) {
        let channels = mean.indices
        let scale = channels.map { (gamma?[$0] ?? 1) * inverseStd[$0] }
        self.init(scale: scale, shift: channels.map { (beta?[$0] ?? 0) - mean[$0] * scale[$0] })
    }

    public var channels: Int { scale.count }

    /// Channels `range` as an affine of their own (a convolution writing part of a batch norm's channels).
    public func channels(_ range: Range<Int>) -> ChannelAffine {
        ChannelAffine(scale: Array(scale[range]), shift: Array(shift[range]))
    }

    /// Applies the affine to one image's `channels` planes of `pixels` values at `image`, in place.
    @inline(__always)
    public func apply(toImage image: UnsafeMutablePointer<Float>, pixels: Int) {
        for c in 0..<channels { apply(image + c * pixels, into: image + c * pixels, channel: c, pixels: pixels) }
    }

    /// target[i] = source[i] * scale[channel] + shift[channel] for the `pixels` values of one plane
    /// (`source` may be `target`).
    @inline(__always)
    public func apply(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, channel: Int, pixels: Int) {
        let (a, b) = (scale[channel], shift[channel])
        for i in 0..<pixels { target[i] = source[i] * a + b }
    }

    /// Applies the affine to the NCHW batch at `source` (planes of `pixels` values), writing `target`
    /// (which may be `source`), on the workers.
    public func apply(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, batch: Int, pixels: Int) {
        Parallelism.forEachChunk(batch * channels, valuesEach: pixels) { planes in
            for plane in planes {
                apply(source + plane * pixels, into: target + plane * pixels, channel: plane % channels, pixels: pixels)
            }
        }
    }
}
