import Testing
@testable import Binary
import Tensor

/// The binarizers of docs/algorithms.md#xnor-net and docs/algorithms.md#pcnn: forward values, and
/// gradients against finite differences of the surrogate functions that define them (hard tanh for sign; the XNOR and PCNN kernels
/// with their scale held fixed).
@Suite struct BinarizerTests {
    static func values(_ count: Int, seed: UInt64, bound: Float = 1.5) -> [Float] {
        var rng = SeededRNG(seed: seed)
        // Keep every value at least 0.02 from the kinks at 0 and ±1 so a finite-difference step never crosses one.
        return (0..<count).map { _ in
            var v: Float
            repeat { v = (rng.nextUniform() * 2 - 1) * bound } while abs(v) < 0.02 || abs(abs(v) - 1) < 0.02
            return v
        }
    }

    static func clamp(_ x: Float) -> Float { min(1, max(-1, x)) }

    /// Central differences of `loss` with respect to each element of `values`.
    static func finiteDifferences(_ values: [Float], step: Float = 1e-3, _ loss: ([Float]) -> Double) -> [Double] {
        var probe = values
        return values.indices.map { i in
            probe[i] = values[i] + step
            let plus = loss(probe)
            probe[i] = values[i] - step
            let minus = loss(probe)
            probe[i] = values[i]
            return (plus - minus) / Double(2 * step)
        }
    }

