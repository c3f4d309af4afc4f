import Foundation
import Network

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case damaged(String, String)
    case mismatch(String, String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path): no checkpoint to resume from"
        case .damaged(let path, let reason): return "\(path): damaged checkpoint: \(reason)"
        case .mismatch(let path, let reason): return "\(path): checkpoint does not fit this search: \(reason)"
        }
    }
}

/// `runs/NAME/checkpoint`: the whole state of a search, written at every epoch, on pause and on stop.
///
/// Layout (little-endian):
/// ```
/// "BNASCKP1"        8-byte magic
/// header length     UInt64, then the header: JSON of `SearchState` plus the configuration
/// float count       UInt64, then that many Float32: weights, BN running means and variances, SGD
///                   velocities, alpha/beta, Adam's first and second moments, in `SearchEngine` order
/// checksum          UInt64 FNV-1a of every byte before it
/// ```
/// Written to a temporary file, fsynced, then the old checkpoint becomes `checkpoint.previous` and
/// the new one is renamed into place, so a crash at any moment leaves at least one whole checkpoint.
struct SearchCheckpoint: Equatable {
    static let magic = Array("BNASCKP1".utf8)
    static let fileName = "checkpoint"
    static let previousFileName = "checkpoint.previous"

    struct Header: Codable, Equatable {
        var configuration: SearchConfiguration
        var state: SearchState
    }

    var header: Header
    var floats: [Float]

    func encoded() throws -> Data {
        let json = try SearchJSON.encoder().encode(header)
        var data = Data(Self.magic)
        Self.append(UInt64(json.count), to: &data)
        data.append(json)
        Self.append(UInt64(floats.count), to: &data)
        for value in floats { Self.append(value.bitPattern, to: &data) }
        Self.append(ModelFile.fnv1a(data), to: &data)
        return data
    }

    init(header: Header, floats: [Float]) {
        self.header = header
        self.floats = floats
    }

    /// Parses a checkpoint, refusing anything damaged with the reason.
    init(data: Data, path: String) throws {
        let bytes = [UInt8](data)
        func damaged(_ reason: String) -> CheckpointError { .damaged(path, reason) }
        guard bytes.count >= Self.magic.count + 24 else { throw damaged("only \(bytes.count) bytes (truncated)") }
        guard Array(bytes[0..<8]) == Self.magic else { throw damaged("not a bnas checkpoint (bad magic number)") }
        let stored = Self.readUInt64(bytes, at: bytes.count - 8)
        guard stored == ModelFile.fnv1a(data.prefix(bytes.count - 8)) else { throw damaged("checksum mismatch (truncated or corrupted)") }
        let headerLength = Int(clamping: Self.readUInt64(bytes, at: 8))
        guard headerLength <= bytes.count - 32 else { throw damaged("header length \(headerLength) exceeds the file") }
        do {
            header = try SearchJSON.decoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)]))
        } catch {
            throw damaged("unreadable header: \(EventLog.reason(error))")
        }
        let countOffset = 16 + headerLength
        let count = Int(clamping: Self.readUInt64(bytes, at: countOffset))
        guard count == (bytes.count - countOffset - 16) / 4, countOffset + 8 + 4 * count + 8 == bytes.count else {
            throw damaged("it announces \(count) values but holds \((bytes.count - countOffset - 16) / 4)")
        }
        floats = bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: countOffset + 8 + 4 * $0, as: UInt32.self).littleEndian) }
        }
    }

    /// Writes atomically, keeping the previous checkpoint as `checkpoint.previous`.
    func write(to folder: RunFolder) throws {
        let data = try encoded()
        let target = folder.file(Self.fileName)
        let temporary = folder.file(".\(Self.fileName).tmp")
        try AtomicFile.write(data, to: temporary)
        if FileManager.default.fileExists(atPath: target.path),
           rename(target.path, folder.file(Self.previousFileName).path) != 0 {
            throw RunFolderError.cannotWrite(target.path, String(cString: strerror(errno)))
        }
        if rename(temporary.path, target.path) != 0 {
            throw RunFolderError.cannotWrite(target.path, String(cString: strerror(errno)))
        }
    }

    /// Reads the newest whole checkpoint of a run: `checkpoint`, or `checkpoint.previous` when the
    /// newest is missing or damaged (`warning` then says why the newest was passed over).
    static func readLatest(from folder: RunFolder) throws -> (checkpoint: SearchCheckpoint, warning: String?) {
        var problems: [String] = []
        for name in [fileName, previousFileName] {
            let url = folder.file(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                problems.append(CheckpointError.missing(url.path).description)
                continue
            }
            do {
                let checkpoint = try SearchCheckpoint(data: data, path: url.path)
                return (checkpoint, problems.isEmpty ? nil : problems.joined(separator: "; ") + "; using \(name)")
            } catch {
                problems.append("\(error)")
            }
        }
        throw CheckpointError.damaged(folder.file(fileName).path, problems.joined(separator: "; "))
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
