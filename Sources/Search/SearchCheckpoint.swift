import Foundation
import Network

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
/// The container is `CheckpointFile`'s (Network), as for trainings: written to a temporary file,
/// fsynced, then the old checkpoint becomes `checkpoint.previous` and the new one is renamed into
/// place, so a crash at any moment leaves at least one whole checkpoint.
struct SearchCheckpoint: Equatable {
    static let magic = Array("BNASCKP1".utf8)
    static let fileName = "checkpoint"

    struct Header: Codable, Equatable {
        var configuration: SearchConfiguration
        var state: SearchState
    }

    var header: Header
    var floats: [Float]

    func encoded() throws -> Data {
        CheckpointFile(header: try SearchJSON.encoder().encode(header), floats: floats).encoded(magic: Self.magic)
    }

    init(header: Header, floats: [Float]) {
        self.header = header
        self.floats = floats
    }

    /// Parses a checkpoint, refusing anything damaged with the reason.
    init(data: Data, path: String) throws {
        try self.init(CheckpointFile(data: data, magic: Self.magic, path: path), path: path)
    }

    init(_ file: CheckpointFile, path: String) throws {
        do {
            header = try SearchJSON.decoder().decode(Header.self, from: file.header)
        } catch {
            throw CheckpointFileError.damaged(path, "unreadable header: \(JSONErrorReason.describe(error))")
        }
        floats = file.floats
    }

    /// Writes atomically, keeping the previous checkpoint as `checkpoint.previous`.
    func write(to folder: RunFolder) throws {
        try CheckpointFile(header: try SearchJSON.encoder().encode(header), floats: floats).write(to: folder, name: Self.fileName, magic: Self.magic)
    }

    /// Reads the newest whole checkpoint of a run: `checkpoint`, or `checkpoint.previous` when the
    /// newest is missing or damaged (`warning` then says why the newest was passed over).
    static func readLatest(from folder: RunFolder) throws -> (checkpoint: SearchCheckpoint, warning: String?) {
        try CheckpointFile.readLatest(from: folder, name: fileName, magic: magic) { try SearchCheckpoint($0, path: $1) }
    }
}