    static func weightedSum(_ values: [Float], _ weights: [Float]) -> Double {
        zip(values, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double = 2e-3, _ what: String) {
        #expect(actual.count == expected.count)
        let worst = zip(actual, expected).map { abs(Double($0) - $1) / (tolerance + tolerance * abs($1)) }.max() ?? 0
        #expect(worst <= 1, "\(what): worst relative error \(worst * tolerance)")
    }

    @Test func signIsPlusOneAtZeroAndItsGradientIsHardTanhs() {
        let x = Tensor(shape: [6], data: [-2, -0.5, 0, 0.3, 1.5, -1e-9], requiresGrad: true)
        let y = x.signSTE()
        #expect(y.data == [-1, -1, 1, 1, 1, -1])
        let xs = Self.values(40, seed: 1)
        let input = Tensor(shape: [40], data: xs, requiresGrad: true)
        let weights = Self.values(40, seed: 2)
        input.signSTE().backward(seed: weights)
        let numeric = Self.finiteDifferences(xs) { v in Self.weightedSum(v.map(Self.clamp), weights) }
        Self.expectClose(input.grad, numeric, "sign STE")
    }

    /// ApproxSign's derivative, 2 + 2x on [-1, 0), 2 - 2x on [0, 1), 0 elsewhere, at known points;
    /// the sign's backward under either derivative = finite differences of its surrogate.
    @Test func approxSignIsTheDerivativeOfItsSurrogate() {
        let points: [Float] = [-2, -1, -0.75, -0.5, 0, 0.25, 0.5, 1, 1.5]
        #expect(points.map { SignGradient.approx.derivative($0) } == [0, 0, 0.5, 1, 2, 1.5, 1, 0, 0])
        #expect(points.map { SignGradient.ste.derivative($0) } == [0, 1, 1, 1, 1, 1, 1, 1, 0])
        #expect(points.map { SignGradient.approx.surrogate($0) } == [-1, -1, -0.9375, -0.75, 0, 0.4375, 0.75, 1, 1])
        // 16 lanes, then a scalar tail: every element on the vector and on the scalar steps.
        let xs = Self.values(45, seed: 1)
        let weights = Self.values(45, seed: 2)
        for gradient in SignGradient.allCases {
            let input = Tensor(shape: [45], data: xs, requiresGrad: true)
            let y = input.signSTE(paddedBy: 0, gradient: gradient)
            #expect(y.data == xs.map { $0 >= 0 ? 1 : -1 })
            y.backward(seed: weights)
            let numeric = Self.finiteDifferences(xs) { v in Self.weightedSum(v.map(gradient.surrogate), weights) }
            Self.expectClose(input.grad, numeric, "sign, \(gradient)")
            #expect(input.grad == zip(xs, weights).map { gradient.derivative($0) * $1 }, "\(gradient): the kernels' products")
        }
    }

    /// The fused sign-and-pad equals sign then pad, forward and backward, to the last bit.
    @Test(arguments: [0, 1, 2, 4], SignGradient.allCases)
    func signPaddedWithOnesEqualsSignThenPad(padding: Int, gradient: SignGradient) {
        let xs = Self.values(2 * 3 * 5 * 4, seed: 7).map { $0 * 1.5 }
        var results: [(y: [Float], shape: [Int], dx: [Float])] = []
        for fused in [true, false] {
            let x = Tensor(shape: [2, 3, 5, 4], data: xs, requiresGrad: true)
            let y = fused ? x.signSTE(paddedBy: padding, gradient: gradient) : x.signSTE(paddedBy: 0, gradient: gradient).padded(by: padding, value: 1)
            y.backward(seed: Self.values(y.count, seed: 8))
            results.append((y.data, y.shape, x.grad))
        }
        #expect(results[0].shape == results[1].shape)
        #expect(results[0].y == results[1].y)
        #expect(results[0].dx.map(\.bitPattern) == results[1].dx.map(\.bitPattern))
    }

    /// A binarized convolution that takes sign(x) itself equals the convolution of
    /// signSTE(paddedBy:), forward and backward, to the last bit: depthwise at strides 1 and 2, with
    /// dilation, and dense 1x1 at strides 1 and 2 (its gradients up to the order of their sums, see below).
    @Test(arguments: [(3, 1, 1, 1, true), (5, 2, 4, 1, true), (3, 1, 1, 2, true), (5, 1, 2, 2, true), (1, 1, 0, 1, false), (1, 1, 0, 2, false)],
          SignGradient.allCases)
    func convolutionOfTheSignEqualsTheConvolutionOfTheSignTensor(geometry: (kernel: Int, dilation: Int, padding: Int, stride: Int, depthwise: Bool),
                                                                 gradient: SignGradient) {
        let (kernel, dilation, padding, stride, depthwise) = geometry
        let (n, c, h) = (3, 4, 9)
        let xs = Self.values(n * c * h * h, seed: 9)
        let outChannels = depthwise ? c : 6
        let ws = Self.values(outChannels * (depthwise ? 1 : c) * kernel * kernel, seed: 10)
        var results: [(y: [Float], dx: [Float], dw: [Float])] = []
        for fused in [true, false] {
            let x = Tensor(shape: [n, c, h, h], data: xs, requiresGrad: true)
            let w = Tensor(shape: [outChannels, depthwise ? 1 : c, kernel, kernel], data: ws, requiresGrad: true)
            let binaryKernel = BinaryKernel(.xnor(w.data, outChannels: outChannels), channelsPerGroup: w.shape[1], kernel: kernel)
            let groups = depthwise ? c : 1
            let y = fused
                ? x.binarizedConv2d(weight: w, projection: nil, kernel: binaryKernel, kind: .xnor, record: nil, binaryInput: true, signOfInput: true,
                                    signGradient: gradient, stride: stride, padding: padding, dilation: dilation, groups: groups)
                : x.signSTE(paddedBy: padding, gradient: gradient).binarizedConv2d(weight: w, projection: nil, kernel: binaryKernel, kind: .xnor,
                                                                                   record: nil, binaryInput: true, stride: stride, padding: 0,
                                                                                   dilation: dilation, groups: groups)
            y.backward(seed: Self.values(y.count, seed: 11))
            results.append((y.data, x.grad, w.grad))
        }
        #expect(results[0].y.map(\.bitPattern) == results[1].y.map(\.bitPattern))
        if kernel == 1 {
            // The fused dense 1x1 runs SignPointwise (at stride 2 on the sampled pixels), whose input and
            // weight gradients add the same products as sgemm, in an order of its own: OpenBLAS's order
            // depends on the CPU (on the Xeon dx agreed to the bit, on a Zen 4 by a few ulps).
            // SignPointwiseTests checks both against double-precision sums of their definitions.
            for (actual, reference) in [(results[0].dx, results[1].dx), (results[0].dw, results[1].dw)] {
                let expected = reference.map(Double.init)
                let scale = expected.map(abs).max() ?? 1
                #expect(zip(actual, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 * scale })
            }
        } else {
            #expect(results[0].dx.map(\.bitPattern) == results[1].dx.map(\.bitPattern))
            #expect(results[0].dw.map(\.bitPattern) == results[1].dw.map(\.bitPattern))
        }
    }

    @Test func xnorScalesAreMeanAbsolutePerOutputChannel() {
        let binary = BinaryWeights.xnor([1, -3, 0, -0.5, 2, 0.5], outChannels: 2)
        #expect(binary.signs == [1, -1, 1, -1, 1, 1])
        #expect(binary.scales == [Float(4.0 / 3), 1] as [Float])
        let third: Float = 4.0 / 3
        #expect(binary.effective == [third, -third, third, -1, 1, 1] as [Float])
    }

    @Test func pcnnProjectsOntoPlusMinusTheLayerMean() {
        let binary = BinaryWeights.pcnn([1, -3, 2, 2], projection: [1, 1, -1, 0.5], outChannels: 2)
        #expect(binary.signs == [1, -1, -1, 1])
        #expect(binary.scales == [2, 2])
    }

    /// y = a * conv(sign(x) padded with +1, sign(W)): equal, to the last bit, to a direct loop over ±1 values.
    @Test(arguments: [(1, 1, 1), (2, 1, 1), (1, 2, 1), (1, 1, 4)])
    func binarizedConvolutionEqualsTheSignConvolution(stride: Int, dilation: Int, groups: Int) {
        let (n, c, o, h, k, pad) = (2, 4, 4, 7, 3, dilation)
        let x = Tensor(shape: [n, c, h, h], data: Self.values(n * c * h * h, seed: 3))
        let w = Tensor(shape: [o, c / groups, k, k], data: Self.values(o * c / groups * k * k, seed: 4), requiresGrad: true)
        let signs = x.signSTE().padded(by: pad, value: 1)
        let y = signs.binarizedConv2d(weight: w, projection: nil, kernel: BinaryKernel(.xnor(w.data, outChannels: o), channelsPerGroup: w.shape[1], kernel: k), kind: .xnor, record: nil, binaryInput: true,
                                      stride: stride, padding: 0, dilation: dilation, groups: groups)
        let binary = BinaryWeights.xnor(w.data, outChannels: o)
        let size = h + 2 * pad
        let out = (size - dilation * (k - 1) - 1) / stride + 1
        #expect(y.shape == [n, o, out, out])
        let cg = c / groups
        for b in 0..<n { for oc in 0..<o { for oy in 0..<out { for ox in 0..<out {
            var total: Float = 0
            for ci in 0..<cg { for ky in 0..<k { for kx in 0..<k {
                let iy = oy * stride + ky * dilation - pad, ix = ox * stride + kx * dilation - pad
                let input: Float = (iy < 0 || iy >= h || ix < 0 || ix >= h) ? 1 : (x.data[((b * c + (oc / (o / groups)) * cg + ci) * h + iy) * h + ix] >= 0 ? 1 : -1)
                total += input * binary.signs[((oc * cg + ci) * k + ky) * k + kx]
            } } }
            #expect(y.data[((b * o + oc) * out + oy) * out + ox] == binary.scales[oc] * total)
        } } } }
    }

    /// dL/dW of the XNOR convolution = finite differences of conv(x, W/n + a * clamp(W)) with a fixed.
    @Test func xnorWeightGradientMatchesItsDefiningFormula() {
        let (n, c, o, h, k) = (2, 3, 2, 5, 3)
        let x = Tensor(shape: [n, c, h, h], data: Self.values(n * c * h * h, seed: 5))
        let wValues = Self.values(o * c * k * k, seed: 6)
        let w = Tensor(shape: [o, c, k, k], data: wValues, requiresGrad: true)
        let y = x.binarizedConv2d(weight: w, projection: nil, kernel: BinaryKernel(.xnor(w.data, outChannels: o), channelsPerGroup: w.shape[1], kernel: k), kind: .xnor, record: nil, binaryInput: false,
                                  stride: 1, padding: 1, dilation: 1, groups: 1)
        let lossWeights = Self.values(y.count, seed: 7)
        y.backward(seed: lossWeights)
        let scales = BinaryWeights.xnor(wValues, outChannels: o).scales
        let perChannel = c * k * k
        let geometry = ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1, dilation: 1, groups: 1)
        let numeric = Self.finiteDifferences(wValues) { v in
            let surrogate = v.indices.map { i in v[i] / Float(perChannel) + scales[i / perChannel] * Self.clamp(v[i]) }
            return Self.weightedSum(Convolution.forward(geometry, input: x.data, weight: surrogate), lossWeights)
        }
        Self.expectClose(w.grad, numeric, "XNOR weight gradient")
    }

