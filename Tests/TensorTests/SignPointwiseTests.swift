import Testing
@testable import Tensor

/// The direct 1x1 loops of sign(x) (`SignPointwise`) against the sign pass + sgemm route they replace
/// and against double-precision sums written from the definitions.
@Suite struct SignPointwiseTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: [Int]
        let outChannels: Int
        var testDescription: String { "\(input) -> \(outChannels) channels" }
    }

    static let cases: [Case] = [
        Case(input: [2, 2, 28, 28], outChannels: 2),  // a normal cell's sep conv at C = 8, K = 4
        Case(input: [3, 5, 7, 7], outChannels: 3),    // planes of 49: the last vector overlaps; channel remainders
        Case(input: [9, 8, 14, 14], outChannels: 8),  // 9 images: five weight-gradient blocks of two and one
        Case(input: [1, 33, 4, 4], outChannels: 5),   // one vector per plane
        Case(input: [2, 3, 2, 3], outChannels: 6),    // planes under 16 pixels: the scalar loops
    ]

    /// x in [-2, 2] with some exact zeros (sign(0) = +1) and values at ±1 (the estimator's edges).
    static func input(_ shape: [Int]) -> [Float] {
        var x = randomTensor(shape, seed: 91, bound: 2).data
        for i in stride(from: 0, to: x.count, by: 7) { x[i] = 0 }
        for i in stride(from: 3, to: x.count, by: 11) { x[i] = i % 2 == 0 ? 1 : -1 }
        return x
    }

    static func geometry(_ c: Case) -> ConvGeometry {
        ConvGeometry(input: c.input, weight: [c.outChannels, c.input[1], 1, 1], stride: 1, padding: 0, dilation: 1, groups: 1)
    }

    @Test(arguments: cases)
    func forwardHasTheBitsOfSignsThenSgemmThenScales(_ c: Case) {
        let g = Self.geometry(c)
        let x = Self.input(c.input)
        let signs = randomTensor([c.outChannels, c.input[1]], seed: 92).data.map { $0 >= 0 ? Float(1) : -1 }
        let scales = randomTensor([c.outChannels], seed: 93).data.map { abs($0) + 0.01 }
        var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outPixels)
        x.withUnsafeBufferPointer { x in signs.withUnsafeBufferPointer { s in scales.withUnsafeBufferPointer { a in
            y.withUnsafeMutableBufferPointer { y in SignPointwise.forward(g, x.baseAddress!, signs: s.baseAddress!, scales: a.baseAddress!, into: y.baseAddress!) }
        } } }
        var expected = Convolution.forward(g, input: x.map { $0 >= 0 ? 1 : -1 }, weight: signs)
        for i in expected.indices { expected[i] *= scales[(i / g.outPixels) % c.outChannels] }
        #expect(y.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test(arguments: cases, [(true, true), (true, false), (false, true)])
    func gradientsMatchTheDefinitionsAndTheGEMMRoute(_ c: Case, wanted: (input: Bool, weight: Bool)) {
        let g = Self.geometry(c)
        let x = Self.input(c.input)
        let w = randomTensor([c.outChannels, c.input[1], 1, 1], seed: 94).data
        let dy = randomTensor([g.batch, c.outChannels, g.outHeight, g.outWidth], seed: 95).data
        let fast = Convolution.gradients(g, input: x, weight: w, outputGrad: dy, wantInput: wanted.input, wantWeight: wanted.weight,
                                         signOfInput: true, path: .fastest)
        let generic = Convolution.gradients(g, input: x, weight: w, outputGrad: dy, wantInput: wanted.input, wantWeight: wanted.weight,
                                            signOfInput: true, path: .generic)
        #expect((fast.input == nil) == !wanted.input && (fast.weight == nil) == !wanted.weight)
        let (channels, outChannels, pixels) = (g.inChannels, g.outChannels, g.outPixels)
        if let dx = fast.input, let genericDX = generic.input {
            var expected = [Double](repeating: 0, count: x.count)
            for n in 0..<g.batch {
                for ch in 0..<channels {
                    for p in 0..<pixels where abs(x[(n * channels + ch) * pixels + p]) <= 1 {
                        var total = 0.0
                        for o in 0..<outChannels { total += Double(w[o * channels + ch]) * Double(dy[(n * outChannels + o) * pixels + p]) }
                        expected[(n * channels + ch) * pixels + p] = total
                    }
                }
            }
            expectClose(dx, expected, absolute: 1e-5, relative: 1e-5, "input gradient")
            expectClose(dx, genericDX.map(Double.init), absolute: 1e-5, relative: 1e-5, "input gradient against the GEMM route")
        }
        if let dw = fast.weight, let genericDW = generic.weight {
            var expected = [Double](repeating: 0, count: w.count)
            for o in 0..<outChannels {
                for ch in 0..<channels {
                    for n in 0..<g.batch {
                        for p in 0..<pixels {
                            expected[o * channels + ch] += Double(dy[(n * outChannels + o) * pixels + p]) * (x[(n * channels + ch) * pixels + p] >= 0 ? 1 : -1)
                        }
                    }
                }
            }
            expectClose(dw, expected, absolute: 1e-4, relative: 1e-5, "weight gradient")
            expectClose(dw, genericDW.map(Double.init), absolute: 1e-4, relative: 1e-5, "weight gradient against the GEMM route")
        }
    }

    /// With ApproxSign in place of the estimator, the input gradient of the direct loops (vector and
    /// scalar) and of the GEMM route = sum_o w[o, c] dy[o, p] times the derivative at x[c, p].
    @Test(arguments: cases)
    func approxSignInputGradientMatchesTheDefinitionAndTheGEMMRoute(_ c: Case) {
        let g = Self.geometry(c)
        let x = Self.input(c.input)
        let w = randomTensor([c.outChannels, c.input[1], 1, 1], seed: 98).data
        let dy = randomTensor([g.batch, c.outChannels, g.outHeight, g.outWidth], seed: 99).data
        let paths = [LoopPath.fastest, .generic].map { path in
            Convolution.gradients(g, input: x, weight: w, outputGrad: dy, wantInput: true, wantWeight: false, signOfInput: true,
                                  signGradient: .approx, path: path).input ?? []
        }
        let (channels, outChannels, pixels) = (g.inChannels, g.outChannels, g.outPixels)
        var expected = [Double](repeating: 0, count: x.count)
        for n in 0..<g.batch {
            for ch in 0..<channels {
                for p in 0..<pixels {
                    let value = x[(n * channels + ch) * pixels + p]
                    var total = 0.0
                    for o in 0..<outChannels { total += Double(w[o * channels + ch]) * Double(dy[(n * outChannels + o) * pixels + p]) }
                    expected[(n * channels + ch) * pixels + p] = total * Double(max(0, 2 - 2 * abs(value)))
                }
            }
        }
        #expect(x.contains { abs($0) < 1 && $0 != 0 } && x.contains { abs($0) > 1 })
        expectClose(paths[0], expected, absolute: 1e-5, relative: 1e-5, "input gradient")
        expectClose(paths[1], expected, absolute: 1e-5, relative: 1e-5, "input gradient of the GEMM route")
    }

    /// A dense 1x1 convolution at a stride above 1 runs on the pixels the stride reads: its
    /// gradients on `.fastest` (sampled, `SignPointwise`, scattered back) against the definitions,
    /// with stride * i, and against the GEMM route; the sampling and scattering against their indices.
    @Test(arguments: [([3, 5, 9, 9], 4, 2), ([2, 4, 8, 8], 3, 2), ([2, 3, 7, 10], 2, 3)])
    func stridedGradientsMatchTheDefinitionsAndTheGEMMRoute(input shape: [Int], outChannels: Int, stride: Int) {
        let g = ConvGeometry(input: shape, weight: [outChannels, shape[1], 1, 1], stride: stride, padding: 0, dilation: 1, groups: 1)
        #expect(SignPointwise.fitsStrided(g) && !SignPointwise.fits(g))
        let x = Self.input(shape)
        let (channels, height, width) = (shape[1], shape[2], shape[3])
        @Sendable func at(_ n: Int, _ c: Int, _ i: Int, _ j: Int) -> Int { ((n * channels + c) * height + i * stride) * width + j * stride }

        let (sampledGeometry, sampled) = SignPointwise.sampled(g, x)
        #expect(sampledGeometry.isPointwise && sampledGeometry.outPixels == g.outPixels)
        var expectedSample: [Float] = []
        for n in 0..<g.batch { for c in 0..<channels { for i in 0..<g.outHeight { for j in 0..<g.outWidth { expectedSample.append(x[at(n, c, i, j)]) } } } }
        #expect(sampled == expectedSample)
        let scattered = SignPointwise.unsampled(g, sampled)
        var expectedScatter = [Float](repeating: 0, count: x.count)
        for n in 0..<g.batch { for c in 0..<channels { for i in 0..<g.outHeight { for j in 0..<g.outWidth { expectedScatter[at(n, c, i, j)] = x[at(n, c, i, j)] } } } }
        #expect(scattered == expectedScatter)

        let w = randomTensor([outChannels, channels, 1, 1], seed: 96).data
        let dy = randomTensor([g.batch, outChannels, g.outHeight, g.outWidth], seed: 97).data
        let fast = Convolution.gradients(g, input: x, weight: w, outputGrad: dy, wantInput: true, wantWeight: true, signOfInput: true, path: .fastest)
        let generic = Convolution.gradients(g, input: x, weight: w, outputGrad: dy, wantInput: true, wantWeight: true, signOfInput: true, path: .generic)
        var expectedDX = [Double](repeating: 0, count: x.count)
        var expectedDW = [Double](repeating: 0, count: w.count)
        for n in 0..<g.batch {
            for c in 0..<channels {
                for i in 0..<g.outHeight {
                    for j in 0..<g.outWidth {
                        let value = x[at(n, c, i, j)]
                        for o in 0..<outChannels {
                            let upstream = Double(dy[((n * outChannels + o) * g.outHeight + i) * g.outWidth + j])
                            if abs(value) <= 1 { expectedDX[at(n, c, i, j)] += Double(w[o * channels + c]) * upstream }
                            expectedDW[o * channels + c] += upstream * (value >= 0 ? 1 : -1)
                        }
                    }
                }
            }
        }
        expectClose(fast.input!, expectedDX, absolute: 1e-5, relative: 1e-5, "input gradient")
        expectClose(fast.input!, generic.input!.map(Double.init), absolute: 1e-5, relative: 1e-5, "input gradient against the GEMM route")
        expectClose(fast.weight!, expectedDW, absolute: 1e-4, relative: 1e-5, "weight gradient")
        expectClose(fast.weight!, generic.weight!.map(Double.init), absolute: 1e-4, relative: 1e-5, "weight gradient against the GEMM route")
    }
}
