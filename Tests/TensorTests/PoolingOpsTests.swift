import Testing
@testable import Tensor

struct PoolCase: Sendable, CustomTestStringConvertible {
    let kernel, stride, padding: Int
    let input: [Int]
    var testDescription: String { "\(kernel)x\(kernel) stride \(stride) pad \(padding) on \(input)" }

    static let all: [PoolCase] = [
        PoolCase(kernel: 3, stride: 1, padding: 1, input: [2, 2, 7, 5]),
        PoolCase(kernel: 3, stride: 2, padding: 1, input: [2, 2, 7, 5]),
        PoolCase(kernel: 2, stride: 2, padding: 0, input: [1, 3, 6, 5]),
        PoolCase(kernel: 3, stride: 2, padding: 0, input: [2, 1, 7, 7]),
        // Widths that take the 3x3 SIMD path with 16, 8 and 4 lanes.
        PoolCase(kernel: 3, stride: 1, padding: 1, input: [1, 2, 5, 20]),
        PoolCase(kernel: 3, stride: 1, padding: 1, input: [2, 1, 6, 11]),
        PoolCase(kernel: 3, stride: 1, padding: 1, input: [1, 2, 4, 6]),
    ]
}

@Suite struct PoolingOpsTests {
    @Test(arguments: PoolCase.all)
    func maxPoolForwardMatchesReference(_ c: PoolCase) {
        let x = randomTensor(c.input, seed: 11)
        let y = x.maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding)
        let reference = Reference.pool2d(doubles(x), shape: x.shape, kernel: c.kernel, stride: c.stride, padding: c.padding, average: false)
        #expect(y.shape == reference.shape)
        expectClose(y.data, reference.values, absolute: 0, relative: 0, "maxPool2d")
    }

    /// Values 0.1 apart and a step of 0.01: no perturbation changes a window's maximum.
    @Test(arguments: PoolCase.all)
    func maxPoolGradientMatchesFiniteDifferences(_ c: PoolCase) {
        let x = distinctValues(c.input, seed: 12, spacing: 0.1)
        GradientCheck.check([x], tolerance: .linear) { inputs in
            inputs[0].maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding)
        }
    }

    /// All-negative input: the zero padding must never win the maximum.
    @Test func maxPoolIgnoresPadding() {
        let x = Tensor(shape: [1, 1, 2, 2], data: [-4, -3, -2, -1])
        let y = x.maxPool2d(kernel: 3, stride: 1, padding: 1)
        #expect(y.data == [-1, -1, -1, -1])
    }

    @Test(arguments: PoolCase.all)
    func avgPoolForwardMatchesReference(_ c: PoolCase) {
        let x = randomTensor(c.input, seed: 13)
        let y = x.avgPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding)
        let reference = Reference.pool2d(doubles(x), shape: x.shape, kernel: c.kernel, stride: c.stride, padding: c.padding, average: true)
        #expect(y.shape == reference.shape)
        expectClose(y.data, reference.values, absolute: 1e-6, relative: 1e-6, "avgPool2d")
    }

    @Test(arguments: PoolCase.all)
    func avgPoolGradientMatchesFiniteDifferences(_ c: PoolCase) {
        let x = randomTensor(c.input, seed: 14)
        GradientCheck.check([x], tolerance: .linear) { inputs in
            inputs[0].avgPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding)
        }
    }

    /// count_include_pad=False: a corner window of ones averages to 1, not 4/9.
    @Test func avgPoolDividesByTheCellsInside() {
        let x = Tensor.filled([1, 1, 3, 3], value: 1)
        #expect(x.avgPool2d(kernel: 3, stride: 1, padding: 1).data == [Float](repeating: 1, count: 9))
        let ramp = Tensor(shape: [1, 1, 2, 2], data: [1, 2, 3, 4])
        #expect(ramp.avgPool2d(kernel: 3, stride: 1, padding: 1).data == [2.5, 2.5, 2.5, 2.5])
    }

    @Test func inputSmallerThanTheWindowIsRejected() async {
        #expect(Tensor.zeros([1, 1, 3, 3]).maxPool2d(kernel: 3, stride: 2).shape == [1, 1, 1, 1])
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([1, 1, 2, 2]).maxPool2d(kernel: 3, stride: 2)
        }
    }

    @Test func globalAvgPoolForwardAndGradient() {
        let x = randomTensor([2, 3, 5, 4], seed: 15)
        let y = x.globalAvgPool()
        #expect(y.shape == [2, 3])
        let values = doubles(x)
        let expected = (0..<6).map { plane in values[plane * 20..<(plane + 1) * 20].reduce(0, +) / 20 }
        expectClose(y.data, expected, absolute: 1e-6, relative: 1e-6, "globalAvgPool")
        GradientCheck.check([x], tolerance: .linear) { $0[0].globalAvgPool() }
    }
}
