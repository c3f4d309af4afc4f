import Foundation
import Network
import Testing
@testable import Search

/// Checkpoints: exact round trips, damaged files refused, the previous checkpoint used instead.
struct CheckpointTests {
    static func engine() throws -> SearchEngine {
        var configuration = tinyConfiguration()
        configuration.binarize = .none
        return try SearchEngine(configuration: configuration, data: SearchData.load(configuration))
    }

    @Test func aRestoredEngineContinuesExactlyAsTheOriginal() throws {
        let original = try Self.engine()
        let (weights, architecture) = original.batches(epoch: 0)
        let batches = Array(zip(weights, architecture))
        _ = original.weightStep(batches[0].0)
        _ = original.architectureStep(batches[0].1)
        original.state.space.remove(OperationRef(cell: .normal, edge: 2, operation: .maxPool3x3), cause: .veto)
        original.state.step = 1
        let checkpoint = original.checkpoint()
        let decoded = try SearchCheckpoint(data: checkpoint.encoded(), path: "test")
        #expect(decoded == checkpoint)

        let restored = try Self.engine()
        try restored.restore(decoded, path: "test")
        #expect(restored.state == original.state)
        let a = original.architectureStep(batches[1].1)
        let b = restored.architectureStep(batches[1].1)
        let c = original.weightStep(batches[1].0)
        let d = restored.weightStep(batches[1].0)
        #expect(a == b && c == d)
        #expect(original.checkpointArrays == restored.checkpointArrays)
    }

    @Test func damagedCheckpointsAreRefusedWithTheReason() throws {
        let data = try Self.engine().checkpoint().encoded()
        #expect(throws: CheckpointFileError.damaged("c", "checksum mismatch (truncated or corrupted)")) {
            try SearchCheckpoint(data: data.prefix(data.count - 100), path: "c")
        }
        var flipped = data
        flipped[data.count / 2] ^= 0x10
        #expect(throws: CheckpointFileError.damaged("c", "checksum mismatch (truncated or corrupted)")) { try SearchCheckpoint(data: flipped, path: "c") }
        #expect(throws: CheckpointFileError.self) { try SearchCheckpoint(data: Data("not a checkpoint at all, just text".utf8), path: "c") }
        #expect(throws: CheckpointFileError.damaged("c", "only 3 bytes (truncated)")) { try SearchCheckpoint(data: Data([1, 2, 3]), path: "c") }
    }

    /// A checkpoint whose search space or likelihoods lack entries is damaged (resuming indexed past
    /// them), and so is one standing outside its search: a negative step ran the epoch loop's skip over
    /// a backwards range.
    @Test func aCheckpointOutsideItsSearchIsDamaged() throws {
        let engine = try Self.engine()
        let checkpoint = engine.checkpoint()
        func edited(_ key: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
            var header = try #require(try JSONSerialization.jsonObject(with: SearchJSON.encoder().encode(checkpoint.header)) as? [String: Any])
            var state = try #require(header["state"] as? [String: Any])
            var table = try #require(state[key] as? [String: Any])
            edit(&table)
            state[key] = table
            header["state"] = state
            return CheckpointFile(header: try JSONSerialization.data(withJSONObject: header), floats: checkpoint.floats).encoded(magic: SearchCheckpoint.magic)
        }
        #expect(throws: CheckpointFileError.damaged("c", "unreadable header: the search space has 111 and 112 entries, not 112 per cell type")) {
            try SearchCheckpoint(data: edited("space") { $0["normal"] = Array(($0["normal"] as? [Any] ?? []).dropLast()) }, path: "c")
        }
        #expect(throws: CheckpointFileError.damaged("c", "unreadable header: the likelihoods number 112 and 0, not 112 per cell type")) {
            try SearchCheckpoint(data: edited("likelihoods") { $0["reduce"] = [Double]() }, path: "c")
        }
        for (epochs, step) in [(0, -1), (0, engine.stepsPerEpoch + 1), (-1, 0), (engine.configuration.epochs + 1, 0)] {
            var outside = checkpoint
            (outside.header.state.completedEpochs, outside.header.state.step) = (epochs, step)
            #expect(throws: CheckpointFileError.damaged("c", "it stands at step \(step) after \(epochs) epochs, outside a search of"
                                                               + " \(engine.configuration.epochs) epochs of \(engine.stepsPerEpoch) steps")) {
                try Self.engine().restore(outside, path: "c")
            }
        }
        try Self.engine().restore(checkpoint, path: "c")
    }

    @Test func writingKeepsThePreviousCheckpointAndReadingFallsBackToIt() throws {
        let root = try temporaryDirectory("checkpoint")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try RunFolder.create(name: "run", root: root)
        let engine = try Self.engine()
        try engine.checkpoint().write(to: folder)
        engine.state.completedEpochs = 1
        try engine.checkpoint().write(to: folder)
        #expect(try SearchCheckpoint.readLatest(from: folder).checkpoint.header.state.completedEpochs == 1)
        #expect(try SearchCheckpoint.readLatest(from: folder).warning == nil)

        // A truncated newest checkpoint: the previous one is used, with a warning naming the damage.
        let newest = folder.file("checkpoint")
        let bytes = try Data(contentsOf: newest)
        try bytes.prefix(bytes.count / 2).write(to: newest)
        let (fallback, warning) = try SearchCheckpoint.readLatest(from: folder)
        #expect(fallback.header.state.completedEpochs == 0)
        #expect(warning?.contains("checksum mismatch") == true && warning?.contains("using checkpoint.previous") == true)
        // The damaged file is left as it was for the user to inspect.
        #expect(try Data(contentsOf: newest).count == bytes.count / 2)

        try Data().write(to: folder.file("checkpoint.previous"))
        #expect(throws: CheckpointFileError.self) { try SearchCheckpoint.readLatest(from: folder) }
    }

    @Test func aCheckpointOfAnotherConfigurationIsRefused() throws {
        let checkpoint = try Self.engine().checkpoint()
        var configuration = tinyConfiguration()
        configuration.binarize = .none
        configuration.channels = 8
        let other = try SearchEngine(configuration: configuration, data: SearchData.load(configuration))
        #expect(throws: CheckpointFileError.mismatch("x", "it was written with another configuration")) { try other.restore(checkpoint, path: "x") }
    }
}
