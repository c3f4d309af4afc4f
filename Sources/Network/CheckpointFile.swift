import Foundation

/// Why a checkpoint could not be used, with the path.
public enum CheckpointFileError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case damaged(String, String)
    case mismatch(String, String)
    /// Neither the newest checkpoint of the run folder nor the previous one can be used; each problem names its file.
    case noneUsable(String, [String])

    public var description: String {
        switch self {
        case .missing(let path): return "\(path): no checkpoint to resume from"
        case .damaged(let path, let reason): return "\(path): damaged checkpoint: \(reason)"
        case .mismatch(let path, let reason): return "\(path): checkpoint does not fit this run: \(reason)"
        case .noneUsable(let folder, let problems): return "no usable checkpoint in \(folder): " + problems.joined(separator: "; ")
        }
    }
}

/// The container of a checkpoint: a JSON header (where the run stands) and the run's tensors as one
/// flat array of Float32.
///
/// Layout (little-endian):
/// ```
/// magic             8 bytes naming the kind of run ("BNASTRN1" for a training)
/// header length     UInt64, then the JSON header
/// float count       UInt64, then that many Float32
/// checksum          UInt64 FNV-1a (`ModelFile.fnv1a`) of every byte before it
/// ```
/// `write` replaces the file atomically and keeps the one it replaces as `NAME.previous`, so a crash
/// at any moment leaves at least one whole checkpoint; `readLatest` falls back to it.
public struct CheckpointFile: Equatable {
    public var header: Data
    public var floats: [Float]

    public init(header: Data, floats: [Float]) {
        self.header = header
        self.floats = floats
    }

    public func encoded(magic: [UInt8]) -> Data {
        var data = Data(magic)
        Self.append(UInt64(header.count), to: &data)
        data.append(header)
        Self.append(UInt64(floats.count), to: &data)
        floats.map { $0.bitPattern.littleEndian }.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        Self.append(ModelFile.fnv1a(data), to: &data)
        return data
    }

    /// Parses a checkpoint, refusing anything damaged with the reason.
    public init(data: Data, magic: [UInt8], path: String) throws {
        let bytes = [UInt8](data)
        func damaged(_ reason: String) -> CheckpointFileError { .damaged(path, reason) }
        guard bytes.count >= magic.count + 24 else { throw damaged("only \(bytes.count) bytes (truncated)") }
        guard Array(bytes[0..<magic.count]) == magic else { throw damaged("not a bnas checkpoint of this kind (bad magic number)") }
        guard Self.readUInt64(bytes, at: bytes.count - 8) == ModelFile.fnv1a(data.prefix(bytes.count - 8)) else {
            throw damaged("checksum mismatch (truncated or corrupted)")
        }
        let headerStart = magic.count + 8
        let headerLength = Int(clamping: Self.readUInt64(bytes, at: magic.count))
        guard headerLength <= bytes.count - headerStart - 16 else { throw damaged("header length \(headerLength) exceeds the file") }
        let countOffset = headerStart + headerLength
        let count = Int(clamping: Self.readUInt64(bytes, at: countOffset))
        let available = (bytes.count - countOffset - 16) / 4
        guard count == available, countOffset + 8 + 4 * count + 8 == bytes.count else {
            throw damaged("it announces \(count) values but holds \(available)")
        }
        header = Data(bytes[headerStart..<countOffset])
        floats = bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: countOffset + 8 + 4 * $0, as: UInt32.self))) }
        }
    }

    /// Writes `folder/name` atomically; the file it replaces becomes `name.previous`.
    public func write(to folder: RunFolder, name: String, magic: [UInt8]) throws {
        let target = folder.file(name)
        let temporary = folder.file(".\(name).tmp")
        try AtomicFile.write(encoded(magic: magic), to: temporary)
        if FileManager.default.fileExists(atPath: target.path), rename(target.path, folder.file(name + ".previous").path) != 0 {
            throw RunFolderError.cannotWrite(target.path, String(cString: strerror(errno)))
        }
        if rename(temporary.path, target.path) != 0 {
            throw RunFolderError.cannotWrite(target.path, String(cString: strerror(errno)))
        }
    }

    /// The newest whole checkpoint of a run: `name`, or `name.previous` when the newest is missing or
    /// damaged (`warning` then says why the newest was passed over). `decode` turns the container
    /// into the caller's checkpoint; its errors count as damage too.
    public static func readLatest<Checkpoint>(
        from folder: RunFolder, name: String, magic: [UInt8], decode: (CheckpointFile, String) throws -> Checkpoint
    ) throws -> (checkpoint: Checkpoint, warning: String?) {
        var problems: [String] = []
        var foundAny = false
        for candidate in [name, name + ".previous"] {
            let url = folder.file(candidate)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                problems.append(CheckpointFileError.missing(url.path).description)
                continue
            }
            foundAny = true
            do {
                let checkpoint = try decode(CheckpointFile(data: data, magic: magic, path: url.path), url.path)
                return (checkpoint, problems.isEmpty ? nil : problems.joined(separator: "; ") + "; using \(candidate)")
            } catch {
                problems.append("\(error)")
            }
        }
        if !foundAny {
            throw CheckpointFileError.missing(folder.file(name).path)
        }
        throw CheckpointFileError.noneUsable(folder.url.path, problems)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
