import Binary
import Foundation
import Tensor

/// Errors reading a model file: the path and what is wrong, on one line.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, String)
    case notAModel(String)
    case unsupportedVersion(String, UInt32)
    case truncated(String, expected: Int, actual: Int)
    case checksumMismatch(String)
    case malformedHeader(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .notAModel(let path): return "\(path): not a bnas model file (bad magic number)"
        case .unsupportedVersion(let path, let version): return "\(path): model file version \(version) is not supported (this bnas reads version \(ModelFile.version))"
        case .truncated(let path, let expected, let actual): return "\(path): truncated: expected \(expected) bytes, file has \(actual)"
        case .checksumMismatch(let path): return "\(path): checksum mismatch: the file is damaged"
        case .malformedHeader(let path, let reason): return "\(path): malformed header: \(reason)"
        }
    }
}

/// `model.bnn`: a trained network with its 1-bit layers stored as bits.
///
/// Layout (little-endian):
/// ```
/// "BNASMDL1"            8-byte magic
/// version               UInt32 (1)
/// header length         UInt32, then the header: JSON {genotype, shape, tensors: [{kind, count, words}]}
/// payload               the tensors in the header's order: "bits" = ceil(count/64) UInt64 words of sign bits
///                       (bit = 1 for -1, element i in word i/64 at bit i%64), "f32" = count Float32 values
/// checksum              UInt64 FNV-1a of every byte before it
/// ```
/// A binarized convolution is stored as its sign bits plus one Float32 scale per output channel;
/// everything else (stem, batch norms with their running statistics, classifier) as Float32. The
/// auxiliary head and PCNN's projections only serve training and are left out.
public enum ModelFile {
    public static let magic = Array("BNASMDL1".utf8)
    public static let version: UInt32 = 1

    struct Header: Codable {
        var genotype: Genotype
        var shape: NetworkShape
        var tensors: [Entry]
    }

    struct Entry: Codable, Equatable {
        var kind: String
        var count: Int
    }

    /// The layers written to the file, in order (the auxiliary head is left out).
    static func storedLayers(_ network: GenotypeNetwork) -> [any Layer] {
        ([network.stem] + network.cells + [network.classifier] as [any Layer]).flatMap { $0.allLayers }
    }

    public static func encode(_ network: GenotypeNetwork) throws -> Data {
        var entries: [Entry] = []
        var payload = Data()
        func addFloats(_ values: [Float]) {
            entries.append(Entry(kind: "f32", count: values.count))
            values.withUnsafeBufferPointer { payload.append(Data(buffer: $0)) }
        }
        for layer in storedLayers(network) {
            switch layer {
            case let conv as Conv2d where conv.binarization.isBinary:
                let binary = conv.binaryWeights
                entries.append(Entry(kind: "bits", count: binary.signs.count))
                // One packed row: the bit layout of the 1-bit kernels (bit = 1 for -1, value i in word i/64, bit i%64).
                let words = BitPacking.packRows(values: binary.signs, rows: 1, k: binary.signs.count, counters: KernelCounters()).words
                    .map { $0.littleEndian }
                words.withUnsafeBufferPointer { payload.append(Data(buffer: $0)) }
                addFloats(binary.scales)
            case let conv as Conv2d:
                addFloats(conv.weight.data)
            case let norm as BatchNorm2d:
                if let gamma = norm.gamma, let beta = norm.beta { addFloats(gamma.data); addFloats(beta.data) }
                addFloats(norm.statistics.mean)
                addFloats(norm.statistics.variance)
            case let linear as Linear:
                addFloats(linear.weight.data)
                addFloats(linear.bias.data)
            default:
                continue
            }
        }
        var shape = network.shape
        shape.auxiliary = false
        // Sorted keys: the same model always gives the same bytes.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try encoder.encode(Header(genotype: network.genotype, shape: shape, tensors: entries))
        var data = Data(magic)
        withUnsafeBytes(of: version.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        data.append(payload)
        let checksum = fnv1a(data)
        withUnsafeBytes(of: checksum.littleEndian) { data.append(contentsOf: $0) }
        return data
    }

    public static func write(_ network: GenotypeNetwork, to url: URL) throws {
        try AtomicFile.write(encode(network), to: url)
    }

    public static func read(_ url: URL) throws -> GenotypeNetwork {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ModelFileError.unreadable(url.path, error.localizedDescription) }
        return try decode(data, path: url.lastPathComponent)
    }

