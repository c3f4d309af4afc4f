import Foundation
import Testing
@testable import Tensor

@Suite struct SoftmaxOpsTests {
    static let labels: [Int32] = [2, 0, 4]

    @Test func softmaxForwardAndGradient() {
        let x = randomTensor([3, 5], seed: 31, bound: 2)
        let y = x.softmax()
        expectClose(y.data, Reference.softmax(doubles(x), classes: 5), absolute: 1e-6, relative: 1e-5, "softmax")
        for row in 0..<3 { #expect(abs(y.data[row * 5..<row * 5 + 5].reduce(0, +) - 1) < 1e-6) }
        GradientCheck.check([x]) { $0[0].softmax() }
    }

    @Test func softmaxOfOneRow() {
        let x = Tensor(shape: [3], data: [0, Float(2).squareRoot(), -1], requiresGrad: true)
        expectClose(x.softmax().data, Reference.softmax(doubles(x), classes: 3), absolute: 1e-7, relative: 1e-6, "softmax [classes]")
        GradientCheck.check([x]) { $0[0].softmax() }
    }

    @Test func logSoftmaxForwardAndGradient() {
        let x = randomTensor([3, 5], seed: 32, bound: 2)
        expectClose(x.logSoftmax().data, Reference.logSoftmax(doubles(x), classes: 5), absolute: 1e-6, relative: 1e-5, "logSoftmax")
        GradientCheck.check([x]) { $0[0].logSoftmax() }
    }

    @Test func crossEntropyForwardAndGradient() {
        let x = randomTensor([3, 5], seed: 33, bound: 2)
        let loss = x.crossEntropy(labels: Self.labels)
        #expect(loss.shape == [1])
        let expected = Reference.crossEntropy(doubles(x), classes: 5, labels: Self.labels)
        #expect(abs(Double(loss.scalar) - expected) < 1e-6 * max(1, expected))
        GradientCheck.check([x]) { $0[0].crossEntropy(labels: Self.labels) }
    }

    /// KL(p || q) on two rows of known numbers: student logits (0, 0) against a teacher at (ln 3, 0),
    /// 0.75 ln 1.5 + 0.25 ln 0.5 = 0.1308120; equal distributions give 0. The mean over the rows is
    /// 0.0654060, and the gradient (q - p) / N = (-0.125, 0.125) for the first row, 0 for the second.
    @Test func klDivergenceOfKnownDistributions() {
        let student = Tensor(shape: [2, 2], data: [0, 0, 1, -2], requiresGrad: true)
        let teacher = Tensor(shape: [2, 2], data: [Float(Foundation.log(3.0)), 0, 4, 1])
        let loss = student.klDivergence(fromTeacher: teacher)
        let firstRow: Double = 0.75 * Foundation.log(1.5) + 0.25 * Foundation.log(0.5)
        #expect(abs(Double(loss.scalar) - firstRow / 2) < 1e-6)
        loss.backward()
        expectClose(student.grad, [-0.125, 0.125, 0, 0], absolute: 1e-6, relative: 1e-5, "gradient")
        #expect(teacher.grad.isEmpty, "no gradient flows to the teacher")
    }

    @Test func klDivergenceGradientMatchesFiniteDifferences() {
        let student = randomTensor([3, 5], seed: 34, bound: 2)
        let teacher = randomTensor([3, 5], seed: 35, bound: 3, requiresGrad: false)
        let p = Reference.softmax(doubles(teacher), classes: 5)
        let logQ = Reference.logSoftmax(doubles(student), classes: 5)
        var total = 0.0
        for j in 0..<15 { total += p[j] * (Foundation.log(p[j]) - logQ[j]) }
        let expected = total / 3
        #expect(abs(Double(student.klDivergence(fromTeacher: teacher).scalar) - expected) < 1e-6)
        GradientCheck.check([student]) { $0[0].klDivergence(fromTeacher: teacher) }
    }

    /// A teacher whose softmax underflows to 0 for a class adds 0 for it, not NaN.
    @Test func klDivergenceIgnoresClassesTheTeacherRulesOut() {
        let student = Tensor(shape: [1, 3], data: [0.5, -0.5, 0], requiresGrad: true)
        let teacher = Tensor(shape: [1, 3], data: [0, -200, 0])
        let loss = student.klDivergence(fromTeacher: teacher)
        let logQ = Reference.logSoftmax([0.5, -0.5, 0], classes: 3)
        let expected: Double = 0.5 * (Foundation.log(0.5) - logQ[0]) + 0.5 * (Foundation.log(0.5) - logQ[2])
        #expect(abs(Double(loss.scalar) - expected) < 1e-6)
    }

    /// Logits of 1e4 overflow a naive exp; the fused log-sum-exp must stay finite and exact.
    @Test func hugeLogitsStayFinite() {
        let x = Tensor(shape: [3, 3], data: [1e4, 0, -1e4, 1e4, 1e4, -1e4, -1e4, 1e4 - 2, 1e4], requiresGrad: true)
        let labels: [Int32] = [1, 0, 1]
        let loss = x.crossEntropy(labels: labels)
        #expect(loss.scalar.isFinite)
        let expected = Reference.crossEntropy(doubles(x), classes: 3, labels: labels)
        #expect(abs(Double(loss.scalar) - expected) < 1e-3, "loss \(loss.scalar), expected \(expected)")
        loss.backward()
        #expect(x.grad.allSatisfy { $0.isFinite })
        // (softmax - onehot) / N
        let probabilities = Reference.softmax(doubles(x), classes: 3)
        var expectedGrad = probabilities
        for (row, label) in labels.enumerated() { expectedGrad[row * 3 + Int(label)] -= 1 }
        expectClose(x.grad, expectedGrad.map { $0 / 3 }, absolute: 1e-6, relative: 1e-5, "cross entropy gradient")

        let probabilitiesFloat = x.softmax().data
        #expect(probabilitiesFloat.allSatisfy { $0.isFinite })
        expectClose(probabilitiesFloat, probabilities, absolute: 1e-6, relative: 1e-5, "softmax of huge logits")
        let logs = x.logSoftmax().data
        #expect(logs.allSatisfy { $0.isFinite })
        expectClose(logs, Reference.logSoftmax(doubles(x), classes: 3), absolute: 1e-3, relative: 1e-6, "logSoftmax of huge logits")
    }
}
