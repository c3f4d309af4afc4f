/// A binarized convolution kernel ready for the bit kernels: its signs and scales, and the signs
/// packed once in the row order of `BitPacking.packedIm2col` (one row of Cg * k * k bits per output
/// channel, (ky, kx, channel) with channels fastest; a depthwise kernel has Cg = 1, so its rows are
/// the k * k taps in order). The bits are derived from `weights` in `init` and both are immutable,
/// so they cannot disagree; a layer keeps one `BinaryKernel` for as long as its weights do not change.
public struct BinaryKernel: Sendable, Equatable {
    public let weights: BinaryWeights
    public let bits: PackedMatrix
    /// Input channels per group (Cg) and the kernel's side k.
    public let channelsPerGroup, kernel: Int

    public init(_ weights: BinaryWeights, channelsPerGroup: Int, kernel: Int, counters: KernelCounters = .current) {
        precondition(weights.signs.count == weights.outChannels * channelsPerGroup * kernel * kernel,
                     "BinaryKernel: \(weights.signs.count) signs for \(weights.outChannels) x \(channelsPerGroup) x \(kernel) x \(kernel)")
        self.weights = weights
        self.channelsPerGroup = channelsPerGroup
        self.kernel = kernel
        bits = BitPacking.packWeights(weight: weights.signs, outChannels: weights.outChannels, inChannels: channelsPerGroup,
                                      kernel: kernel, counters: counters)
    }
}