    /// dL/dW and dL/dP of the PCNN convolution = finite differences of conv(x, clamp(P o W)): PCNN's
    /// rule passes dL/dC_hat through the projection's STE and P, without the scale a.
    @Test func pcnnGradientsMatchTheirDefiningFormula() {
        let (n, c, o, h, k) = (2, 2, 3, 5, 3)
        let x = Tensor(shape: [n, c, h, h], data: Self.values(n * c * h * h, seed: 8))
        let wValues = Self.values(o * c * k * k, seed: 9)
        let pValues = Self.values(o * c * k * k, seed: 10).map { 0.5 + abs($0) / 2 }
        let w = Tensor(shape: [o, c, k, k], data: wValues, requiresGrad: true)
        let p = Tensor(shape: [o, c, k, k], data: pValues, requiresGrad: true)
        let record = PCNNRecord()
        let y = x.binarizedConv2d(weight: w, projection: p, kernel: BinaryKernel(.pcnn(w.data, projection: p.data, outChannels: o), channelsPerGroup: c, kernel: k), kind: .pcnn,
                                  record: record, binaryInput: false,
                                  stride: 1, padding: 1, dilation: 1, groups: 1)
        let lossWeights = Self.values(y.count, seed: 11)
        y.backward(seed: lossWeights)
        #expect(record.kernelGradient.count == w.count)
        let geometry = ConvGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1, dilation: 1, groups: 1)
        func loss(_ weights: [Float], _ projections: [Float]) -> Double {
            let surrogate = weights.indices.map { Self.clamp(projections[$0] * weights[$0]) }
            return Self.weightedSum(Convolution.forward(geometry, input: x.data, weight: surrogate), lossWeights)
        }
        Self.expectClose(w.grad, Self.finiteDifferences(wValues) { loss($0, pValues) }, "PCNN kernel gradient")
        Self.expectClose(p.grad, Self.finiteDifferences(pValues) { loss(wValues, $0) }, "PCNN projection gradient")
    }

    /// The projection loss's gradients = finite differences of L_P with C_hat and dL_S/dC_hat fixed.
    @Test func projectionLossGradientsMatchFiniteDifferences() {
        let count = 24
        let wValues = Self.values(count, seed: 12), pValues = Self.values(count, seed: 13)
        let kernelGradient = Self.values(count, seed: 14)
        let quantized = BinaryWeights.pcnn(wValues, projection: pValues, outChannels: 2).effective
        let w = Tensor(shape: [2, 3, 2, 2], data: wValues, requiresGrad: true)
        let p = Tensor(shape: [2, 3, 2, 2], data: pValues, requiresGrad: true)
        let record = PCNNRecord()
        record.kernelGradient = kernelGradient
        let (lambda, eta): (Float, Float) = (0.5, 0.1)
        PCNNProjectionLoss.addGradients(weight: w, projection: p, record: record, lambda: lambda, eta: eta)
        func loss(_ weights: [Float], _ projections: [Float]) -> Double {
            Double(PCNNProjectionLoss.value(weight: weights, projection: projections, quantized: quantized,
                                            kernelGradient: kernelGradient, lambda: lambda, eta: eta))
        }
        Self.expectClose(w.grad, Self.finiteDifferences(wValues) { loss($0, pValues) }, "dL_P/dW")
        Self.expectClose(p.grad, Self.finiteDifferences(pValues) { loss(wValues, $0) }, "dL_P/dP")
    }
}
