import Testing
@testable import Tensor

@Suite struct LinearOpsTests {
    @Test func matmulForwardAndGradient() {
        let a = randomTensor([3, 4], seed: 51)
        let b = randomTensor([4, 2], seed: 52)
        let c = a.matmul(b)
        #expect(c.shape == [3, 2])
        expectClose(c.data, Reference.matmul(doubles(a), doubles(b), m: 3, k: 4, n: 2), absolute: 1e-6, relative: 1e-5, "matmul")
        GradientCheck.check([a, b], tolerance: .linear) { $0[0].matmul($0[1]) }
    }

    @Test func matmulByHand() {
        let a = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], data: [7, 8, 9, 10, 11, 12])
        #expect(a.matmul(b).data == [58, 64, 139, 154])
    }

    @Test(arguments: [true, false])
    func linearForwardAndGradient(withBias: Bool) {
        let x = randomTensor([3, 4], seed: 53)
        let w = randomTensor([5, 4], seed: 54)
        let b = withBias ? randomTensor([5], seed: 55) : nil
        let y = x.linear(weight: w, bias: b)
        #expect(y.shape == [3, 5])
        let expected = Reference.linear(doubles(x), weight: doubles(w), bias: b.map(doubles), rows: 3, inputs: 4, outputs: 5)
        expectClose(y.data, expected, absolute: 1e-6, relative: 1e-5, "linear")
        GradientCheck.check([x, w] + (b.map { [$0] } ?? []), tolerance: .linear) { t in
            t[0].linear(weight: t[1], bias: withBias ? t[2] : nil)
        }
    }
}
