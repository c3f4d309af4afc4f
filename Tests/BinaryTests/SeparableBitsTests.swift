import Testing
@testable import Binary
import Tensor

/// `SeparableBits`, the depthwise -> 1x1 pair on bits from end to end, against the two convolutions
/// run one after the other (each on its own bit kernel, the depthwise outputs written as floats), to
/// the last bit; and its parts (the sign rule, the bit transpose) against their definitions.
@Suite(.serialized) struct SeparableBitsTests {
    /// A depthwise geometry and the output channels of the 1x1 convolution after it.
    struct Case: Sendable, CustomTestStringConvertible {
        let input: [Int]
        let kernel, stride, padding, dilation, outChannels: Int
        var testDescription: String { "\(input) k\(kernel) s\(stride) p\(padding) d\(dilation) -> \(outChannels)" }

        var depthwise: ConvGeometry {
            ConvGeometry(input: input, weight: [input[1], 1, kernel, kernel], stride: stride, padding: padding, dilation: dilation, groups: input[1])
        }
        var pointwise: ConvGeometry {
            let d = depthwise
            return ConvGeometry(input: [d.batch, d.outChannels, d.outHeight, d.outWidth], weight: [outChannels, d.outChannels, 1, 1],
                                stride: 1, padding: 0, dilation: 1, groups: 1)
        }
    }

    /// sep_conv_3x3 at stride 1 and 2, dil_conv_3x3 and dil_conv_5x5, with channel counts at the bit
    /// GEMM's floor (16), under, at and across 64 (one, a full and three words per pixel), odd sizes,
    /// and widths from 3 to 30.
    static let cases: [Case] = [
        Case(input: [2, 16, 9, 9], kernel: 3, stride: 1, padding: 1, dilation: 1, outChannels: 16),
        Case(input: [3, 40, 14, 13], kernel: 3, stride: 2, padding: 1, dilation: 1, outChannels: 33),
        Case(input: [2, 64, 7, 11], kernel: 3, stride: 1, padding: 2, dilation: 2, outChannels: 64),
        Case(input: [2, 70, 8, 3], kernel: 5, stride: 1, padding: 4, dilation: 2, outChannels: 9),
        Case(input: [1, 130, 28, 30], kernel: 3, stride: 1, padding: 1, dilation: 1, outChannels: 20),
        Case(input: [2, 24, 15, 15], kernel: 5, stride: 2, padding: 2, dilation: 1, outChannels: 48),
    ]

    /// Binary weights with random signs and scales, a few of them negative, zero or -0.0 (a PCNN or
    /// loaded model may carry any), so that every form of the sign rule is used.
    static func weights(outChannels: Int, perChannel: Int, seed: UInt64) -> BinaryWeights {
        let signs = TestData.values(outChannels * perChannel, seed: seed).map { $0 >= 0 ? Float(1) : -1 }
        let scales = TestData.values(outChannels, seed: seed + 1).enumerated().map { index, value -> Float in
            switch index % 7 {
            case 3: return -abs(value) - 0.1
            case 5: return index % 2 == 0 ? 0 : -0.0
            default: return abs(value) + 0.01
            }
        }
        return BinaryWeights(signs: signs, scales: scales, outChannels: outChannels)
    }

