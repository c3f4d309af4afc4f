import Testing
import Binary
@testable import Network
import Tensor

/// At inference of sign activations, the operations whose convolution a batch norm follows hand the
/// batch norm to the convolution (`Conv2d.callAsFunction(_:normalisedBy:)`); their output keeps the
/// bits of running the convolution and the batch norm one after the other, which these tests run by hand.
@Suite(.serialized) struct NormalisationFusionTests {
    static let binarizations = [BinarizationConfig(weights: .xnor, activations: .binary),
                                BinarizationConfig(weights: .pcnn, activations: .binary)]

    /// Random running statistics, gamma and beta for every batch norm below `layer`.
    static func randomiseNorms(_ layer: any Layer, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        for case let norm as BatchNorm2d in layer.allLayers {
            let channels = norm.statistics.mean.count
            norm.statistics.mean = (0..<channels).map { _ in rng.nextNormal() }
            norm.statistics.variance = (0..<channels).map { _ in 0.05 + rng.nextUniform() * 3 }
            norm.gamma?.data = (0..<channels).map { _ in rng.nextNormal() }
            norm.beta?.data = (0..<channels).map { _ in rng.nextNormal() }
        }
    }

    /// A 3x3 separable block (affine norms) and a dilated 5x5 one (non-affine), as the tests of
    /// the separable kernels use them.
    static func separableBlocks(_ binarization: BinarizationConfig, stride: Int, channels: Int) -> (SepConv, DilConv) {
        var rng = SeededRNG(seed: 7)
        let sep = SepConv(inChannels: channels, outChannels: channels, kernel: 3, stride: stride, padding: 1, affine: true,
                          binarization: binarization, rng: &rng)
        let dil = DilConv(inChannels: channels, outChannels: channels, kernel: 5, stride: stride, padding: 4, dilation: 2, affine: false,
                          binarization: binarization, rng: &rng)
        return (sep, dil)
    }

    static func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.nextNormal() })
    }

    static func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && zip(a.data, b.data).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    /// ReLUConvBN at 70 input channels (the 1x1 runs on the XNOR GEMM) and at 12 (on `SignPointwise`).
    @Test(arguments: binarizations, [70, 12])
    func reluConvBN(_ binarization: BinarizationConfig, inChannels: Int) {
        var rng = SeededRNG(seed: 3)
        let layer = ReLUConvBN(inChannels: inChannels, outChannels: 10, kernel: 1, stride: 1, padding: 0, affine: true,
                               binarization: binarization, rng: &rng)
        Self.randomiseNorms(layer, seed: 4)
        let x = Self.input([3, inChannels, 6, 7], seed: 5)
        GradMode.disabled {
            #expect(layer.conv.takesNormalisation(training: false))
            let byHand = layer.norm(layer.conv(x, training: false), training: false)
            #expect(Self.sameBits(layer(x, training: false), byHand))
        }
    }

    /// Separable and dilated convolutions at stride 1 and 2: at 6 channels the depthwise runs on bits
    /// and the pointwise on `SignPointwise`; at 24 both run in one pass on bits (`SeparableBits`).
    @Test(arguments: binarizations, [(1, 6), (2, 6), (1, 24), (2, 24)])
    func separableAndDilated(_ binarization: BinarizationConfig, geometry: (stride: Int, channels: Int)) {
        let (stride, channels) = geometry
        let (sep, dil) = Self.separableBlocks(binarization, stride: stride, channels: channels)
        Self.randomiseNorms(sep, seed: 8)
        Self.randomiseNorms(dil, seed: 9)
        let x = Self.input([2, channels, 9, 9], seed: 10)
        GradMode.disabled {
            let fused = Conv2d.separable([(dil.depthwise, dil.pointwise, dil.norm)], x, training: false)
            #expect((fused != nil) == (channels >= BinaryConvolution.minimumBitDepth))
            let both = Conv2d.separable([(sep.first.depthwise, sep.first.pointwise, sep.first.norm),
                                         (sep.second.depthwise, sep.second.pointwise, sep.second.norm)], x, training: false)
            #expect((both != nil) == (channels >= BinaryConvolution.minimumBitDepth))
        }
        func byHand(_ d: DilConv, _ x: Tensor) -> Tensor {
            d.norm(d.pointwise(d.depthwise(x, training: false), training: false), training: false)
        }
        GradMode.disabled {
            #expect(Self.sameBits(sep(x, training: false), byHand(sep.second, byHand(sep.first, x))))
            #expect(Self.sameBits(dil(x, training: false), byHand(dil, x)))
        }
    }

    /// FactorizedReduce: each half takes its channels of the batch norm of the concatenation.
    @Test(arguments: binarizations)
    func factorizedReduce(_ binarization: BinarizationConfig) {
        var rng = SeededRNG(seed: 11)
        let layer = FactorizedReduce(inChannels: 8, outChannels: 12, affine: true, binarization: binarization, rng: &rng)
        Self.randomiseNorms(layer, seed: 12)
        let x = Self.input([2, 8, 8, 10], seed: 13)
        GradMode.disabled {
            let halves = [layer.left(x, training: false), layer.right(x.cropSpatial(top: 1, left: 1), training: false)]
            let byHand = layer.norm(Tensor.concatChannels(halves), training: false)
            #expect(Self.sameBits(layer(x, training: false), byHand))
        }
    }

    /// In training, with gradients recorded, or with real activations, the batch norm stays a layer of its own.
    @Test func trainingAndRealActivationsKeepTheBatchNormApart() {
        var rng = SeededRNG(seed: 14)
        let binary = Conv2d(inChannels: 4, outChannels: 4, kernel: 1, binarization: BinarizationConfig(weights: .xnor, activations: .binary), rng: &rng)
        let real = Conv2d(inChannels: 4, outChannels: 4, kernel: 1, binarization: BinarizationConfig(weights: .xnor, activations: .real), rng: &rng)
        GradMode.disabled {
            #expect(binary.takesNormalisation(training: false))
            #expect(!binary.takesNormalisation(training: true))
            #expect(!real.takesNormalisation(training: false))
        }
        #expect(GradMode.isEnabled)
        #expect(!binary.takesNormalisation(training: false))
    }
}
