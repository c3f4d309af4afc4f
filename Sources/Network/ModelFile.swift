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
        case .unsupportedVersion(let path, let version): return "\(path): model file version \(version) is not supported (this bnas reads versions \(ModelFile.readableVersions.lowerBound) to \(ModelFile.readableVersions.upperBound))"
        case .truncated(let path, let expected, let actual): return "\(path): truncated: expected \(expected) bytes, file has \(actual)"
        case .checksumMismatch(let path): return "\(path): checksum mismatch: the file is damaged"
        case .malformedHeader(let path, let reason): return "\(path): malformed header: \(reason)"
        }
    }
}

/// `model.bnn`: a trained network with its 1-bit layers stored as bits.
///
/// Layout (versions 2 and 3, little-endian):
/// ```
/// "BNASMDL1"            8-byte magic
/// version               UInt32 (2, or 3 with the ReAct flavour)
/// header length         UInt32, then the header: JSON with sorted keys {genotype, shape, tensors: [{count, kind}]}
/// payload               the tensors in the header's order:
///                       "bits"   ceil(count/8) bytes of sign bits, bit = 1 for -1, value i at byte i/8, bit i%8
///                                (the little-endian bit stream of the packed UInt64 words); bits past count are 0
///                       "scales" count Float32: a binarized convolution's scales, one per output channel
///                       "f32"    count Float32 values
/// checksum              UInt64 FNV-1a of every byte before it
/// ```
/// A binarized convolution is its "bits", then its "scales" only where they change the output; without
/// them its scales are 1, because the encoder
/// - folds the scales s of a convolution that feeds an affine batch norm (ReLUConvBN's conv, DilConv's
///   pointwise conv, FactorizedReduce's two halves with the left one's channels first) into that norm,
///   gamma' = gamma * s and mean' = mean / s (variance unchanged), since in inference
///   gamma * (s z - mean) / sqrt(var + eps) + beta = (gamma * s) * (z - mean / s) / sqrt(var + eps) + beta;
/// - drops the scales of DilConv's depthwise conv under sign activations: its output reaches the pointwise
///   conv only through sign, and sign(s z) = sign(z) for s > 0; where the pointwise conv has thresholds a
///   (the ReAct flavour), they become a / s, since sign(s z - a) = sign(z - a / s) for s > 0.
/// Either needs every scale of the convolution finite and > 0 (and the folded values finite); otherwise the
/// scales are stored. Everything else (stem, batch norms with their running statistics, classifier) is
/// Float32. The auxiliary head and PCNN's projections only serve training and are left out.
///
/// Version 3 is version 2 with the ReAct flavour (docs/algorithms.md#react-flavour): the header's
/// binarization names its options, a binarized convolution with thresholds has them as an "f32" entry
/// after its bits (and scales), and each RPReLU its gamma, beta and zeta as three "f32" entries.
/// A network without the flavour is written as version 2, byte for byte, so older builds still read it.
///
/// Version 1 (still read) had the same header; its "bits" took ceil(count/64) whole UInt64 words, and
/// every binarized convolution's scales followed its bits as an "f32" entry.
public enum ModelFile {
    public static let magic = Array("BNASMDL1".utf8)
    /// The version `encode` writes for a network of the ReAct flavour.
    public static let version: UInt32 = 3
    /// The version `encode` writes for a network without it.
    public static let versionWithoutFlavour: UInt32 = 2
    /// The versions `decode` reads.
    public static let readableVersions: ClosedRange<UInt32> = 1...3

    /// The version `encode` writes for `binarization`: any option of the flavour changes the network
    /// a file describes, which a version-2 reader would build without it.
    static func version(for binarization: BinarizationConfig) -> UInt32 {
        binarization.thresholds || binarization.shortcuts || binarization.signGradient != .ste ? version : versionWithoutFlavour
    }

    /// A model file read back: the network, and the payload bytes of its binarized convolutions.
    public struct Contents {
        public let network: GenotypeNetwork
        /// The sign bits and the stored scales of the binarized convolutions, in bytes, as the file holds them.
        public let binaryLayerBytes: Int
    }

