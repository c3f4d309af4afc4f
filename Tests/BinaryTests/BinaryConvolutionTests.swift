import Dispatch
import Foundation
import Testing
@testable import Binary
import Tensor

/// The bit paths of `BinaryConvolution` (dense: packed im2col + XNOR GEMM with the scale applied as
/// tiles are stored; depthwise: `DepthwiseBits`) against the plain one-padded convolution of
/// `PackedIm2colTests` times the per-channel scale, and against the float path, to the last bit.
@Suite(.serialized) struct BinaryConvolutionTests {
    /// The case's geometry, a real-valued input (with zeros and -0.0), its kernel, and the expected
    /// output scales[o] * conv(sign(x) padded with +1, sign(w)).
    struct Prepared {
        let geometry: ConvGeometry
        let input: [Float]
        let kernel: BinaryKernel
        let expected: [Float]
    }

    static func prepare(_ c: BitConvCase, seed: UInt64) -> Prepared {
        let g = c.geometry
        let x = TestData.values(c.input.reduce(1, *), seed: seed)
        let weights = BinaryWeights.xnor(TestData.values(g.outChannels * g.patchSize, seed: seed + 1), outChannels: g.outChannels)
        var expected = PackedIm2colTests.onePaddedConvolution(x.map(BitPacking.sign), weights.signs, g)
        for i in expected.indices { expected[i] *= weights.scales[i / g.outPixels % g.outChannels] }
        return Prepared(geometry: g, input: x,
                        kernel: BinaryKernel(weights, channelsPerGroup: g.channelsPerGroup, kernel: g.kernel, counters: KernelCounters()),
                        expected: expected)
    }

    /// Elements whose bits differ.
    static func mismatches(_ a: [Float], _ b: [Float]) -> Int {
        a.count != b.count ? -1 : zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
    }

