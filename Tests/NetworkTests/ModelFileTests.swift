import Binary
import Foundation
import Testing
@testable import Network
import Tensor

@Suite struct ModelFileTests {
    static func network(_ binarization: BinarizationConfig, channels: Int = 4) -> GenotypeNetwork {
        GenotypeNetwork(genotype: .pcDarts, shape: NetworkShape(inputChannels: 1, imageSize: 8, classes: 10, layers: 3,
                                                                channels: channels, binarization: binarization), seed: 3)
    }

    static func images(seed: UInt64 = 1) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor.randomNormal([3, 1, 8, 8], std: 1, rng: &rng)
    }

    /// Running statistics that differ from their defaults, so the round trip has something to carry.
    static func warmUp(_ network: GenotypeNetwork) {
        var dropPath = DropPath(probability: 0, seed: 0)
        _ = GradMode.disabled { network(images(seed: 9), training: true, dropPath: &dropPath) }
    }

    @Test(arguments: [BinarizationConfig.float, .init(weights: .xnor, activations: .binary),
                      .init(weights: .pcnn, activations: .binary), .init(weights: .xnor, activations: .real)])
    func roundTripGivesTheSameLogits(binarization: BinarizationConfig) throws {
        let original = Self.network(binarization)
        Self.warmUp(original)
        let loaded = try ModelFile.decode(ModelFile.encode(original), path: "model.bnn")
        #expect(loaded.shape == original.shape)
        #expect(loaded.genotype == original.genotype)
        #expect(loaded.predict(Self.images()).data == original.predict(Self.images()).data)
    }

    /// The test writer of version 1 gives the bytes `ModelFile.encode` writes today (version 1).
    @Test(arguments: [BinarizationConfig.float, .init(weights: .xnor, activations: .binary),
                      .init(weights: .pcnn, activations: .binary), .init(weights: .xnor, activations: .real)])
    func version1WriterMatchesTheEncoder(binarization: BinarizationConfig) throws {
        let network = Self.network(binarization)
        Self.warmUp(network)
        #expect(try ModelFileVersion1.encode(network) == ModelFile.encode(network))
    }

    /// 1-bit layers take 1/32 of their float32 size plus one scale per output channel.
    @Test func binarizedLayersAreStoredAsBits() throws {
        let network = Self.network(.init(weights: .xnor, activations: .binary), channels: 16)
        let bytes = try ModelFile.encode(network).count
        let floatOnly = try ModelFile.encode(Self.network(.float, channels: 16)).count
        let binaryWeights = network.binaryParameterCount
        #expect(binaryWeights > 0)
        #expect(floatOnly - bytes > binaryWeights * 4 * 3 / 4, "the bits save most of the binarized layers' float32 bytes")
    }

    @Test func damagedFilesGetSpecificErrors() throws {
        let data = try ModelFile.encode(Self.network(.init(weights: .xnor, activations: .binary)))
        #expect(throws: ModelFileError.notAModel("m.bnn")) { try ModelFile.decode(Data("hello world, not a model".utf8), path: "m.bnn") }
        #expect(throws: ModelFileError.truncated("m.bnn", expected: data.count, actual: data.count - 100)) {
            try ModelFile.decode(data.prefix(data.count - 100), path: "m.bnn")
        }
        var flipped = data
        flipped[data.count - 50] ^= 0x40
        #expect(throws: ModelFileError.checksumMismatch("m.bnn")) { try ModelFile.decode(flipped, path: "m.bnn") }
        var version = data
        version[8] = 9
        #expect(throws: ModelFileError.unsupportedVersion("m.bnn", 9)) { try ModelFile.decode(version, path: "m.bnn") }
        do {
            var header = data
            header[16] = UInt8(ascii: "[")
            _ = try ModelFile.decode(header, path: "m.bnn")
            Issue.record("a damaged header was accepted")
        } catch let error as ModelFileError {
            #expect(error.description.hasPrefix("m.bnn: malformed header"))
        }
    }
}
