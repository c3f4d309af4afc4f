import Testing
@testable import Tensor

@Suite struct ChannelOpsTests {
    @Test func concatChannelsForwardAndGradient() {
        let a = randomTensor([2, 2, 3, 4], seed: 41)
        let b = randomTensor([2, 3, 3, 4], seed: 42)
        let y = Tensor.concatChannels([a, b])
        #expect(y.shape == [2, 5, 3, 4])
        var expected: [Double] = []
        for n in 0..<2 {
            expected += doubles(a)[n * 24..<(n + 1) * 24]
            expected += doubles(b)[n * 36..<(n + 1) * 36]
        }
        expectClose(y.data, expected, absolute: 0, relative: 0, "concatChannels")
        GradientCheck.check([a, b], tolerance: .linear) { Tensor.concatChannels($0) }
    }

    /// Sums written into their channels: groups of one (a copy), two and three terms with different
    /// channel counts, against concatChannels of the sums bit for bit; with a gradient, the same ops.
    @Test func concatenatedSumsAreTheConcatenationOfTheSums() {
        let groups = [[randomTensor([2, 3, 4, 5], seed: 50)],
                      [randomTensor([2, 2, 4, 5], seed: 51), randomTensor([2, 2, 4, 5], seed: 52)],
                      [randomTensor([2, 4, 4, 5], seed: 53), randomTensor([2, 4, 4, 5], seed: 54), randomTensor([2, 4, 4, 5], seed: 55)]]
        let expected = Tensor.concatChannels(groups.map { Tensor.sum($0) })
        let direct = GradMode.disabled { Tensor.concatenatedSums(groups) }
        #expect(direct.shape == [2, 9, 4, 5])
        #expect(direct.data.map(\.bitPattern) == expected.data.map(\.bitPattern))
        #expect(Tensor.concatenatedSums(groups).data.map(\.bitPattern) == expected.data.map(\.bitPattern))
        GradientCheck.check(Array(groups.joined()), tolerance: .linear) { terms in
            Tensor.concatenatedSums([[terms[0]], [terms[1], terms[2]], [terms[3], terms[4], terms[5]]])
        }
    }

    @Test func sliceChannelsForwardAndGradient() {
        let x = randomTensor([2, 5, 2, 3], seed: 43)
        let y = x.sliceChannels(1..<4)
        #expect(y.shape == [2, 3, 2, 3])
        var expected: [Double] = []
        for n in 0..<2 { expected += doubles(x)[(n * 5 + 1) * 6..<(n * 5 + 4) * 6] }
        expectClose(y.data, expected, absolute: 0, relative: 0, "sliceChannels")
        GradientCheck.check([x], tolerance: .linear) { $0[0].sliceChannels(1..<4) }
    }

    @Test(arguments: [(6, 2), (6, 3), (4, 4), (8, 2)])
    func channelShuffleForwardAndGradient(channels: Int, groups: Int) {
        let x = randomTensor([2, channels, 2, 3], seed: 44)
        let y = x.channelShuffle(groups: groups)
        expectClose(y.data, Reference.channelShuffle(doubles(x), shape: x.shape, groups: groups), absolute: 0, relative: 0, "channelShuffle")
        GradientCheck.check([x], tolerance: .linear) { $0[0].channelShuffle(groups: groups) }
    }

    /// Channels 0..5 in groups of 2: (0 1 2 | 3 4 5) interleave to 0 3 1 4 2 5.
    @Test func channelShuffleOrderByHand() {
        let x = Tensor(shape: [1, 6, 1, 1], data: [0, 1, 2, 3, 4, 5])
        #expect(x.channelShuffle(groups: 2).data == [0, 3, 1, 4, 2, 5])
        #expect(x.channelShuffle(groups: 3).data == [0, 2, 4, 1, 3, 5])
    }

    @Test(arguments: [(1, 1), (0, 1), (2, 0)])
    func cropSpatialForwardAndGradient(top: Int, left: Int) {
        let x = randomTensor([2, 2, 5, 4], seed: 45)
        let y = x.cropSpatial(top: top, left: left)
        #expect(y.shape == [2, 2, 5 - top, 4 - left])
        var expected: [Double] = []
        for plane in 0..<4 { for row in top..<5 { for column in left..<4 { expected.append(Double(x.data[(plane * 5 + row) * 4 + column])) } } }
        expectClose(y.data, expected, absolute: 0, relative: 0, "cropSpatial")
        GradientCheck.check([x], tolerance: .linear) { $0[0].cropSpatial(top: top, left: left) }
    }
}
