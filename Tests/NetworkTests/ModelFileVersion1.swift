import Foundation
@testable import Network

/// Writes `model.bnn` in version 1, the layout older runs hold: every binarized convolution as its sign
/// bits in whole UInt64 words (bit = 1 for -1, value i in word i/64 at bit i%64) followed by an "f32"
/// entry of its per-output-channel scales. Written from that layout, not with `ModelFile.encode` (only the
/// frame around the payload is shared), so tests can check that such files still load.
enum ModelFileVersion1 {
    static func encode(_ network: GenotypeNetwork) throws -> Data {
        var entries: [ModelFile.Entry] = []
        var payload = Data()
        func appendFloats(_ values: [Float]) {
            entries.append(ModelFile.Entry(kind: "f32", count: values.count))
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
        }
        for layer in ModelFile.storedLayers(network) {
            switch layer {
            case let conv as Conv2d where conv.binarization.isBinary:
                let weights = conv.binaryWeights
                entries.append(ModelFile.Entry(kind: "bits", count: weights.signs.count))
                var words = [UInt64](repeating: 0, count: (weights.signs.count + 63) / 64)
                for (index, sign) in weights.signs.enumerated() where sign < 0 { words[index / 64] |= 1 << UInt64(index % 64) }
                for word in words { withUnsafeBytes(of: word.littleEndian) { payload.append(contentsOf: $0) } }
                appendFloats(weights.scales)
            case let conv as Conv2d:
                appendFloats(conv.weight.data)
            case let norm as BatchNorm2d:
                if let gamma = norm.gamma, let beta = norm.beta { appendFloats(gamma.data); appendFloats(beta.data) }
                appendFloats(norm.statistics.mean)
                appendFloats(norm.statistics.variance)
            case let linear as Linear:
                appendFloats(linear.weight.data)
                appendFloats(linear.bias.data)
            default:
                continue
            }
        }
        return try ModelFile.container(network, version: 1, tensors: entries, payload: payload)
    }
}