    @Test(arguments: cases, [false, true])
    func equalsTheTwoConvolutions(_ c: Case, normalised: Bool) {
        let (d, p) = (c.depthwise, c.pointwise)
        #expect(SeparableBits.fits(depthwise: d, pointwise: p))
        let x = TestData.values(c.input.reduce(1, *), seed: 31)
        let depthwise = BinaryKernel(Self.weights(outChannels: d.outChannels, perChannel: d.kernel * d.kernel, seed: 33),
                                     channelsPerGroup: 1, kernel: d.kernel, counters: KernelCounters())
        let pointwise = BinaryKernel(Self.weights(outChannels: p.outChannels, perChannel: p.inChannels, seed: 35),
                                     channelsPerGroup: p.inChannels, kernel: 1, counters: KernelCounters())
        let statistics = NormalisedBinaryConvolutionTests.statistics(p.outChannels, seed: 37)
        let affine = normalised ? statistics.inferenceAffine(gamma: TestData.values(p.outChannels, seed: 39), beta: nil) : nil
        let counters = KernelCounters()
        let stage = SeparableBits.Stage(depthwise: d, depthwiseKernel: depthwise, pointwise: p, pointwiseKernel: pointwise, affine: affine)
        let fused = BinaryConvolution.separable([stage], input: x, counters: counters)
        let between = BinaryConvolution.forward(d, input: x, kernel: depthwise, binaryInput: true, counters: KernelCounters())
        let apart = BinaryConvolution.forward(p, input: between, kernel: pointwise, binaryInput: true, normalisedBy: affine, counters: KernelCounters())
        #expect(fused.map { BinaryConvolutionTests.mismatches($0, apart) } == 0)
        #expect(Set(apart.map(\.bitPattern)).count > p.outChannels, "the output is constant per channel")
        #expect(counters.snapshot().binaryMACs == d.macs + p.macs)
    }

    /// Two stages (a `sep_conv`): the first stage's output image stays in the worker's buffer as the
    /// second's input; the result equals the four convolutions and two batch norms one after the other.
    @Test(arguments: cases.filter { $0.outChannels >= BinaryConvolution.minimumBitDepth })
    func twoStagesEqualTheLayersApart(_ c: Case) {
        let (d1, p1) = (c.depthwise, c.pointwise)
        let second = Case(input: [p1.batch, p1.outChannels, p1.outHeight, p1.outWidth], kernel: 3, stride: 1, padding: 1, dilation: 1,
                          outChannels: 17)
        let (d2, p2) = (second.depthwise, second.pointwise)
        let x = TestData.values(c.input.reduce(1, *), seed: 61)
        func kernels(_ d: ConvGeometry, _ p: ConvGeometry, seed: UInt64) -> (BinaryKernel, BinaryKernel) {
            (BinaryKernel(Self.weights(outChannels: d.outChannels, perChannel: d.kernel * d.kernel, seed: seed), channelsPerGroup: 1,
                          kernel: d.kernel, counters: KernelCounters()),
             BinaryKernel(Self.weights(outChannels: p.outChannels, perChannel: p.inChannels, seed: seed + 2), channelsPerGroup: p.inChannels,
                          kernel: 1, counters: KernelCounters()))
        }
        let (k1, k2) = (kernels(d1, p1, seed: 63), kernels(d2, p2, seed: 67))
        let a1 = NormalisedBinaryConvolutionTests.statistics(p1.outChannels, seed: 71).inferenceAffine(gamma: nil, beta: nil)
        let a2 = NormalisedBinaryConvolutionTests.statistics(p2.outChannels, seed: 73)
            .inferenceAffine(gamma: TestData.values(p2.outChannels, seed: 75), beta: TestData.values(p2.outChannels, seed: 77))
        let stages = [SeparableBits.Stage(depthwise: d1, depthwiseKernel: k1.0, pointwise: p1, pointwiseKernel: k1.1, affine: a1),
                      SeparableBits.Stage(depthwise: d2, depthwiseKernel: k2.0, pointwise: p2, pointwiseKernel: k2.1, affine: a2)]
        let counters = KernelCounters()
        let fused = BinaryConvolution.separable(stages, input: x, counters: counters)
        func apart(_ g: ConvGeometry, _ input: [Float], _ kernel: BinaryKernel, _ affine: ChannelAffine? = nil) -> [Float] {
            BinaryConvolution.forward(g, input: input, kernel: kernel, binaryInput: true, normalisedBy: affine, counters: KernelCounters())
        }
        let expected = apart(p2, apart(d2, apart(p1, apart(d1, x, k1.0), k1.1, a1), k2.0), k2.1, a2)
        #expect(fused.map { BinaryConvolutionTests.mismatches($0, expected) } == 0)
        #expect(Set(expected.map(\.bitPattern)).count > p2.outChannels, "the output is constant per channel")
        #expect(counters.snapshot().binaryMACs == d1.macs + p1.macs + d2.macs + p2.macs)
        #expect(!SeparableBits.fits(Array(stages.reversed())), "stages that do not chain")
    }