    public static func decode(_ data: Data, path: String) throws -> GenotypeNetwork {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw ModelFileError.notAModel(path) }
        guard bytes.count >= 24 else { throw ModelFileError.truncated(path, expected: 24, actual: bytes.count) }
        let fileVersion = readUInt32(bytes, at: 8)
        guard fileVersion == version else { throw ModelFileError.unsupportedVersion(path, fileVersion) }
        let headerLength = Int(readUInt32(bytes, at: 12))
        guard bytes.count >= 16 + headerLength + 8 else {
            throw ModelFileError.truncated(path, expected: 16 + headerLength + 8, actual: bytes.count)
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<16 + headerLength]))
            try header.genotype.validate()
            try header.shape.validate()
        } catch {
            throw ModelFileError.malformedHeader(path, "\(error)")
        }
        let payloadLength = header.tensors.reduce(0) { $0 + ($1.kind == "bits" ? (($1.count + 63) / 64) * 8 : $1.count * 4) }
        let expected = 16 + headerLength + payloadLength + 8
        guard bytes.count >= expected else { throw ModelFileError.truncated(path, expected: expected, actual: bytes.count) }
        guard bytes.count == expected else { throw ModelFileError.malformedHeader(path, "\(bytes.count - expected) bytes past the end of the model") }
        let stored = bytes[(expected - 8)...].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        guard UInt64(littleEndian: stored) == fnv1a(Data(bytes[0..<expected - 8])) else { throw ModelFileError.checksumMismatch(path) }

        let network = GenotypeNetwork(genotype: header.genotype, shape: header.shape, seed: 0)
        var reader = PayloadReader(bytes: bytes, offset: 16 + headerLength, entries: header.tensors, path: path)
        for layer in storedLayers(network) {
            switch layer {
            case let conv as Conv2d where conv.binarization.isBinary:
                let signs = try reader.bits(count: conv.weight.count)
                let scales = try reader.floats(count: conv.weight.shape[0])
                conv.freeze(BinaryWeights(signs: signs, scales: scales, outChannels: conv.weight.shape[0]))
            case let conv as Conv2d:
                conv.weight.data = try reader.floats(count: conv.weight.count)
            case let norm as BatchNorm2d:
                if let gamma = norm.gamma, let beta = norm.beta {
                    gamma.data = try reader.floats(count: gamma.count)
                    beta.data = try reader.floats(count: beta.count)
                }
                norm.statistics.mean = try reader.floats(count: norm.statistics.mean.count)
                norm.statistics.variance = try reader.floats(count: norm.statistics.variance.count)
            case let linear as Linear:
                linear.weight.data = try reader.floats(count: linear.weight.count)
                linear.bias.data = try reader.floats(count: linear.bias.count)
            default:
                continue
            }
        }
        guard reader.isAtEnd else { throw ModelFileError.malformedHeader(path, "the header lists more tensors than the network has") }
        return network
    }

    /// FNV-1a, 64-bit.
    public static func fnv1a(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}

/// Reads the payload's tensors in order, checking each against the header's entry and the network.
struct PayloadReader {
    let bytes: [UInt8]
    var offset: Int
    let entries: [ModelFile.Entry]
    let path: String
    var index = 0

    var isAtEnd: Bool { index == entries.count }

    mutating func next(kind: String, count: Int) throws -> Int {
        guard index < entries.count else { throw ModelFileError.malformedHeader(path, "the header lists fewer tensors than the network has") }
        let entry = entries[index]
        guard entry == ModelFile.Entry(kind: kind, count: count) else {
            throw ModelFileError.malformedHeader(path, "tensor \(index) is \(entry.kind)[\(entry.count)], the network needs \(kind)[\(count)]")
        }
        index += 1
        let start = offset
        offset += kind == "bits" ? ((count + 63) / 64) * 8 : count * 4
        return start
    }

    mutating func floats(count: Int) throws -> [Float] {
        let start = try next(kind: "f32", count: count)
        return bytes[start..<start + count * 4].withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    mutating func bits(count: Int) throws -> [Float] {
        let start = try next(kind: "bits", count: count)
        let words = (count + 63) / 64
        let packed = bytes[start..<start + words * 8].withUnsafeBytes { raw in
            (0..<words).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        }
        guard let matrix = PackedMatrix(rows: 1, bitsPerRow: count, words: packed) else {
            throw ModelFileError.malformedHeader(path, "tensor \(index - 1) has bits set past its \(count) values")
        }
        return (0..<count).map { matrix.sign(row: 0, bit: $0) }
    }
}
