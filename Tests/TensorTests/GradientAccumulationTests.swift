import Testing
@testable import Tensor

/// An op's first gradient contribution is stored into fresh memory and later ones are added
/// (`contributeGrad`). Feeding x to the op twice must give exactly twice the single gradient: each
/// case reaches each element of x once per use, so the second use adds the same values as the
/// first (the pools, whose windows overlap, are covered by PoolingKernelTests instead).
@Suite struct GradientAccumulationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let shape: [Int]
        let op: @Sendable (Tensor) -> Tensor
        init(_ name: String, _ shape: [Int] = [2, 4, 6, 7], _ op: @escaping @Sendable (Tensor) -> Tensor) {
            testDescription = name; self.shape = shape; self.op = op
        }
    }

    static let cases: [Case] = [
        Case("concatChannels") { Tensor.concatChannels([randomTensor([2, 3, 6, 7], seed: 60, requiresGrad: false), $0]) },
        Case("sliceChannels") { $0.sliceChannels(1..<3) },
        Case("channelShuffle") { $0.channelShuffle(groups: 2) },
        Case("cropSpatial") { $0.cropSpatial(top: 1, left: 1) },
        Case("padded") { $0.padded(by: 2, value: 1) },
        Case("relu") { $0.relu() },
        Case("scaled") { $0.scaled(by: 0.3) },
        Case("scaledAt") { $0.scaled(by: Tensor(shape: [2], data: [0.7, -1.3], requiresGrad: true), at: 1) },
        Case("multiply") { $0 * randomTensor([2, 4, 6, 7], seed: 65, requiresGrad: false) },
        Case("sum") { $0.sum() },
        Case("batchNorm") { $0.batchNorm(gamma: nil, beta: nil, statistics: BatchNormStatistics(channels: 4), training: true) },
        Case("batchNorm inference") { $0.batchNorm(gamma: nil, beta: nil, statistics: BatchNormStatistics(channels: 4), training: false) },
        Case("depthwise conv") { $0.conv2d(randomTensor([4, 1, 3, 3], seed: 61), padding: 1, groups: 4) },
        Case("pointwise conv") { $0.conv2d(randomTensor([3, 4, 1, 1], seed: 62)) },
    ]

    static func inputGradient(_ c: Case, uses: Int) -> [Float] {
        let x = randomTensor(c.shape, seed: 63)
        let outputs = (0..<uses).map { _ in c.op(x) }
        let seed = randomTensor(outputs[0].shape, seed: 64, requiresGrad: false)
        Tensor.sum(outputs.map { $0 * seed }).sum().backward()
        return x.grad
    }

    @Test(arguments: cases)
    func twoUsesGiveTwiceTheGradient(_ c: Case) {
        let once = Self.inputGradient(c, uses: 1)
        let twice = Self.inputGradient(c, uses: 2)
        #expect(twice.map(\.bitPattern) == once.map { ($0 * 2).bitPattern })
    }
}