    /// Given a tensor, the first stage reads the tensor's sign streams, packed once and kept with it:
    /// the same bits as from the planes, the same streams for a second op, new ones once the data
    /// changes; and the streams themselves are the signs of the planes with a zero word after each.
    @Test(arguments: [cases[0], cases[1], cases[4]])
    func sharedSignStreamsGiveTheSameOutputs(_ c: Case) throws {
        let (d, p) = (c.depthwise, c.pointwise)
        let depthwise = BinaryKernel(Self.weights(outChannels: d.outChannels, perChannel: d.kernel * d.kernel, seed: 81), channelsPerGroup: 1,
                                     kernel: d.kernel, counters: KernelCounters())
        let pointwise = BinaryKernel(Self.weights(outChannels: p.outChannels, perChannel: p.inChannels, seed: 83), channelsPerGroup: p.inChannels,
                                     kernel: 1, counters: KernelCounters())
        let stages = [SeparableBits.Stage(depthwise: d, depthwiseKernel: depthwise, pointwise: p, pointwiseKernel: pointwise, affine: nil)]
        let x = Tensor(shape: c.input, data: TestData.values(c.input.reduce(1, *), seed: 85))
        let fromPlanes = try #require(BinaryConvolution.separable(stages, input: x.data, counters: KernelCounters()))
        let fromStreams = try #require(BinaryConvolution.separable(stages, input: x, counters: KernelCounters()))
        #expect(fromStreams.map(\.bitPattern) == fromPlanes.map(\.bitPattern))
        let streams = x.derived(SignStreams.self) { SignStreams([], planes: 0, pixels: 0, counters: KernelCounters()) }
        #expect(streams.planes == d.batch * d.inChannels && streams.pixels == d.height * d.width, "kept from the first call")
        for plane in 0..<streams.planes {
            for pixel in 0..<streams.pixels {
                let bit = streams.words[plane * streams.planeWords + pixel / 64] >> UInt64(pixel % 64) & 1
                #expect((bit == 1) == (x.data[plane * streams.pixels + pixel] < 0))
            }
            #expect(streams.words[plane * streams.planeWords + streams.planeWords - 1] == 0)
        }
        _ = BinaryConvolution.separable(stages, input: x, counters: KernelCounters())
        #expect(x.derived(SignStreams.self) { SignStreams([], planes: 0, pixels: 0, counters: KernelCounters()) } === streams, "a second op packs nothing")
        x.data = x.data.map { -$0 }
        let negated = try #require(BinaryConvolution.separable(stages, input: x, counters: KernelCounters()))
        #expect(negated.map(\.bitPattern) == BinaryConvolution.separable(stages, input: x.data, counters: KernelCounters())?.map(\.bitPattern))
        #expect(x.derived(SignStreams.self) { SignStreams([], planes: 0, pixels: 0, counters: KernelCounters()) } !== streams, "new streams for new data")
    }

    /// On the float kernels (`onFloatKernels`), and for pairs the bit kernels do not take, there is no
    /// fused pass: the caller runs the two convolutions.
    @Test func declinesOffTheBitKernels() {
        let c = Self.cases[0]
        let (d, p) = (c.depthwise, c.pointwise)
        let depthwise = BinaryKernel(Self.weights(outChannels: d.outChannels, perChannel: 9, seed: 41), channelsPerGroup: 1, kernel: 3)
        let pointwise = BinaryKernel(Self.weights(outChannels: p.outChannels, perChannel: p.inChannels, seed: 43), channelsPerGroup: p.inChannels, kernel: 1)
        let x = TestData.values(c.input.reduce(1, *), seed: 45)
        let offBits = BinaryConvolution.onFloatKernels {
            BinaryConvolution.separable([SeparableBits.Stage(depthwise: d, depthwiseKernel: depthwise, pointwise: p, pointwiseKernel: pointwise,
                                                             affine: nil)], input: x)
        }
        #expect(offBits == nil)
        let shallow = Case(input: [2, 8, 9, 9], kernel: 3, stride: 1, padding: 1, dilation: 1, outChannels: 8)
        #expect(!SeparableBits.fits(depthwise: shallow.depthwise, pointwise: shallow.pointwise))
        let wide = Case(input: [1, 16, 4, 63], kernel: 3, stride: 1, padding: 1, dilation: 1, outChannels: 8)
        #expect(!SeparableBits.fits(depthwise: wide.depthwise, pointwise: wide.pointwise))
    }

