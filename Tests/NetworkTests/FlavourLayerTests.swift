import Binary
import Testing
@testable import Network
import Tensor

/// The ReAct flavour in the layers (docs/algorithms.md#react-flavour): RSign's thresholds and the
/// sign's derivative through a real `Conv2d`, shortcuts and RPReLU at the end of each block, and the
/// inference paths of the flavour's blocks against their layers run one after the other.
@Suite(.serialized) struct FlavourLayerTests {
    /// Values at least 0.02 from 0 and from ±1 (the kinks of the sign surrogates), in (-1.5, 1.5).
    static func offKinks(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in
            var v: Float
            repeat { v = (rng.nextUniform() * 2 - 1) * 1.5 } while abs(v) < 0.02 || abs(abs(v) - 1) < 0.02
            return v
        }
    }

    static func weightedSum(_ values: [Float], _ weights: [Float]) -> Double {
        zip(values, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func expectClose(_ actual: [Float], _ expected: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) / (2e-3 + 2e-3 * abs($1)) }.max() ?? 0
        #expect(worst <= 1, "\(what): worst error \(worst) of the bound", sourceLocation: sourceLocation)
    }

    /// A binarized convolution with thresholds, y = conv(sign(x - a_c)): its forward is that of the
    /// signs, and the gradients of x and of a are those of conv(F(x - a_c)) padded with +1, F the
    /// derivative's surrogate (hard tanh, or ApproxSign's quadratic), by finite differences with the
    /// kernel fixed. So a_c gets minus the estimator's gradient summed over the channel. Depthwise (the
    /// convolution takes the signs itself), dense 1x1 (`SignPointwise`) and dense 3x3 (a sign tensor).
    @Test(arguments: [(3, 1, 4), (1, 0, 1), (3, 1, 1)], SignGradient.allCases)
    func thresholdsAndTheSignDerivativeMatchTheirSurrogate(geometry: (kernel: Int, padding: Int, groups: Int), gradient: SignGradient) throws {
        let (kernel, padding, groups) = geometry
        let (n, c, h, outChannels) = (2, 4, 5, 4)
        var rng = SeededRNG(seed: 2)
        let conv = Conv2d(inChannels: c, outChannels: outChannels, kernel: kernel, padding: padding, groups: groups,
                          binarization: BinarizationConfig(weights: .xnor, activations: .binary, thresholds: true, signGradient: gradient), rng: &rng)
        let threshold = try #require(conv.threshold)
        threshold.data = [0.3, -0.2, 0.05, -0.4]
        let shifted = Self.offKinks(n * c * h * h, seed: 3)
        let xs = shifted.indices.map { shifted[$0] + threshold.data[$0 / (h * h) % c] }
        let x = Tensor(shape: [n, c, h, h], data: xs, requiresGrad: true)
        let y = conv(x, training: true)
        let geometry = ConvGeometry(input: [n, c, h + 2 * padding, h + 2 * padding], weight: conv.weight.shape, stride: 1, padding: 0,
                                    dilation: 1, groups: groups)
        let kernelValues = conv.binaryWeights.effective
        func convolved(_ x: [Float], _ a: [Float], _ f: (Float) -> Float) -> [Float] {
            let values = x.indices.map { f(x[$0] - a[$0 / (h * h) % c]) }
            let padded = Tensor(shape: [n, c, h, h], data: values).padded(by: padding, value: 1)
            return Convolution.forward(geometry, input: padded.data, weight: kernelValues)
        }
        let signOutput = convolved(xs, threshold.data) { $0 >= 0 ? 1 : -1 }
        #expect(zip(y.data, signOutput).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        let lossWeights = Self.offKinks(y.count, seed: 4)
        y.backward(seed: lossWeights)
        func finiteDifferences(_ values: [Float], _ loss: ([Float]) -> Double) -> [Double] {
            var probe = values
            return values.indices.map { i in
                probe[i] = values[i] + 1e-3
                let plus = loss(probe)
                probe[i] = values[i] - 1e-3
                let minus = loss(probe)
                probe[i] = values[i]
                return (plus - minus) / 2e-3
            }
        }
        let a = threshold.data
        Self.expectClose(x.grad, finiteDifferences(xs) { Self.weightedSum(convolved($0, a, gradient.surrogate), lossWeights) }, "dL/dx")
        Self.expectClose(threshold.grad, finiteDifferences(a) { Self.weightedSum(convolved(xs, $0, gradient.surrogate), lossWeights) }, "dL/da")
        #expect(threshold.grad.contains { $0 != 0 })
    }

    /// Random running statistics, batch norm affines, thresholds and RPReLU parameters below `layer`.
    static func randomise(_ layer: any Layer, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        for sublayer in layer.allLayers {
            if let norm = sublayer as? BatchNorm2d {
                let channels = norm.statistics.mean.count
                norm.statistics.mean = (0..<channels).map { _ in rng.nextNormal() }
                norm.statistics.variance = (0..<channels).map { _ in 0.05 + rng.nextUniform() * 3 }
                norm.gamma?.data = (0..<channels).map { _ in rng.nextNormal() }
                norm.beta?.data = (0..<channels).map { _ in rng.nextNormal() }
            } else if let conv = sublayer as? Conv2d, let threshold = conv.threshold {
                threshold.data = threshold.data.map { _ in rng.nextNormal() * 0.3 }
            } else if let rprelu = sublayer as? RPReLU {
                for parameter in [rprelu.gamma, rprelu.beta, rprelu.zeta] { parameter.data = parameter.data.map { _ in rng.nextNormal() * 0.3 } }
            }
        }
    }

    static func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.nextNormal() })
    }

    static func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && zip(a.data, b.data).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    static let flavours = [BinarizationConfig.react,
                           BinarizationConfig(weights: .xnor, activations: .binary, thresholds: true),
                           BinarizationConfig(weights: .xnor, activations: .binary, shortcuts: true),
                           BinarizationConfig(weights: .pcnn, activations: .binary, thresholds: true, shortcuts: true)]

    /// By hand: rprelu(x + norm(pointwise(depthwise(x)))), each part where the block has it.
    static func byHand(_ d: DilConv, _ x: Tensor) -> Tensor {
        let output = d.norm(d.pointwise(d.depthwise(x, training: false), training: false), training: false)
        guard let end = d.end else { return output }
        let sum = end.shortcut ? x + output : output
        return end.rprelu.map { $0(sum, training: false) } ?? sum
    }

    /// Separable and dilated blocks at inference, on bits where they fit (at 24 channels the 1x1
    /// thresholds go into `SeparableBits`' sign rules), equal their layers one after the other, to
    /// the bit; a stride-2 block has RPReLU but no shortcut.
    @Test(arguments: flavours, [(1, 6), (2, 6), (1, 24), (2, 24)])
    func separableBlocksEqualTheirLayers(_ binarization: BinarizationConfig, geometry: (stride: Int, channels: Int)) {
        let (sep, dil) = NormalisationFusionTests.separableBlocks(binarization, stride: geometry.stride, channels: geometry.channels)
        Self.randomise(sep, seed: 8)
        Self.randomise(dil, seed: 9)
        #expect((dil.end?.shortcut ?? false) == (binarization.shortcuts && geometry.stride == 1))
        #expect((sep.second.end?.shortcut ?? false) == binarization.shortcuts)
        #expect((dil.end?.rprelu != nil) == binarization.thresholds)
        let x = Self.input([2, geometry.channels, 9, 9], seed: 10)
        GradMode.disabled {
            #expect(Self.sameBits(dil(x, training: false), Self.byHand(dil, x)))
            #expect(Self.sameBits(sep(x, training: false), Self.byHand(sep.second, Self.byHand(sep.first, x))))
            let counters = KernelCounters()
            KernelCounters.counting(into: counters) { _ = dil(x, training: false) }
            #expect(counters.snapshot().binaryMACs > 0, "the block ran no bit kernel")
        }
    }

    /// The preprocessing and FactorizedReduce end the same way; a 1x1 with as many channels out as in
    /// has the shortcut.
    @Test(arguments: flavours, [12, 70])
    func preprocessingEqualsItsLayers(_ binarization: BinarizationConfig, inChannels: Int) {
        var rng = SeededRNG(seed: 11)
        let same = ReLUConvBN(inChannels: inChannels, outChannels: inChannels, kernel: 1, stride: 1, padding: 0, affine: true,
                              binarization: binarization, rng: &rng)
        let narrowing = ReLUConvBN(inChannels: inChannels, outChannels: 10, kernel: 1, stride: 1, padding: 0, affine: true,
                                   binarization: binarization, rng: &rng)
        let reduce = FactorizedReduce(inChannels: inChannels, outChannels: 12, affine: true, binarization: binarization, rng: &rng)
        for layer in [same, narrowing, reduce] as [any Layer] { Self.randomise(layer, seed: 12) }
        #expect((same.end?.shortcut ?? false) == binarization.shortcuts && narrowing.end?.shortcut != true && reduce.end?.shortcut != true)
        let x = Self.input([3, inChannels, 6, 8], seed: 13)
        func end(_ end: BlockEnd?, _ output: Tensor, _ input: Tensor) -> Tensor {
            guard let end else { return output }
            let sum = end.shortcut ? input + output : output
            return end.rprelu.map { $0(sum, training: false) } ?? sum
        }
        GradMode.disabled {
            for layer in [same, narrowing] {
                #expect(Self.sameBits(layer(x, training: false), end(layer.end, layer.norm(layer.conv(x, training: false), training: false), x)))
            }
            let halves = [reduce.left(x, training: false), reduce.right(x.cropSpatial(top: 1, left: 1), training: false)]
            #expect(Self.sameBits(reduce(x, training: false), end(reduce.end, reduce.norm(Tensor.concatChannels(halves), training: false), x)))
        }
    }

    /// In training every new parameter gets a gradient: the thresholds of both convolutions and RPReLU's three.
    @Test func trainingReachesEveryNewParameter() throws {
        var rng = SeededRNG(seed: 14)
        let dil = DilConv(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 2, dilation: 2, affine: false,
                          binarization: .react, rng: &rng)
        let rprelu = try #require(dil.end?.rprelu)
        let added = [dil.depthwise.threshold, dil.pointwise.threshold].compactMap { $0 } + rprelu.parameters
        #expect(added.count == 5 && added.allSatisfy { parameter in dil.parameters.contains { $0 === parameter } })
        dil(Self.input([2, 4, 6, 6], seed: 15), training: true).sum().backward()
        for parameter in added { #expect(parameter.grad.count == parameter.count && parameter.grad.contains { $0 != 0 }) }
    }

    /// A block with a shortcut and real activations (binary weights) is differentiable in its input and
    /// its batch norm: the shortcut's gradient against finite differences (the leading ReLU's kink and
    /// the weights' signs stay fixed under the steps).
    @Test func shortcutGradientsMatchFiniteDifferences() {
        var rng = SeededRNG(seed: 16)
        let dil = DilConv(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 2, dilation: 2, affine: true,
                          binarization: BinarizationConfig(weights: .xnor, activations: .real, shortcuts: true), rng: &rng)
        #expect(dil.end?.shortcut == true && dil.end?.rprelu == nil)
        var values = Self.input([2, 4, 6, 6], seed: 17).data
        for i in values.indices where abs(values[i]) < 0.1 { values[i] = values[i] < 0 ? -0.1 : 0.1 }
        let x = Tensor(shape: [2, 4, 6, 6], data: values, requiresGrad: true)
        let inputs = [x] + dil.norm.parameters
        for report in GradientCheck.run(inputs, tolerance: .init(step: 5e-3, absolute: 2e-3, relative: 5e-3), { dil($0[0], training: true) }) {
            #expect(report.passed, "\(report)")
        }
    }
}
