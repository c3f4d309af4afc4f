import Testing
@testable import Tensor

@Suite struct BatchNormTests {
    static let shape = [3, 2, 3, 4]

    /// Shifted and scaled per channel so that the statistics are not already 0 and 1.
    static func input(seed: UInt64, shape: [Int] = shape) -> Tensor {
        let x = randomTensor(shape, seed: seed)
        let spatial = shape.dropFirst(2).reduce(1, *)
        for index in 0..<x.count {
            let channel = (index / spatial) % shape[1]
            x.data[index] = x.data[index] * Float(1 + channel) + Float(channel) - 0.5
        }
        return x
    }

    @Test(arguments: [true, false])
    func trainingForwardUsesBatchStatistics(affine: Bool) {
        let x = Self.input(seed: 21)
        let gamma = affine ? Tensor(shape: [2], data: [1.5, -0.7], requiresGrad: true) : nil
        let beta = affine ? Tensor(shape: [2], data: [0.2, 0.9], requiresGrad: true) : nil
        let y = x.batchNorm(gamma: gamma, beta: beta, statistics: BatchNormStatistics(channels: 2), training: true)
        let moments = Reference.moments(doubles(x), shape: x.shape)
        let expected = Reference.batchNorm(
            doubles(x), shape: x.shape, mean: moments.mean, variance: moments.variance,
            gamma: gamma.map(doubles), beta: beta.map(doubles))
        expectClose(y.data, expected, absolute: 1e-5, relative: 1e-5, "batchNorm training")
    }

    /// The gradient flows through the batch mean and variance as well as the direct path.
    @Test(arguments: [true, false])
    func trainingGradientsMatchFiniteDifferences(affine: Bool) {
        let x = Self.input(seed: 22)
        var inputs = [x]
        if affine {
            inputs.append(Tensor(shape: [2], data: [1.5, -0.7], requiresGrad: true))
            inputs.append(Tensor(shape: [2], data: [0.2, 0.9], requiresGrad: true))
        }
        GradientCheck.check(inputs) { t in
            t[0].batchNorm(gamma: affine ? t[1] : nil, beta: affine ? t[2] : nil,
                           statistics: BatchNormStatistics(channels: 2), training: true)
        }
    }

    @Test func trainingGradientOfMatrixInput() {
        let x = Self.input(seed: 23, shape: [6, 3])
        let gamma = Tensor(shape: [3], data: [0.5, 1.2, -1], requiresGrad: true)
        let beta = Tensor(shape: [3], data: [0, 0.3, -0.4], requiresGrad: true)
        let y = x.batchNorm(gamma: gamma, beta: beta, statistics: BatchNormStatistics(channels: 3), training: true)
        let moments = Reference.moments(doubles(x), shape: x.shape)
        let expected = Reference.batchNorm(doubles(x), shape: x.shape, mean: moments.mean, variance: moments.variance, gamma: doubles(gamma), beta: doubles(beta))
        expectClose(y.data, expected, absolute: 1e-5, relative: 1e-5, "batchNorm [N, C]")
        GradientCheck.check([x, gamma, beta]) { t in
            t[0].batchNorm(gamma: t[1], beta: t[2], statistics: BatchNormStatistics(channels: 3), training: true)
        }
    }

    static func runningStatistics() -> BatchNormStatistics {
        let statistics = BatchNormStatistics(channels: 2)
        statistics.mean = [0.3, -0.2]
        statistics.variance = [0.5, 2.0]
        return statistics
    }

    @Test(arguments: [true, false])
    func inferenceForwardUsesRunningStatistics(affine: Bool) {
        let x = Self.input(seed: 24)
        let gamma = affine ? Tensor(shape: [2], data: [1.5, -0.7], requiresGrad: true) : nil
        let beta = affine ? Tensor(shape: [2], data: [0.2, 0.9], requiresGrad: true) : nil
        let statistics = Self.runningStatistics()
        let y = x.batchNorm(gamma: gamma, beta: beta, statistics: statistics, training: false)
        let expected = Reference.batchNorm(
            doubles(x), shape: x.shape, mean: [0.3, -0.2], variance: [0.5, 2.0],
            gamma: gamma.map(doubles), beta: beta.map(doubles))
        expectClose(y.data, expected, absolute: 1e-5, relative: 1e-5, "batchNorm inference")
        #expect(statistics.mean == [0.3, -0.2] && statistics.variance == [0.5, 2.0], "inference must not update the running statistics")
    }

    @Test(arguments: [true, false])
    func inferenceGradientsMatchFiniteDifferences(affine: Bool) {
        var inputs = [Self.input(seed: 25)]
        if affine {
            inputs.append(Tensor(shape: [2], data: [1.5, -0.7], requiresGrad: true))
            inputs.append(Tensor(shape: [2], data: [0.2, 0.9], requiresGrad: true))
        }
        let statistics = Self.runningStatistics()
        GradientCheck.check(inputs, tolerance: .linear) { t in
            t[0].batchNorm(gamma: affine ? t[1] : nil, beta: affine ? t[2] : nil, statistics: statistics, training: false)
        }
    }

    /// running = (1 - momentum) running + momentum batch, with the unbiased batch variance (M - 1).
    @Test func trainingUpdatesRunningStatistics() {
        let statistics = BatchNormStatistics(channels: 2)
        #expect(statistics.mean == [0, 0] && statistics.variance == [1, 1] && statistics.momentum == 0.1)
        var expectedMean = [0.0, 0.0]
        var expectedVariance = [1.0, 1.0]
        for seed: UInt64 in [26, 27] {
            let x = Self.input(seed: seed)
            _ = x.batchNorm(gamma: nil, beta: nil, statistics: statistics, training: true)
            let moments = Reference.moments(doubles(x), shape: x.shape)
            for c in 0..<2 {
                expectedMean[c] = 0.9 * expectedMean[c] + 0.1 * moments.mean[c]
                expectedVariance[c] = 0.9 * expectedVariance[c] + 0.1 * moments.unbiasedVariance[c]
            }
        }
        expectClose(statistics.mean, expectedMean, absolute: 1e-6, relative: 1e-5, "running mean")
        expectClose(statistics.variance, expectedVariance, absolute: 1e-6, relative: 1e-5, "running variance")
    }
}