    /// The bit kernel of the case's kind (dense or depthwise) called directly, so that the test does not
    /// depend on the switch `usesBitKernels`.
    static func onBits(_ p: Prepared, path: KernelPath = .best, counters: KernelCounters = KernelCounters()) -> [Float] {
        let g = p.geometry
        var output = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outPixels)
        p.input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                if g.groups == 1 {
                    BinaryConvolution.dense(g, input: x.baseAddress!, kernel: p.kernel, output: y.baseAddress!, path: path, counters: counters)
                } else {
                    DepthwiseBits.forward(g, input: x.baseAddress!, kernel: p.kernel, output: y.baseAddress!, counters: counters)
                }
            }
        }
        return output
    }

    /// Runs `body` with the bit kernels off (the float path).
    static func onFloats<T>(_ body: () -> T) -> T {
        BinaryConvolution.onFloatKernels(body)
    }

    /// Dense cases of `BitConvCase.all` (groups == 1): every kernel path writes the scaled NCHW output.
    @Test(arguments: BitConvCase.all.filter { $0.groups == 1 })
    func denseBitPathEqualsTheReference(_ c: BitConvCase) {
        let p = Self.prepare(c, seed: 51)
        for path in KernelPath.allCases {
            let bits = Self.onBits(p, path: path)
            #expect(Self.mismatches(bits, p.expected) == 0, "\(path)")
        }
        let floats = Self.onFloats { BinaryConvolution.forward(p.geometry, input: p.input, kernel: p.kernel, binaryInput: true) }
        #expect(Self.mismatches(floats, p.expected) == 0, "float path")
    }

    /// Depthwise shapes: 3x3 and 5x5, stride 1 and 2, dilation 1 and 2, +1 padding 0 to 4, odd and
    /// even sizes, rows of 1 to 64 pixels, output heights that leave part of the last 8-row step empty.
    static let depthwiseCases: [BitConvCase] = {
        var cases: [BitConvCase] = []
        for (kernel, dilation, padding) in [(3, 1, 1), (3, 2, 2), (5, 1, 2), (5, 2, 4), (3, 1, 0)] {
            for stride in [1, 2] {
                cases.append(BitConvCase([2, 5, 11, 9], out: 5, kernel: kernel, stride: stride, padding: padding, dilation: dilation, groups: 5))
            }
        }
        cases.append(BitConvCase([1, 3, 28, 28], out: 3, kernel: 3, padding: 1, groups: 3))
        cases.append(BitConvCase([1, 2, 17, 56], out: 2, kernel: 5, stride: 2, padding: 4, dilation: 2, groups: 2))
        cases.append(BitConvCase([3, 2, 3, 1], out: 2, kernel: 3, padding: 1, groups: 2))
        cases.append(BitConvCase([1, 2, 3, 60], out: 2, kernel: 3, stride: 3, padding: 2, groups: 2))
        return cases
    }()

    @Test(arguments: depthwiseCases)
    func depthwiseBitPathEqualsTheReference(_ c: BitConvCase) {
        let p = Self.prepare(c, seed: 61)
        #expect(DepthwiseBits.fits(p.geometry))
        let counters = KernelCounters()
        let bits = Self.onBits(p, counters: counters)
        #expect(Self.mismatches(bits, p.expected) == 0)
        #expect(counters.snapshot().binaryMACs == p.geometry.macs)
        let floats = Self.onFloats { BinaryConvolution.forward(p.geometry, input: p.input, kernel: p.kernel, binaryInput: true) }
        #expect(Self.mismatches(floats, p.expected) == 0, "float path")
    }

    /// Padded rows wider than 64 pixels stay on the float kernels, with the same result.
    @Test func wideDepthwiseRowsUseTheFloatPath() {
        let p = Self.prepare(BitConvCase([1, 2, 3, 63], out: 2, kernel: 3, padding: 1, groups: 2), seed: 71)
        #expect(!DepthwiseBits.fits(p.geometry))
        let output = BinaryConvolution.forward(p.geometry, input: p.input, kernel: p.kernel, binaryInput: true, counters: KernelCounters())
        #expect(Self.mismatches(output, p.expected) == 0)
    }

    /// With the bit kernels on, `forward` takes them (their MACs are counted) and gives their bits.
    @Test func forwardTakesTheBitPath() {
        for c in [BitConvCase([2, 70, 6, 5], out: 5, padding: 1), BitConvCase([2, 4, 9, 9], out: 4, kernel: 5, padding: 4, dilation: 2, groups: 4)] {
            let p = Self.prepare(c, seed: 75)
            let counters = KernelCounters()
            let output = BinaryConvolution.forward(p.geometry, input: p.input, kernel: p.kernel, binaryInput: true, counters: counters)
            #expect(Self.mismatches(output, p.expected) == 0)
            #expect(counters.snapshot().binaryMACs == p.geometry.macs)
        }
    }

    /// A 1x1 convolution of a tensor reads the tensor's channels-last runs, packed once and kept with
    /// it: the same bits as packing each image, the same runs for a second convolution of the tensor,
    /// new ones once its data changes; other convolutions of a tensor pack as before.
    @Test(arguments: [70, 20, 130])
    func pointwiseConvolutionsShareATensorsRuns(channels: Int) throws {
        let p = Self.prepare(BitConvCase([3, channels, 7, 6], out: 9, kernel: 1), seed: 77)
        #expect(p.geometry.isPointwise)
        let x = Tensor(shape: [3, channels, 7, 6], data: p.input)
        let output = BinaryConvolution.forward(p.geometry, input: x, kernel: p.kernel, counters: KernelCounters())
        #expect(Self.mismatches(output, p.expected) == 0)
        let runs = x.derived(ChannelRuns.self) { ChannelRuns(Tensor.zeros([1, 1, 1, 1]), counters: KernelCounters()) }
        #expect(runs.imageWords == 42 * PackedMatrix.wordCount(bits: channels), "kept from the convolution")
        _ = BinaryConvolution.forward(p.geometry, input: x, kernel: p.kernel, counters: KernelCounters())
        #expect(x.derived(ChannelRuns.self) { ChannelRuns(Tensor.zeros([1, 1, 1, 1]), counters: KernelCounters()) } === runs)
        x.data = x.data.map { -$0 }
        let negated = BinaryConvolution.forward(p.geometry, input: x, kernel: p.kernel, counters: KernelCounters())
        #expect(negated.map(\.bitPattern) == BinaryConvolution.forward(p.geometry, input: x.data, kernel: p.kernel, binaryInput: true,
                                                                       counters: KernelCounters()).map(\.bitPattern))
        #expect(x.derived(ChannelRuns.self) { ChannelRuns(Tensor.zeros([1, 1, 1, 1]), counters: KernelCounters()) } !== runs)
        let threeByThree = Self.prepare(BitConvCase([2, 70, 6, 5], out: 5, padding: 1), seed: 79)
        let y = Tensor(shape: [2, 70, 6, 5], data: threeByThree.input)
        #expect(Self.mismatches(BinaryConvolution.forward(threeByThree.geometry, input: y, kernel: threeByThree.kernel, counters: KernelCounters()),
                                threeByThree.expected) == 0)
    }

    /// The switch to the float kernels holds for the thread that set it, nests, and ends with its scope.
    @Test func floatKernelsAreChosenPerThread() {
        #expect(BinaryConvolution.usesBitKernels)
        BinaryConvolution.onFloatKernels {
            #expect(!BinaryConvolution.usesBitKernels)
            BinaryConvolution.onFloatKernels { #expect(!BinaryConvolution.usesBitKernels) }
            #expect(!BinaryConvolution.usesBitKernels)
            nonisolated(unsafe) var elsewhere = false
            let done = DispatchSemaphore(value: 0)
            Thread { elsewhere = BinaryConvolution.usesBitKernels; done.signal() }.start()
            done.wait()
            #expect(elsewhere, "another thread still sees the bit kernels")
        }
        #expect(BinaryConvolution.usesBitKernels)
        BinaryConvolution.onKernels(bits: true) { #expect(BinaryConvolution.usesBitKernels) }
        BinaryConvolution.onKernels(bits: false) { #expect(!BinaryConvolution.usesBitKernels) }
    }

    /// Real-valued inputs go to the float kernels: the convolution of x with the signs, times the scales.
    @Test func realInputsUseTheFloatKernels() {
        let g = ConvGeometry(input: [2, 3, 5, 5], weight: [4, 3, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1)
        let x = TestData.values(2 * 3 * 25, seed: 81)
        let weights = BinaryWeights.xnor(TestData.values(4 * 27, seed: 82), outChannels: 4)
        let kernel = BinaryKernel(weights, channelsPerGroup: 3, kernel: 3, counters: KernelCounters())
        var expected = Convolution.forward(g, input: x, weight: weights.signs)
        for i in expected.indices { expected[i] *= weights.scales[i / g.outPixels % 4] }
        #expect(BinaryConvolution.forward(g, input: x, kernel: kernel, binaryInput: false, counters: KernelCounters()) == expected)
    }
}

/// A batch norm at inference handed to `BinaryConvolution.forward` (`normalisedBy:`) gives the same bits
/// as the batch norm run on the convolution's output afterwards, on every route the convolution takes.
@Suite(.serialized) struct NormalisedBinaryConvolutionTests {
    /// Every route: packed dense GEMM (K >= 64, 3x3 and 1x1), depthwise bits, `SignPointwise` at stride 1
    /// and 2 (few channels), the float kernels for a small dense 3x3, and the bit kernels switched off.
    static let cases: [BitConvCase] = [
        BitConvCase([2, 64, 5, 6], out: 6, padding: 1),
        BitConvCase([3, 96, 4, 5], out: 5, kernel: 1),
        BitConvCase([2, 5, 9, 9], out: 5, kernel: 5, stride: 2, padding: 4, dilation: 2, groups: 5),
        BitConvCase([3, 7, 6, 5], out: 9, kernel: 1),
        BitConvCase([2, 8, 5, 17], out: 4, kernel: 1),
        BitConvCase([2, 6, 3, 3], out: 5, kernel: 1),
        BitConvCase([2, 7, 11, 9], out: 5, kernel: 1, stride: 2),
        BitConvCase([2, 3, 9, 10], padding: 1),
    ]

    /// A batch norm of `channels` with running statistics and, when `affine`, gamma and beta, all random.
    static func statistics(_ channels: Int, seed: UInt64) -> BatchNormStatistics {
        let statistics = BatchNormStatistics(channels: channels)
        statistics.mean = TestData.values(channels, seed: seed)
        statistics.variance = TestData.values(channels, seed: seed + 1).map { 0.05 + abs($0) }
        return statistics
    }

    @Test(arguments: cases, [false, true])
    func normalisingInsideEqualsTheBatchNormAfter(_ c: BitConvCase, floatPath: Bool) {
        let p = BinaryConvolutionTests.prepare(c, seed: 91)
        let g = p.geometry
        for affine in [true, false] {
            let statistics = Self.statistics(g.outChannels, seed: 93)
            let gamma = affine ? Tensor(shape: [g.outChannels], data: TestData.values(g.outChannels, seed: 95)) : nil
            let beta = affine ? Tensor(shape: [g.outChannels], data: TestData.values(g.outChannels, seed: 96)) : nil
            let shape = [g.batch, g.outChannels, g.outHeight, g.outWidth]
            let run = { (normalise: Bool) -> [Float] in
                let work = {
                    BinaryConvolution.forward(g, input: p.input, kernel: p.kernel, binaryInput: true,
                                              normalisedBy: normalise ? statistics.inferenceAffine(gamma: gamma?.data, beta: beta?.data) : nil,
                                              counters: KernelCounters())
                }
                return floatPath ? BinaryConvolutionTests.onFloats(work) : work()
            }
            let after = GradMode.disabled {
                Tensor(shape: shape, data: run(false)).batchNorm(gamma: gamma, beta: beta, statistics: statistics, training: false).data
            }
            let inside = run(true)
            #expect(BinaryConvolutionTests.mismatches(inside, after) == 0, "affine \(affine)")
            #expect(Set(inside.map(\.bitPattern)).count > g.outChannels, "the output is not constant per channel")
        }
    }

    /// `ChannelAffine` from statistics is the normalisation (x - mean) / sqrt(var + eps) * gamma + beta,
    /// within rounding, and a slice of channels keeps theirs.
    @Test func affineIsTheNormalisation() {
        let statistics = Self.statistics(6, seed: 97)
        let (gamma, beta) = (TestData.values(6, seed: 98), TestData.values(6, seed: 99))
        let affine = statistics.inferenceAffine(gamma: gamma, beta: beta)
        for c in 0..<6 {
            let x: Float = 0.75
            let expected = Double(x - statistics.mean[c]) / (Double(statistics.variance[c]) + 1e-5).squareRoot() * Double(gamma[c]) + Double(beta[c])
            #expect(abs(Double(x * affine.scale[c] + affine.shift[c]) - expected) <= 1e-5 * max(1, abs(expected)))
        }
        #expect(affine.channels(2..<5) == ChannelAffine(scale: Array(affine.scale[2..<5]), shift: Array(affine.shift[2..<5])))
    }
}
