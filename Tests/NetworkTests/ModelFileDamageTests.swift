import Binary
import Foundation
import Testing
@testable import Network

/// Damaged and inconsistent model files: each gets its one-line error, none loads or crashes.
@Suite struct ModelFileDamageTests {
    static let xnor = BinarizationConfig(weights: .xnor, activations: .binary)

    /// A model of each version: XNOR (versions 1 and 2), or the ReAct preset (version 3).
    static func file(version: Int = 2) throws -> Data {
        let network = ModelFileTests.trained(version == 3 ? .react : xnor)
        return try version == 1 ? ModelFileVersion1.encode(network) : ModelFile.encode(network)
    }

    static func headerLength(_ data: Data) -> Int { Int(ModelFile.readUInt32([UInt8](data), at: 12)) }

    /// `data` with its checksum made right again.
    static func resealed(_ data: Data) -> Data {
        var body = data.prefix(data.count - 8)
        withUnsafeBytes(of: ModelFile.fnv1a(body).littleEndian) { body.append(contentsOf: $0) }
        return body
    }

    /// A sealed file with `data`'s genotype and shape, the tensors `edit` makes of its list, and a
    /// payload of zeros as long as that list says.
    static func withTensors(of data: Data, _ edit: (inout [ModelFile.Entry]) -> Void) throws -> Data {
        var header = try ModelFileTests.header(of: data)
        edit(&header.tensors)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try encoder.encode(header)
        var file = data.prefix(12)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(Data(count: header.tensors.reduce(0) { $0 + $1.byteCount(version: 2) } + 8))
        return resealed(file)
    }

    static func error(decoding data: Data) -> ModelFileError? {
        do {
            _ = try ModelFile.decode(data, path: "m.bnn")
            return nil
        } catch {
            return error as? ModelFileError
        }
    }

    /// The bound a file's header is checked against before its network is built never exceeds the
    /// weights of a real network: the stem, preprocessing and classifier convolutions it counts are there.
    @Test(arguments: [(Genotype.dartsV2, 1, 3, 2, 10), (.pcDarts, 3, 5, 4, 10), (.random(seed: 5), 1, 8, 6, 100), (.bnasXNOR, 3, 3, 16, 2)])
    func minimumWeightCountIsAtMostTheWeights(genotype: Genotype, inputChannels: Int, layers: Int, channels: Int, classes: Int) {
        let shape = NetworkShape(inputChannels: inputChannels, imageSize: 8, classes: classes, layers: layers, channels: channels)
        let layers = ModelFile.storedLayers(GenotypeNetwork(genotype: genotype, shape: shape, seed: 0))
        let weights = layers.reduce(0) { count, layer in
            count + ((layer as? Conv2d)?.weight.count ?? 0) + ((layer as? Linear)?.weight.count ?? 0)
        }
        #expect(shape.minimumWeightCount <= Double(weights))
    }

