import Testing
@testable import Tensor

@Suite struct ElementwiseOpsTests {
    static let shape = [2, 3, 2, 2]

    @Test func addForwardAndGradient() {
        let a = randomTensor(Self.shape, seed: 61)
        let b = randomTensor(Self.shape, seed: 62)
        expectClose((a + b).data, zip(doubles(a), doubles(b)).map(+), absolute: 1e-7, relative: 1e-7, "a + b")
        GradientCheck.check([a, b], tolerance: .linear) { $0[0] + $0[1] }
    }

    @Test func sumOfTensorsForwardAndGradient() {
        let terms = (0..<3).map { randomTensor(Self.shape, seed: 63 + UInt64($0)) }
        let expected = (0..<terms[0].count).map { i in terms.map { Double($0.data[i]) }.reduce(0, +) }
        expectClose(Tensor.sum(terms).data, expected, absolute: 1e-6, relative: 1e-6, "Tensor.sum")
        GradientCheck.check(terms, tolerance: .linear) { Tensor.sum($0) }
        let single = randomTensor(Self.shape, seed: 66)
        GradientCheck.check([single], tolerance: .linear) { Tensor.sum($0) }
    }

    /// Sums of 1 to 4 terms equal the plain loop ((t0 + t1) + t2) + t3 to the bit, also when the
    /// elements are split over the workers (more than 2^15 of them, not a multiple of the chunk).
    @Test(arguments: [1, 2, 3, 4], [24, 100_003])
    func sumKeepsThePlainLoopsOrder(terms count: Int, elements: Int) {
        let terms = (0..<count).map { randomTensor([elements], seed: 70 + UInt64($0)) }
        var expected = terms[0].data
        for term in terms.dropFirst() { for i in expected.indices { expected[i] += term.data[i] } }
        #expect(Tensor.sum(terms).data.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func multiplyForwardAndGradient() {
        let a = randomTensor(Self.shape, seed: 67)
        let b = randomTensor(Self.shape, seed: 68)
        expectClose((a * b).data, zip(doubles(a), doubles(b)).map(*), absolute: 1e-7, relative: 1e-6, "a * b")
        GradientCheck.check([a, b], tolerance: .linear) { $0[0] * $0[1] }
        GradientCheck.check([a]) { $0[0] * $0[0] }
    }

    @Test func scaledByConstant() {
        let x = randomTensor(Self.shape, seed: 69)
        expectClose(x.scaled(by: -0.7).data, doubles(x).map { $0 * Double(Float(-0.7)) }, absolute: 1e-7, relative: 1e-6, "scaled(by:)")
        GradientCheck.check([x], tolerance: .linear) { $0[0].scaled(by: -0.7) }
    }

    /// x * alpha[2]: alpha gets a gradient in slot 2 only.
    @Test func scaledByTensorElement() {
        let x = randomTensor(Self.shape, seed: 70)
        let alpha = Tensor(shape: [4], data: [0.1, -0.4, 0.8, 1.3], requiresGrad: true)
        expectClose(x.scaled(by: alpha, at: 2).data, doubles(x).map { $0 * Double(Float(0.8)) }, absolute: 1e-7, relative: 1e-6, "scaled(by:at:)")
        GradientCheck.check([x, alpha], tolerance: .linear) { $0[0].scaled(by: $0[1], at: 2) }
        let constant = randomTensor(Self.shape, seed: 71, requiresGrad: false)
        GradientCheck.check([alpha], tolerance: .linear) { constant.scaled(by: $0[0], at: 1) }
    }

    @Test func scaledPerSample() {
        let x = randomTensor(Self.shape, seed: 72)
        let factors: [Float] = [0, 2.5]
        let y = x.scaledPerSample(factors)
        let perSample = x.count / 2
        expectClose(y.data, doubles(x).enumerated().map { $1 * Double(factors[$0 / perSample]) }, absolute: 1e-7, relative: 1e-6, "scaledPerSample")
        GradientCheck.check([x], tolerance: .linear) { $0[0].scaledPerSample(factors) }
    }

    @Test func reluForwardAndGradient() {
        let x = awayFromZero(Self.shape, seed: 73)
        #expect(x.data.contains { $0 < 0 } && x.data.contains { $0 > 0 })
        expectClose(x.relu().data, doubles(x).map { max($0, 0) }, absolute: 0, relative: 0, "relu")
        GradientCheck.check([x], tolerance: .linear) { $0[0].relu() }
    }

    @Test func reshapedKeepsValuesAndGradient() {
        let x = randomTensor(Self.shape, seed: 74)
        let y = x.reshaped([6, 4])
        #expect(y.shape == [6, 4] && y.data == x.data)
        GradientCheck.check([x], tolerance: .linear) { $0[0].reshaped([4, 6]) }
    }

    @Test func sumAndMean() {
        let x = randomTensor(Self.shape, seed: 75)
        let total = doubles(x).reduce(0, +)
        #expect(x.sum().shape == [1])
        #expect(abs(Double(x.sum().scalar) - total) < 1e-5)
        #expect(abs(Double(x.mean().scalar) - total / Double(x.count)) < 1e-6)
        GradientCheck.check([x], tolerance: .linear) { $0[0].sum() }
        GradientCheck.check([x], tolerance: .linear) { $0[0].mean() }
    }
}
