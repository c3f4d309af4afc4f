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

    /// Writing a batch into channels of a larger one, then adding a second batch there, gives the
    /// concatenation of the sums bit for bit (NaNs and infinities included), and leaves the other
    /// channels alone.
    @Test func writesAndAddsIntoChannelsOfALargerBatch() {
        let (a, b) = (randomTensor([2, 3, 4, 5], seed: 50), randomTensor([2, 3, 4, 5], seed: 51))
        a.data[7] = .nan; b.data[8] = .infinity; a.data[9] = -.infinity; b.data[9] = .infinity
        let other = randomTensor([2, 2, 4, 5], seed: 52)
        let expected = Tensor.concatChannels([other, Tensor.sum([a, b])])
        var output = [Float](repeating: -1, count: 2 * 5 * 20)
        output.withUnsafeMutableBufferPointer { out in
            other.write(into: out.baseAddress!, imageStride: 5 * 20, accumulate: false)
            a.write(into: out.baseAddress! + 2 * 20, imageStride: 5 * 20, accumulate: false)
            b.write(into: out.baseAddress! + 2 * 20, imageStride: 5 * 20, accumulate: true)
        }
        #expect(output.map(\.bitPattern) == expected.data.map(\.bitPattern))
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