    @Test func damagedFilesGetSpecificErrors() throws {
        let data = try Self.file()
        #expect(throws: ModelFileError.notAModel("m.bnn")) { try ModelFile.decode(Data("hello world, not a model".utf8), path: "m.bnn") }
        #expect(throws: ModelFileError.truncated("m.bnn", expected: data.count, actual: data.count - 100)) {
            try ModelFile.decode(data.prefix(data.count - 100), path: "m.bnn")
        }
        var flipped = data
        flipped[data.count - 50] ^= 0x40
        #expect(throws: ModelFileError.checksumMismatch("m.bnn")) { try ModelFile.decode(flipped, path: "m.bnn") }
        for version: UInt8 in [0, 4, 9] {
            var changed = data
            changed[8] = version
            #expect(throws: ModelFileError.unsupportedVersion("m.bnn", UInt32(version))) { try ModelFile.decode(changed, path: "m.bnn") }
        }
        #expect(ModelFileError.unsupportedVersion("m.bnn", 4).description
                == "m.bnn: model file version 4 is not supported (this bnas reads versions 1 to 3)")
        var header = data
        header[16] = UInt8(ascii: "[")
        #expect(Self.error(decoding: header)?.description.hasPrefix("m.bnn: malformed header") == true)
        #expect(throws: ModelFileError.malformedHeader("m.bnn", "3 bytes past the end of the model")) {
            try ModelFile.decode(Self.resealed(data.prefix(data.count - 8) + Data([1, 2, 3]) + data.suffix(8)), path: "m.bnn")
        }
    }

    /// A prefix of a file of any version names what is missing: every length in the fixed fields and
    /// around the header's end, a sample of the others.
    @Test(arguments: [1, 2, 3])
    func truncatedAnywhere(version: Int) throws {
        let data = try Self.file(version: version)
        #expect(ModelFile.readUInt32([UInt8](data), at: 8) == version)
        let headerEnd = 16 + Self.headerLength(data)
        // Each decode builds a network: every length of a 50 KB file would take a minute.
        let lengths = Array(0..<24) + Array(stride(from: 24, to: headerEnd - 8, by: 61)) + Array(headerEnd - 8..<headerEnd + 16)
            + Array(stride(from: headerEnd + 16, to: data.count, by: 997)) + Array(data.count - 9..<data.count)
        for length in lengths {
            let expected: ModelFileError = length < 8 ? .notAModel("m.bnn")
                : length < 24 ? .truncated("m.bnn", expected: 24, actual: length)
                : length < headerEnd + 8 ? .truncated("m.bnn", expected: headerEnd + 8, actual: length)
                : .truncated("m.bnn", expected: data.count, actual: length)
            #expect(Self.error(decoding: data.prefix(length)) == expected, "cut at \(length) of \(data.count)")
        }
    }

    /// A flipped byte past the header is a checksum mismatch; in the first 16 bytes or the header it is one
    /// of the errors, never a loaded model. FNV-1a changes with any one changed byte, so a sample (every
    /// 97th byte of the header, every 499th of the payload, the checksum's own) shows it covers the file.
    @Test(arguments: [1, 2, 3])
    func flippedBytesAreCaught(version: Int) throws {
        let data = try Self.file(version: version)
        let headerEnd = 16 + Self.headerLength(data)
        let positions = Array(0..<16) + Array(stride(from: 16, to: headerEnd, by: 97))
            + Array(stride(from: headerEnd, to: data.count - 8, by: 499)) + Array(data.count - 8..<data.count)
        for position in positions {
            var flipped = data
            flipped[position] ^= 0x10
            let error = Self.error(decoding: flipped)
            if position >= headerEnd {
                #expect(error == .checksumMismatch("m.bnn"), "byte \(position)")
            } else {
                #expect(error != nil, "byte \(position) flipped, and the file loaded")
            }
        }
    }

    /// A header whose tensors do not fit the network, with a valid checksum: the first misfit is named.
    @Test func headerListingWrongTensorsIsRefused() throws {
        let data = try Self.file()
        let tensors = try ModelFileTests.header(of: data).tensors
        let bits = try #require(tensors.firstIndex { $0.kind == "bits" })
        let (count, size) = (tensors[bits].count, data.count)
        // The first binarized conv is cell 0's preprocess0 (1x1, 12 -> 4 channels): its norm follows.
        #expect(tensors[bits + 1] == ModelFile.Entry(kind: "f32", count: 4))
        let cases: [(String, (inout [ModelFile.Entry]) -> Void, String)] = [
            ("bits as f32", { $0[bits].kind = "f32" }, "tensor \(bits) is f32[\(count)], the network needs bits[\(count)]"),
            ("one bit more", { $0[bits].count += 1 }, "tensor \(bits) is bits[\(count + 1)], the network needs bits[\(count)]"),
            ("scales of the wrong count", { $0.insert(.init(kind: "scales", count: 5), at: bits + 1) },
             "tensor \(bits + 1) is scales[5], the network needs scales[4]"),
            ("gamma as scales", { $0[1].kind = "scales" }, "tensor 1 is scales[12], the network needs f32[12]"),
            ("an unknown kind", { $0[0].kind = "f16" }, "tensor 0 is f16[\(tensors[0].count)], the network needs f32[\(tensors[0].count)]"),
            ("one tensor more", { $0.append(.init(kind: "f32", count: 1)) }, "the header lists more tensors than the network has"),
            ("one tensor fewer", { $0.removeLast() }, "the header lists fewer tensors than the network has"),
        ]
        for (name, edit, reason) in cases {
            #expect(Self.error(decoding: try Self.withTensors(of: data, edit)) == .malformedHeader("m.bnn", reason), "\(name)")
        }
        for impossible in [-1, Int.max / 2] {
            var header = try ModelFileTests.header(of: data)
            header.tensors[bits].count = impossible
            let json = try JSONEncoder().encode(header)
            var file = data.prefix(12)
            withUnsafeBytes(of: UInt32(json.count).littleEndian) { file.append(contentsOf: $0) }
            file.append(json)
            file.append(Data(count: size))
            let error = Self.error(decoding: Self.resealed(file))
            #expect(error == .malformedHeader("m.bnn", "tensor \(bits) has an impossible count of \(impossible)"))
        }
    }

    /// Version 2 keeps a "bits" tensor to whole bytes; a bit set past its values in the last byte is refused.
    @Test func bitsPastTheValuesAreRefused() throws {
        let data = try Self.file()
        let tensors = try ModelFileTests.header(of: data).tensors
        let ragged = try #require(tensors.firstIndex { $0.kind == "bits" && $0.count % 8 != 0 })
        let end = 16 + Self.headerLength(data) + tensors[...ragged].reduce(0) { $0 + $1.byteCount(version: 2) }
        var damaged = data
        damaged[end - 1] |= 0x80
        #expect(Self.error(decoding: Self.resealed(damaged))
                == .malformedHeader("m.bnn", "tensor \(ragged) has bits set past its \(tensors[ragged].count) values"))
    }

    /// A version-1 file relabelled as version 2 does not fit: its bits take whole words.
    @Test func version1BytesUnderVersion2AreRefused() throws {
        var data = try Self.file(version: 1)
        data[8] = 2
        let error = Self.error(decoding: Self.resealed(data))
        #expect(error?.description.hasPrefix("m.bnn: malformed header: ") == true, "\(String(describing: error))")
    }
}
