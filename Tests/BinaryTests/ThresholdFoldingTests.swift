import Testing
@testable import Binary
import Tensor

/// RSign's thresholds at inference: the kernels that compare each value with its channel's threshold
/// as they read it give the bits of the signs of x - a_c (`Tensor.subtractingChannels`, what training
/// computes), and every route of `BinaryConvolution.forward`, on the bit path and the float path, gives
/// the bits of the convolution of those signs.
@Suite(.serialized) struct ThresholdFoldingTests {
    /// Inputs with values equal to their channel's threshold, and ±0 against thresholds of ±0.
    static func inputs(_ shape: [Int], thresholds: [Float], seed: UInt64) -> [Float] {
        var values = TestData.values(shape.reduce(1, *), seed: seed)
        let plane = shape[2] * shape[3]
        for i in stride(from: 0, to: values.count, by: 5) { values[i] = thresholds[i / plane % shape[1]] }
        return values
    }

    static func thresholds(_ channels: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<channels).map { c in c % 4 == 0 ? 0 : c % 4 == 1 ? -0.0 : rng.nextNormal() * 0.5 }
    }

    @Test func packedSignsCompareWithTheThreshold() {
        let values = TestData.values(200, seed: 1) + [0, -0.0, 0.25, -0.25, .infinity, -.infinity]
        for threshold: Float in [0, -0.0, 0.25, -0.25, 1e-30] {
            var folded = [UInt64](repeating: 0, count: 4), shifted = folded
            let differences = values.map { $0 - threshold }
            values.withUnsafeBufferPointer { BitPacking.packSigns($0.baseAddress!, count: values.count, into: &folded, threshold: threshold) }
            differences.withUnsafeBufferPointer { BitPacking.packSigns($0.baseAddress!, count: values.count, into: &shifted) }
            #expect(folded == shifted, "threshold \(threshold)")
        }
    }

    /// Depthwise (bits and float kernels), 1x1 of few channels (`SignPointwise`, at strides 1 and 2),
    /// 1x1 and 3x3 deep enough for the XNOR GEMM: `forward(input:thresholds:)` equals the forward of
    /// the subtraction, on either path, to the bit.
    @Test(arguments: [(8, 8, 3, 1, 1, 8), (6, 6, 5, 2, 2, 6), (6, 5, 1, 0, 1, 1), (6, 5, 1, 0, 2, 1), (40, 12, 1, 0, 1, 1), (20, 8, 3, 1, 1, 1)])
    func everyRouteGivesTheBitsOfTheSubtraction(geometry: (inChannels: Int, outChannels: Int, kernel: Int, padding: Int, stride: Int, groups: Int)) {
        let (inChannels, outChannels, kernel, padding, stride, groups) = geometry
        let shape = [3, inChannels, 9, 10]
        let thresholds = Self.thresholds(inChannels, seed: 2)
        let x = Tensor(shape: shape, data: Self.inputs(shape, thresholds: thresholds, seed: 3))
        let weights = TestData.values(outChannels * inChannels / groups * kernel * kernel, seed: 4)
        let binary = BinaryWeights.xnor(weights, outChannels: outChannels)
        let binaryKernel = BinaryKernel(binary, channelsPerGroup: inChannels / groups, kernel: kernel)
        let g = ConvGeometry(input: shape, weight: [outChannels, inChannels / groups, kernel, kernel], stride: stride, padding: padding,
                             dilation: 1, groups: groups)
        let shifted = x.subtractingChannels(Tensor(shape: [inChannels], data: thresholds))
        for bits in [true, false] {
            BinaryConvolution.onKernels(bits: bits) {
                let folded = BinaryConvolution.forward(g, input: x, kernel: binaryKernel, thresholds: thresholds, counters: KernelCounters())
                let reference = BinaryConvolution.forward(g, input: shifted, kernel: binaryKernel, counters: KernelCounters())
                #expect(folded.map(\.bitPattern) == reference.map(\.bitPattern), "\(bits ? "bit" : "float") path")
            }
        }
    }

    /// `SeparableBits` with the first depthwise convolution's thresholds compared as it packs (and
    /// sign streams passed over) equals the stage on the subtraction.
    @Test func separableStagesCompareTheFirstThresholds() throws {
        let (channels, shape) = (24, [2, 24, 9, 9])
        let thresholds = Self.thresholds(channels, seed: 5)
        let x = Tensor(shape: shape, data: Self.inputs(shape, thresholds: thresholds, seed: 6))
        let depthwise = BinaryWeights.xnor(TestData.values(channels * 9, seed: 7), outChannels: channels)
        let pointwise = BinaryWeights.xnor(TestData.values(channels * channels, seed: 8), outChannels: channels)
        let d = ConvGeometry(input: shape, weight: [channels, 1, 3, 3], stride: 1, padding: 1, dilation: 1, groups: channels)
        let p = ConvGeometry(input: [2, channels, 9, 9], weight: [channels, channels, 1, 1], stride: 1, padding: 0, dilation: 1, groups: 1)
        func stage(_ thresholds: [Float]?) -> SeparableBits.Stage {
            SeparableBits.Stage(depthwise: d, depthwiseKernel: BinaryKernel(depthwise, channelsPerGroup: 1, kernel: 3), pointwise: p,
                                pointwiseKernel: BinaryKernel(pointwise, channelsPerGroup: channels, kernel: 1), depthwiseThresholds: thresholds,
                                pointwiseThresholds: Self.thresholds(channels, seed: 9), affine: nil)
        }
        let folded = try #require(BinaryConvolution.separable([stage(thresholds)], input: x, counters: KernelCounters()))
        let shifted = x.subtractingChannels(Tensor(shape: [channels], data: thresholds))
        let reference = try #require(BinaryConvolution.separable([stage(nil)], input: shifted, counters: KernelCounters()))
        #expect(folded.map(\.bitPattern) == reference.map(\.bitPattern))
        #expect(!SeparableBits.fits([stage(nil), stage(thresholds)]), "a later stage cannot compare thresholds")
    }
}