    struct Header: Codable {
        var genotype: Genotype
        var shape: NetworkShape
        var tensors: [Entry]
    }

    struct Entry: Codable, Equatable {
        var kind: String
        var count: Int

        /// The payload bytes of this tensor in a file of `version`.
        func byteCount(version: UInt32) -> Int {
            guard kind == "bits" else { return count * 4 }
            return version == 1 ? (count + 63) / 64 * 8 : (count + 7) / 8
        }
    }

    /// The layers written to the file, in order (the auxiliary head is left out).
    static func storedLayers(_ network: GenotypeNetwork) -> [any Layer] {
        ([network.stem] + network.cells + [network.classifier] as [any Layer]).flatMap { $0.allLayers }
    }

    public static func encode(_ network: GenotypeNetwork) throws -> Data {
        let layers = storedLayers(network)
        let folding = ScaleFolding(layers)
        var writer = PayloadWriter()
        for layer in layers {
            switch layer {
            case let conv as Conv2d where conv.binarization.isBinary:
                let binary = conv.binaryWeights
                writer.bits(binary.signs)
                if !folding.leavesOutScales(of: conv) { writer.floats(binary.scales, kind: "scales") }
                if let threshold = conv.threshold { writer.floats(folding.foldedThresholds[ObjectIdentifier(conv)] ?? threshold.data) }
            case let rprelu as RPReLU:
                for parameter in rprelu.parameters { writer.floats(parameter.data) }
            case let conv as Conv2d:
                writer.floats(conv.weight.data)
            case let norm as BatchNorm2d:
                let folded = folding.foldedNorms[ObjectIdentifier(norm)]
                if let gamma = norm.gamma, let beta = norm.beta {
                    writer.floats(folded?.gamma ?? gamma.data)
                    writer.floats(beta.data)
                }
                writer.floats(folded?.mean ?? norm.statistics.mean)
                writer.floats(norm.statistics.variance)
            case let linear as Linear:
                writer.floats(linear.weight.data)
                writer.floats(linear.bias.data)
            default:
                continue
            }
        }
        return try container(network, version: version(for: network.shape.binarization), tensors: writer.entries, payload: writer.payload)
    }

    /// Magic, `version`, the JSON header (sorted keys: the same model always gives the same bytes),
    /// the payload and the checksum: the frame every version shares.
    static func container(_ network: GenotypeNetwork, version: UInt32, tensors: [Entry], payload: Data) throws -> Data {
        var shape = network.shape
        shape.auxiliary = false
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try encoder.encode(Header(genotype: network.genotype, shape: shape, tensors: tensors))
        var data = Data(magic)
        withUnsafeBytes(of: version.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(header)
        data.append(payload)
        withUnsafeBytes(of: fnv1a(data).littleEndian) { data.append(contentsOf: $0) }
        return data
    }

    public static func write(_ network: GenotypeNetwork, to url: URL) throws {
        try AtomicFile.write(encode(network), to: url)
    }

    public static func read(_ url: URL) throws -> Contents {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ModelFileError.unreadable(url.path, error.localizedDescription) }
        return try decode(data, path: url.lastPathComponent)
    }

    /// Reads a file of any of `readableVersions`.
    public static func decode(_ data: Data, path: String) throws -> Contents {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw ModelFileError.notAModel(path) }
        guard bytes.count >= 24 else { throw ModelFileError.truncated(path, expected: 24, actual: bytes.count) }
        let fileVersion = readUInt32(bytes, at: 8)
        guard readableVersions.contains(fileVersion) else { throw ModelFileError.unsupportedVersion(path, fileVersion) }
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
        // Counts past Int32.max (no tensor has that many values) would only overflow the sizes below.
        if let index = header.tensors.firstIndex(where: { !(0...Int(Int32.max)).contains($0.count) }) {
            throw ModelFileError.malformedHeader(path, "tensor \(index) has an impossible count of \(header.tensors[index].count)")
        }
        let payloadLength = header.tensors.reduce(0) { $0 + $1.byteCount(version: fileVersion) }
        let expected = 16 + headerLength + payloadLength + 8
        guard bytes.count >= expected else { throw ModelFileError.truncated(path, expected: expected, actual: bytes.count) }
        guard bytes.count == expected else { throw ModelFileError.malformedHeader(path, "\(bytes.count - expected) bytes past the end of the model") }
        let stored = bytes[(expected - 8)...].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        guard UInt64(littleEndian: stored) == fnv1a(Data(bytes[0..<expected - 8])) else { throw ModelFileError.checksumMismatch(path) }
        let values = header.tensors.reduce(0) { $0 + $1.count }
        guard header.shape.minimumWeightCount <= Double(values) else {
            throw ModelFileError.malformedHeader(path, "its shape needs at least \(String(format: "%.0f", header.shape.minimumWeightCount)) weights, its tensors hold \(values) values")
        }

