import Testing
@testable import Tensor

/// The fused partial-channel output against the ops it replaces (slice, 2x2 max pool at stride 2,
/// scale by the edge weight, concat, channel shuffle), and against finite differences.
@Suite struct PartialChannelOutputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let batch, channels, groups, side: Int
        let pools: Bool
        var testDescription: String { "\(channels) channels in \(groups) groups, \(side)x\(side)\(pools ? ", pooled bypass" : "")" }
    }

    static let cases: [Case] = [
        Case(batch: 2, channels: 8, groups: 4, side: 5, pools: false),
        Case(batch: 3, channels: 6, groups: 2, side: 4, pools: false),
        Case(batch: 2, channels: 8, groups: 4, side: 6, pools: true),
        Case(batch: 2, channels: 9, groups: 3, side: 7, pools: true),
        Case(batch: 64, channels: 8, groups: 4, side: 28, pools: false),
        Case(batch: 64, channels: 16, groups: 4, side: 28, pools: true),
    ]

    /// The composition that `partialChannelOutput` fuses (MixedOperation's former code).
    static func composed(mixed: Tensor, input: Tensor, weight: Tensor, index: Int, groups: Int, pools: Bool) -> Tensor {
        var bypass = input.sliceChannels(input.shape[1] / groups..<input.shape[1])
        if pools { bypass = bypass.maxPool2d(kernel: 2, stride: 2) }
        return Tensor.concatChannels([mixed, bypass.scaled(by: weight, at: index)]).channelShuffle(groups: groups)
    }

    static func inputs(_ c: Case, seed: UInt64) -> (mixed: Tensor, input: Tensor, weight: Tensor) {
        let out = c.pools ? c.side / 2 : c.side
        return (randomTensor([c.batch, c.channels / c.groups, out, out], seed: seed),
                distinctValues([c.batch, c.channels, c.side, c.side], seed: seed + 1),
                randomTensor([5], seed: seed + 2))
    }

    @Test(arguments: cases)
    func matchesTheComposedOps(_ c: Case) {
        var results: [(y: [Float], dm: [Float], dx: [Float], dw: [Float])] = []
        for fused in [true, false] {
            let (mixed, input, weight) = Self.inputs(c, seed: 11)
            let y = fused
                ? Tensor.partialChannelOutput(mixed: mixed, input: input, weight: weight, at: 3, groups: c.groups, poolsBypass: c.pools)
                : Self.composed(mixed: mixed, input: input, weight: weight, index: 3, groups: c.groups, pools: c.pools)
            let upstream = randomTensor(y.shape, seed: 19, requiresGrad: false)
            (y * upstream).sum().backward()
            results.append((y.data, mixed.grad, input.grad, weight.grad))
        }
        #expect(results[0].y.map(\.bitPattern) == results[1].y.map(\.bitPattern))
        #expect(results[0].dm == results[1].dm)
        #expect(results[0].dx == results[1].dx)
        // The edge weight's gradient sums the same products in another order.
        expectClose(results[0].dw, results[1].dw.map(Double.init), absolute: 1e-4, relative: 1e-5, "edge weight gradient")
    }

    /// A node of three edges, pooled and not (a reduction cell's node 1), against the sum of the
    /// edges' one-edge outputs: the same values and input and edge-weight gradients, bit for bit,
    /// and the mixed ops' upstream gradients equal to what the one-edge ops hand them.
    @Test(arguments: [(groups: 4, side: 8), (groups: 2, side: 7), (groups: 1, side: 6)])
    func aNodeEqualsTheSumOfItsEdges(groups: Int, side: Int) {
        let (batch, channels, pools) = (3, 8, [true, true, false])
        let out = side / 2
        func edgeInputs() -> (inputs: [Tensor], mixed: [Tensor], weight: Tensor) {
            (pools.enumerated().map { edge, pooled in
                 distinctValues([batch, channels, pooled ? side : out, pooled ? side : out], seed: 40 + UInt64(edge))
             },
             pools.indices.map { randomTensor([batch, channels / groups, out, out], seed: 50 + UInt64($0)) },
             randomTensor([4], seed: 60))
        }
        let upstream = randomTensor([batch, channels, out, out], seed: 61, requiresGrad: false)

        let (inputs, mixed, weight) = edgeInputs()
        let composed = Tensor.sum(pools.indices.map { edge in
            Tensor.partialChannelOutput(mixed: mixed[edge], input: inputs[edge], weight: weight, at: edge + 1, groups: groups, poolsBypass: pools[edge])
        })
        (composed * upstream).sum().backward()

        let (nodeInputs, nodeMixed, nodeWeight) = edgeInputs()
        let node = PartialChannelSum(inputs: nodeInputs, mixed: nodeMixed, factors: (1...3).map { nodeWeight.data[$0] },
                                     poolsBypass: pools, groups: groups)
        #expect(node.outputShape == composed.shape)
        #expect(node.output.map(\.bitPattern) == composed.data.map(\.bitPattern))
        for edge in pools.indices {
            let routed = PartialChannelSum.routedChannels(nodeInputs[edge], groups: groups)
            let routedGradient = randomTensor(routed.shape, seed: 70 + UInt64(edge)).data
            node.addInputGradient(upstream.data, edge: edge, routedGradient: groups == 1 ? routedGradient : nil)
            if groups == 1 {
                #expect(nodeInputs[edge].grad == routedGradient)
            } else {
                #expect(nodeInputs[edge].grad == inputs[edge].grad, "edge \(edge)")
                #expect(node.factorGradient(upstream.data, edge: edge) == weight.grad[edge + 1])
                #expect(routed.data == inputs[edge].sliceChannels(0..<channels / groups).data)
            }
            #expect(node.mixedGradient(upstream.data, edge: edge) == mixed[edge].grad)
        }
    }

    @Test(arguments: cases.filter { $0.batch < 64 })
    func gradientsMatchFiniteDifferences(_ c: Case) {
        let (mixed, input, weight) = Self.inputs(c, seed: 23)
        GradientCheck.check([mixed, input, weight], tolerance: .smooth) { inputs in
            Tensor.partialChannelOutput(mixed: inputs[0], input: inputs[1], weight: inputs[2], at: 1, groups: c.groups, poolsBypass: c.pools)
        }
    }

    /// Output channel j = q * groups + p takes concat channel p * partial + q: with 4 channels in 2
    /// groups, mixed channels (m0 m1) and bypass (x2 x3) interleave to m0 x2 m1 x3.
    @Test func orderByHand() {
        let mixed = Tensor(shape: [1, 2, 1, 1], data: [10, 11])
        let input = Tensor(shape: [1, 4, 1, 1], data: [0, 1, 2, 3])
        let weight = Tensor(shape: [1], data: [0.5])
        let y = Tensor.partialChannelOutput(mixed: mixed, input: input, weight: weight, at: 0, groups: 2, poolsBypass: false)
        #expect(y.data == [10, 1, 11, 1.5])
    }
}
