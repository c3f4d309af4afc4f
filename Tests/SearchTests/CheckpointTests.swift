import Binary
import Foundation
@testable import Network
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

    /// A search of the ReAct flavour builds every candidate op and preprocessing with it (thresholds on
    /// each binarized convolution, RPReLU after each binarized block), trains them in its weight steps,
    /// and its checkpoint carries them: a restored engine continues exactly, and config.json's options
    /// are what a resumed search is rebuilt from.
    @Test func aFlavourSearchTrainsItsNewParametersAndRestoresExactly() throws {
        var configuration = tinyConfiguration()
        configuration.binarization = BinarizationConfig(weights: .xnor, activations: .binary, thresholds: true, shortcuts: true,
                                                        signGradient: .approx)
        let decoded = try SearchJSON.decoder().decode(SearchConfiguration.self, from: SearchJSON.encoder().encode(configuration))
        #expect(decoded.binarization == configuration.binarization)
        func engine() throws -> SearchEngine { try SearchEngine(configuration: decoded, data: SearchData.load(decoded)) }
        let original = try engine()
        let layers = original.supernet.allLayers
        let thresholds = layers.compactMap { ($0 as? Conv2d)?.threshold }
        let rprelus = layers.compactMap { $0 as? RPReLU }
        let binarized = layers.compactMap { $0 as? Conv2d }.filter(\.binarization.isBinary)
        #expect(!thresholds.isEmpty && thresholds.count == binarized.count && !rprelus.isEmpty)
        #expect(layers.contains { ($0 as? BlockEnd)?.shortcut == true })
        let before = (thresholds + rprelus.flatMap(\.parameters)).map(\.data)
        let (weights, architecture) = original.batches(epoch: 0)
        let batches = Array(zip(weights, architecture))
        _ = original.weightStep(batches[0].0)
        let after = (thresholds + rprelus.flatMap(\.parameters)).map(\.data)
        #expect(zip(before, after).contains { $0 != $1 }, "a weight step left the flavour's parameters as they were")
        let checkpoint = try SearchCheckpoint(data: original.checkpoint().encoded(), path: "test")
        #expect(checkpoint.header.configuration.binarization == configuration.binarization)
        let restored = try engine()
        try restored.restore(checkpoint, path: "test")
        #expect(restored.checkpointArrays == original.checkpointArrays)
        #expect(original.weightStep(batches[1].0) == restored.weightStep(batches[1].0))
        #expect(original.architectureStep(batches[1].1) == restored.architectureStep(batches[1].1))
    }

    /// A configuration written before the options existed (no keys) decodes with them off.
    @Test func configurationsWithoutTheFlavourKeysDecodeWithItOff() throws {
        let plain = tinyConfiguration()
        let json = String(decoding: try SearchJSON.encoder().encode(plain), as: UTF8.self)
        #expect(!json.contains("thresholds") && !json.contains("shortcuts") && !json.contains("signGradient"))
        let decoded = try SearchJSON.decoder().decode(SearchConfiguration.self, from: Data(json.utf8))
        #expect(decoded == plain && decoded.binarization == BinarizationConfig(weights: .xnor, activations: .binary))
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