        let network = GenotypeNetwork(genotype: header.genotype, shape: header.shape, seed: 0)
        var reader = PayloadReader(bytes: bytes, offset: 16 + headerLength, entries: header.tensors, version: fileVersion, path: path)
        for layer in storedLayers(network) {
            switch layer {
            case let conv as Conv2d where conv.binarization.isBinary:
                let outChannels = conv.weight.shape[0]
                let signs = try reader.bits(count: conv.weight.count)
                let scales = try reader.scales(count: outChannels)
                conv.freeze(BinaryWeights(signs: signs, scales: scales, outChannels: outChannels))
                if let threshold = conv.threshold { threshold.data = try reader.floats(count: threshold.count) }
            case let rprelu as RPReLU:
                for parameter in rprelu.parameters { parameter.data = try reader.floats(count: parameter.count) }
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
        return Contents(network: network, binaryLayerBytes: reader.binaryLayerBytes)
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

/// The scales of binarized convolutions that version 2 leaves out, and the batch norms that take them in
/// (the rules are above `ModelFile`).
struct ScaleFolding {
    /// gamma * s and mean / s of each batch norm that took in the scales of the convolutions feeding it.
    private(set) var foldedNorms: [ObjectIdentifier: (gamma: [Float], mean: [Float])] = [:]
    /// a / s of the thresholds a of each 1x1 convolution that took in the depthwise scales s before it.
    private(set) var foldedThresholds: [ObjectIdentifier: [Float]] = [:]
    /// The binarized convolutions stored without scales.
    private var unitScales: Set<ObjectIdentifier> = []

    init(_ layers: [any Layer]) {
        for layer in layers {
            switch layer {
            case let op as ReLUConvBN:
                fold([op.conv], into: op.norm)
            case let op as DilConv:
                fold([op.pointwise], into: op.norm)
                dropScales(of: op.depthwise, before: op.pointwise)
            case let op as FactorizedReduce:
                fold([op.left, op.right], into: op.norm)
            default:
                continue
            }
        }
    }

    func leavesOutScales(of conv: Conv2d) -> Bool { unitScales.contains(ObjectIdentifier(conv)) }

    /// `depthwise`'s output channels are `pointwise`'s input channels, read through sign.
    private mutating func dropScales(of depthwise: Conv2d, before pointwise: Conv2d) {
        let scales = depthwise.binaryWeights.scales
        guard depthwise.binarization.binarizesActivations, Self.arePositive(scales) else { return }
        if let threshold = pointwise.threshold {
            guard threshold.count == scales.count else { return }
            let folded = zip(threshold.data, scales).map { $0 / $1 }
            guard folded.allSatisfy(\.isFinite) else { return }
            foldedThresholds[ObjectIdentifier(pointwise)] = folded
        }
        unitScales.insert(ObjectIdentifier(depthwise))
    }

    /// The output channels of `convolutions`, in order, are the channels of `norm`.
    private mutating func fold(_ convolutions: [Conv2d], into norm: BatchNorm2d) {
        guard let gamma = norm.gamma, convolutions.allSatisfy({ $0.binarization.isBinary }) else { return }
        let scales = convolutions.flatMap { $0.binaryWeights.scales }
        guard scales.count == gamma.count, Self.arePositive(scales) else { return }
        let folded = (gamma: zip(gamma.data, scales).map { $0 * $1 }, mean: zip(norm.statistics.mean, scales).map { $0 / $1 })
        guard folded.gamma.allSatisfy(\.isFinite), folded.mean.allSatisfy(\.isFinite) else { return }
        foldedNorms[ObjectIdentifier(norm)] = folded
        unitScales.formUnion(convolutions.map { ObjectIdentifier($0) })
    }

    private static func arePositive(_ scales: [Float]) -> Bool { scales.allSatisfy { $0 > 0 && $0.isFinite } }
}

/// Appends the tensors of a version-2 or version-3 payload and lists them for the header.
struct PayloadWriter {
    private(set) var entries: [ModelFile.Entry] = []
    private(set) var payload = Data()

    mutating func floats(_ values: [Float], kind: String = "f32") {
        entries.append(ModelFile.Entry(kind: kind, count: values.count))
        values.withUnsafeBufferPointer { payload.append(Data(buffer: $0)) }
    }

    /// Sign bits (bit = 1 for -1): the little-endian bit stream of one packed row, cut to whole bytes.
    mutating func bits(_ signs: [Float]) {
        let entry = ModelFile.Entry(kind: "bits", count: signs.count)
        let words = BitPacking.packRows(values: signs, rows: 1, k: signs.count, counters: KernelCounters()).words
        let stream = words.flatMap { word in withUnsafeBytes(of: word.littleEndian) { Array($0) } }
        payload.append(contentsOf: stream.prefix((signs.count + 7) / 8))
        entries.append(entry)
    }
}

/// Reads the payload's tensors in order, checking each against the header's entry and the network.
struct PayloadReader {
    let bytes: [UInt8]
    var offset: Int
    let entries: [ModelFile.Entry]
    let version: UInt32
    let path: String
    var index = 0
    /// The bytes read for binarized convolutions: their bits and stored scales.
    private(set) var binaryLayerBytes = 0

    var isAtEnd: Bool { index == entries.count }

    /// The payload bytes of the next tensor, which must be `kind`[`count`].
    mutating func next(kind: String, count: Int) throws -> Range<Int> {
        guard index < entries.count else { throw ModelFileError.malformedHeader(path, "the header lists fewer tensors than the network has") }
        let entry = entries[index]
        guard entry == ModelFile.Entry(kind: kind, count: count) else {
            throw ModelFileError.malformedHeader(path, "tensor \(index) is \(entry.kind)[\(entry.count)], the network needs \(kind)[\(count)]")
        }
        index += 1
        let range = offset..<offset + entry.byteCount(version: version)
        offset = range.upperBound
        return range
    }

    mutating func floats(count: Int, kind: String = "f32") throws -> [Float] {
        let range = try next(kind: kind, count: count)
        return bytes[range].withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// `count` signs from the little-endian bit stream of a "bits" entry (bit = 1 for -1).
    mutating func bits(count: Int) throws -> [Float] {
        let range = try next(kind: "bits", count: count)
        binaryLayerBytes += range.count
        var words = [UInt64](repeating: 0, count: (count + 63) / 64)
        for (position, byte) in bytes[range].enumerated() { words[position / 8] |= UInt64(byte) << UInt64(position % 8 * 8) }
        guard let matrix = PackedMatrix(rows: 1, bitsPerRow: count, words: words) else {
            throw ModelFileError.malformedHeader(path, "tensor \(index - 1) has bits set past its \(count) values")
        }
        return (0..<count).map { matrix.sign(row: 0, bit: $0) }
    }

    /// A binarized convolution's scales: version 1 always stores them, as an "f32" entry after its bits;
    /// version 2 as a "scales" entry, or not at all when they are 1.
    mutating func scales(count: Int) throws -> [Float] {
        let kind = version == 1 ? "f32" : "scales"
        guard version == 1 || (index < entries.count && entries[index].kind == kind) else { return [Float](repeating: 1, count: count) }
        let scales = try floats(count: count, kind: kind)
        binaryLayerBytes += count * 4
        return scales
    }
}