    /// The generic rule: a threshold from either end, none or all negative, and nil for signs that
    /// are no threshold on the count.
    @Test func signRuleOverAnyCounts() {
        let up = DepthwiseBits.SignRule(counts: 100, negative: { $0 >= 37 })
        #expect(up?.threshold == 37 && up?.below == false)
        let down = DepthwiseBits.SignRule(counts: 100, negative: { $0 < 5 })
        #expect(down?.threshold == 5 && down?.below == true)
        let none = DepthwiseBits.SignRule(counts: 100, negative: { _ in false })
        #expect(none.map { rule in (0...100).allSatisfy { !rule.isNegative($0) } } == true)
        let all = DepthwiseBits.SignRule(counts: 100, negative: { _ in true })
        #expect(all.map { rule in (0...100).allSatisfy { rule.isNegative($0) } } == true)
        #expect(DepthwiseBits.SignRule(counts: 100, negative: { $0 == 50 }) == nil)
        #expect(DepthwiseBits.SignRule(counts: 100, negative: { $0 % 2 == 1 }) == nil)
    }

    /// The rule's bits are `Float(taps - 2 * count) * scale < 0` for every count, from the bit-sliced
    /// counters of eight rows of 64 pixels with random counts.
    @Test(arguments: [1, 4, 9, 25, 49])
    func signRuleIsTheSignOfTheScaledOutput(taps: Int) {
        var rng = SeededRNG(seed: UInt64(taps))
        let counts = (0..<8 * 64).map { _ in rng.nextInt(below: taps + 1) }
        var c = DepthwiseBits.Counters()
        for (index, count) in counts.enumerated() {
            let (lane, bit) = (index / 64, UInt64(index % 64))
            for level in 0..<DepthwiseBits.counterBits where count >> level & 1 == 1 {
                switch level {
                case 0: c.c0[lane] |= 1 << bit
                case 1: c.c1[lane] |= 1 << bit
                case 2: c.c2[lane] |= 1 << bit
                case 3: c.c3[lane] |= 1 << bit
                case 4: c.c4[lane] |= 1 << bit
                default: c.c5[lane] |= 1 << bit
                }
            }
        }
        for scale: Float in [0.37, -1.5, 0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude] {
            let signs = DepthwiseBits.SignRule(taps: taps, scale: scale).negatives(c)
            let mismatches = counts.enumerated().filter { index, count in
                let bit = signs[index / 64] >> UInt64(index % 64) & 1 == 1
                return bit != (Float(taps - 2 * count) * scale < 0)
            }
            #expect(mismatches.isEmpty, "scale \(scale)")
        }
    }

    @Test func transpose64IsTheTranspose() {
        var rng = SeededRNG(seed: 51)
        for _ in 0..<20 {
            let words = (0..<64).map { _ in UInt64(truncatingIfNeeded: rng.nextInt(below: Int.max)) ^ UInt64(rng.nextInt(below: 2)) << 63 }
            var transposed = words
            transposed.withUnsafeMutableBufferPointer { SeparableBits.transpose64($0.baseAddress!) }
            for i in 0..<64 {
                for j in 0..<64 where (transposed[i] >> UInt64(j) & 1) != (words[j] >> UInt64(i) & 1) {
                    Issue.record("bit \(j) of word \(i)")
                    return
                }
            }
        }
    }
}
