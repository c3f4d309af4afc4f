/// A binarized kernel: the ±1 signs and one positive scale per output channel, so that the
/// effective weight of output channel o is scales[o] * signs[o, ...].
public struct BinaryWeights: Sendable, Equatable {
    public let signs: [Float]
    public let scales: [Float]
    public let outChannels: Int

    public init(signs: [Float], scales: [Float], outChannels: Int) {
        self.signs = signs
        self.scales = scales
        self.outChannels = outChannels
    }

    public var perChannel: Int { signs.count / max(1, outChannels) }

    /// XNOR-Net: signs of W, scale = mean |W| of each output channel.
    public static func xnor(_ weight: [Float], outChannels: Int) -> BinaryWeights {
        let n = weight.count / outChannels
        var scales = [Float](repeating: 0, count: outChannels)
        for o in 0..<outChannels {
            var total: Float = 0
            for i in o * n..<(o + 1) * n { total += abs(weight[i]) }
            scales[o] = total / Float(n)
        }
        return BinaryWeights(signs: weight.map { $0 >= 0 ? 1 : -1 }, scales: scales, outChannels: outChannels)
    }

    /// PCNN: signs of P o W (the projection onto {-a, +a}), one scale a = mean |W| for the layer.
    public static func pcnn(_ weight: [Float], projection: [Float], outChannels: Int) -> BinaryWeights {
        let scale = weight.reduce(Float(0)) { $0 + abs($1) } / Float(max(1, weight.count))
        let signs = zip(weight, projection).map { $0 * $1 >= 0 ? Float(1) : -1 }
        return BinaryWeights(signs: signs, scales: [Float](repeating: scale, count: outChannels), outChannels: outChannels)
    }

    /// scales[o] * signs: the float weight the binarized convolution stands for.
    public var effective: [Float] {
        let n = perChannel
        var values = signs
        for o in 0..<outChannels { for i in o * n..<(o + 1) * n { values[i] *= scales[o] } }
        return values
    }
}
