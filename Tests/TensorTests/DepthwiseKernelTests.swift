import Testing
@testable import Tensor

/// The fast depthwise forward (stride 1) and backward (gathers and dots at stride 1, and at stride 2
/// on dy spread onto the stride-1 grid) against the generic strided loop.
@Suite struct DepthwiseKernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: [Int]
        let kernel, padding, dilation: Int
        var stride = 1
        var testDescription: String { "\(kernel)x\(kernel) stride \(stride) pad \(padding) dilation \(dilation) on \(input)" }
    }

    static let cases: [Case] = [
        Case(input: [2, 3, 7, 5], kernel: 3, padding: 1, dilation: 1),
        Case(input: [2, 2, 9, 6], kernel: 5, padding: 2, dilation: 1),
        Case(input: [2, 3, 7, 5], kernel: 3, padding: 2, dilation: 2),
        Case(input: [1, 2, 11, 10], kernel: 5, padding: 4, dilation: 2),
        Case(input: [3, 2, 30, 30], kernel: 3, padding: 0, dilation: 1),
        Case(input: [2, 2, 28, 28], kernel: 5, padding: 2, dilation: 1),
        Case(input: [2, 3, 7, 5], kernel: 3, padding: 1, dilation: 1, stride: 2),
        Case(input: [2, 2, 30, 30], kernel: 3, padding: 0, dilation: 1, stride: 2),
        Case(input: [2, 2, 32, 32], kernel: 5, padding: 0, dilation: 1, stride: 2),
        Case(input: [1, 2, 11, 10], kernel: 5, padding: 4, dilation: 2, stride: 2),
        Case(input: [2, 4, 9, 9], kernel: 3, padding: 1, dilation: 1, stride: 3),
    ]

    /// `sign`: the input is the sign of x, with that derivative, or (nil) x itself.
    @Test(arguments: cases, [nil, SignGradient.ste, .approx])
    func fastLoopsMatchTheGenericLoops(_ c: Case, sign: SignGradient?) {
        let channels = c.input[1]
        let g = ConvGeometry(input: c.input, weight: [channels, 1, c.kernel, c.kernel], stride: c.stride, padding: c.padding,
                             dilation: c.dilation, groups: channels)
        let x = randomTensor(c.input, seed: 71, bound: 2).data  // beyond ±1 too, where sign's estimator blocks the gradient
        let w = randomTensor([channels, 1, c.kernel, c.kernel], seed: 72).data
        let dy = randomTensor([g.batch, channels, g.outHeight, g.outWidth], seed: 73).data
        var outputs: [[Float]] = []
        var results: [(dx: [Float], dw: [Float])] = []
        for path in [LoopPath.fastest, .generic] {
            var dx = randomTensor(c.input, seed: 74).data
            var dw = randomTensor([channels, 1, c.kernel, c.kernel], seed: 75).data
            x.withUnsafeBufferPointer { x in w.withUnsafeBufferPointer { w in dy.withUnsafeBufferPointer { dy in
                dx.withUnsafeMutableBufferPointer { dx in dw.withUnsafeMutableBufferPointer { dw in
                    Convolution.depthwiseBackward(g, x.baseAddress!, w.baseAddress!, dy.baseAddress!, dx.baseAddress!, dw.baseAddress!,
                                                  signOfInput: sign != nil, signGradient: sign ?? .ste, path: path)
                } }
            } } }
            results.append((dx, dw))
            var y = [Float](repeating: .nan, count: g.batch * channels * g.outPixels)
            x.withUnsafeBufferPointer { x in w.withUnsafeBufferPointer { w in y.withUnsafeMutableBufferPointer { y in
                Convolution.depthwiseForward(g, x.baseAddress!, w.baseAddress!, y.baseAddress!, path: path)
            } } }
            outputs.append(y)
        }
        #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern))
        // The input gradient adds the same terms in the same order; the weight gradient's sums are
        // vectorised on one path only.
        #expect(results[0].dx == results[1].dx)
        expectClose(results[0].dw, results[1].dw.map(Double.init), absolute: 1e-4, relative: 1e-5, "weight gradient")
    }

    /// The input gradient is written, not added: on a buffer of NaNs it must equal the one written
    /// over zeros, on either path (so every element is written).
    @Test(arguments: cases, [LoopPath.fastest, .generic])
    func inputGradientOverwritesEveryElement(_ c: Case, path: LoopPath) {
        let channels = c.input[1]
        let g = ConvGeometry(input: c.input, weight: [channels, 1, c.kernel, c.kernel], stride: c.stride, padding: c.padding,
                             dilation: c.dilation, groups: channels)
        let x = randomTensor(c.input, seed: 81, bound: 2).data
        let w = randomTensor([channels, 1, c.kernel, c.kernel], seed: 82).data
        let dy = randomTensor([g.batch, channels, g.outHeight, g.outWidth], seed: 83).data
        var results: [[Float]] = []
        for start in [Float(0), .nan] {
            var dx = [Float](repeating: start, count: x.count)
            x.withUnsafeBufferPointer { x in w.withUnsafeBufferPointer { w in dy.withUnsafeBufferPointer { dy in
                dx.withUnsafeMutableBufferPointer { dx in
                    Convolution.depthwiseBackward(g, x.baseAddress!, w.baseAddress!, dy.baseAddress!, dx.baseAddress!, nil, signOfInput: true,
                                                  path: path)
                }
            } } }
            results.append(dx)
        }
        #expect(results[1].map(\.bitPattern) == results[0].map(\.bitPattern))
    }
}
