import Foundation
@testable import Dashboard
@testable import Datasets
@testable import Network
@testable import Search

/// One file format bnas reads, fed to the entry point the product reads that file through. A target
/// returns normally when the product accepts the bytes or refuses them with the file's typed error;
/// anything else (a trap, a sanitizer report, another kind of error, a hang) is a finding.
struct FuzzTarget {
    let name: String
    /// Whether the format writes numbers as text (JSON, DARTS): the mutator then also swaps them for extreme ones.
    var hasTextNumbers = false
    /// For model files and checkpoints, the bytes of the JSON header's length field (which ends at byte
    /// 16, where the header starts): each input is also read sealed (`asIsAndSealed`).
    var headerLengthBytes: Int?
    /// The product's reading of the file.
    let read: (Data) -> Void

    /// The target this process feeds (libFuzzer's callback is a C function: it cannot capture it).
    nonisolated(unsafe) static var selected: FuzzTarget?

    /// Feeds one input.
    func run(_ data: Data) {
        guard let headerLengthBytes else { return read(data) }
        asIsAndSealed(data, lengthBytes: headerLengthBytes, read)
    }

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "idx", read: idx),
        FuzzTarget(name: "idx-gzip", read: idx),
        FuzzTarget(name: "cifar10", read: cifar10),
        FuzzTarget(name: "genotype-json", hasTextNumbers: true, read: { genotype($0, path: "genotype.json", names: [nil]) }),
        FuzzTarget(name: "genotype-darts", hasTextNumbers: true, read: { genotype($0, path: "genotypes.py", names: [nil, "BNAS"]) }),
        FuzzTarget(name: "checkpoint-training", hasTextNumbers: true, headerLengthBytes: 8, read: trainingCheckpoint),
        FuzzTarget(name: "checkpoint-search", hasTextNumbers: true, headerLengthBytes: 8, read: searchCheckpoint),
        FuzzTarget(name: "model", hasTextNumbers: true, headerLengthBytes: 4, read: model),
        FuzzTarget(name: "theme", read: theme),
        FuzzTarget(name: "events", hasTextNumbers: true, read: events),
    ]
}

/// Runs `read`; an error it throws must be `E`, the error the product reports that file's problems with.
private func refusesOnlyWith<E: Error>(_: E.Type, _ read: () throws -> Void) {
    do {
        try read()
    } catch is E {
    } catch {
        fatalError("untyped error \(type(of: error)): \(error)")
    }
}

/// Model files and checkpoints frame a JSON header, at byte 16, with its length (a little-endian integer
/// of `lengthBytes` bytes ending at byte 16), and end in an FNV-1a checksum of every byte before it.
/// Almost every mutation breaks one or the other, so each input is read as it is and once more sealed:
/// the length set to where the JSON object starting at byte 16 closes (when it does), the checksum
/// recomputed. The parsing behind the frame then sees mutated headers and payloads too.
private func asIsAndSealed(_ data: Data, lengthBytes: Int, _ read: (Data) -> Void) {
    read(data)
    let bytes = [UInt8](data)
    guard bytes.count >= 24 else { return }
    var sealed = bytes
    if let end = jsonObjectEnd(bytes, from: 16) {
        withUnsafeBytes(of: UInt64(end - 16).littleEndian) { length in
            sealed.replaceSubrange((16 - lengthBytes)..<16, with: length.prefix(lengthBytes))
        }
    }
    sealed.removeLast(8)
    withUnsafeBytes(of: ModelFile.fnv1a(Data(sealed)).littleEndian) { sealed.append(contentsOf: $0) }
    if sealed != bytes { read(Data(sealed)) }
}

/// The index just past the JSON object or array that starts at `start`, or nil.
private func jsonObjectEnd(_ bytes: [UInt8], from start: Int) -> Int? {
    guard bytes.indices.contains(start), bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") else { return nil }
    var (depth, inString, escaped) = (0, false, false)
    for index in start..<bytes.count {
        let byte = bytes[index]
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 0 { return index + 1 }
        default: break
        }
    }
    return nil
}

// MARK: - Data sets

/// An MNIST-style IDX file, plain or gzip, read as images and as labels (`IDXReader.readImages`/`readLabels`).
private func idx(_ data: Data) {
    let path = "fuzz-ubyte"
    refusesOnlyWith(DatasetError.self) {
        let contents = try FileReader.contents(ofFile: [UInt8](data), path: path)
        refusesOnlyWith(DatasetError.self) {
            let images = try IDXReader.parseImages(contents, path: path)
            precondition(images.pixels.count == images.count * images.height * images.width, "IDX: pixels and shape disagree")
        }
        refusesOnlyWith(DatasetError.self) {
            let labels = try IDXReader.parseLabels(contents, path: path, classes: 10)
            precondition(labels.allSatisfy { (0..<10).contains($0) }, "IDX: a label out of range was accepted")
        }
    }
}

/// A CIFAR-10 batch file, plain or gzip (`CIFAR10Reader.readBatch`).
private func cifar10(_ data: Data) {
    let path = "data_batch_1.bin"
    refusesOnlyWith(DatasetError.self) {
        let batch = try CIFAR10Reader.parseBatch(FileReader.contents(ofFile: [UInt8](data), path: path), path: path, classes: 10)
        precondition(batch.pixels.count == batch.count * 3 * 32 * 32 && batch.labels.count == batch.count, "CIFAR-10: sizes disagree")
    }
}

// MARK: - Genotypes

/// A genotype file as `--genotype PATH[:NAME]` reads it (`Genotype.resolve`), JSON or DARTS text by `path`.
private func genotype(_ data: Data, path: String, names: [String?]) {
    for name in names {
        var accepted: Genotype?
        refusesOnlyWith(GenotypeError.self) { accepted = try Genotype.decode(file: data, path: path, name: name) }
        guard let genotype = accepted else { continue }
        // An accepted genotype is valid, and what `bnas export` writes of it reads back as the same genotype.
        do {
            try genotype.validate()
            let json = try Genotype(jsonData: genotype.jsonData())
            let darts = try Genotype(dartsText: genotype.dartsText())
            precondition(json == genotype && darts == genotype, "genotype: a round trip through JSON or DARTS text differs")
        } catch {
            fatalError("genotype: an accepted genotype fails its round trip: \(error)")
        }
    }
}

// MARK: - Checkpoints and model files

/// A training checkpoint as `bnas train --resume` reads it (`TrainingSession.resume`), with its own
/// configuration standing for config.json: decoded, restored into the network its header describes,
/// and its history written out as metrics.csv.
private func trainingCheckpoint(_ data: Data) {
    let path = "runs/fuzz/checkpoint"
    refusesOnlyWith(CheckpointFileError.self) {
        let file = try CheckpointFile(data: data, magic: TrainingSession.checkpointMagic, path: path)
        let (header, floats) = try TrainingSession.decodeCheckpoint(file, path: path)
        _ = try TrainingSession.restoredTrainer(header: header, floats: floats, configuration: header.configuration, path: path)
        _ = TrainingSession.metricsText(header.state.history)
    }
}

/// The engine of the search fuzz/make-corpus.sh runs for the seed checkpoint (same settings), built once.
private let tinySearch: SearchEngine? = {
    var configuration = SearchConfiguration()
    configuration.dataset = "synthetic"
    (configuration.layers, configuration.channels, configuration.partialK) = (3, 2, 2)
    (configuration.epochs, configuration.warmupEpochs, configuration.reductionInterval) = (3, 1, 1)
    (configuration.samplingRounds, configuration.scoringBatches) = (1, 1)
    (configuration.batchSize, configuration.trainSize) = (4, 8)
    return try? SearchEngine(configuration: configuration, data: SearchData.load(configuration))
}()

/// A search checkpoint as `bnas search --resume` reads it (`SearchSession.resume`): decoded and, when
/// it is one of the tiny search's, restored into its engine, which then derives what a resumed search
/// shows first (the alpha event over the surviving ops, the genotype).
private func searchCheckpoint(_ data: Data) {
    let path = "runs/fuzz/checkpoint"
    refusesOnlyWith(CheckpointFileError.self) {
        let checkpoint = try SearchCheckpoint(data: data, path: path)
        guard let engine = tinySearch, checkpoint.header.configuration == engine.configuration else { return }
        try engine.restore(checkpoint, path: path)
        _ = engine.isComplete
        _ = engine.alphaEvent()
        _ = engine.genotype
    }
}

/// `model.bnn` as `bnas eval` reads it.
private func model(_ data: Data) {
    refusesOnlyWith(ModelFileError.self) {
        _ = try ModelFile.decode(data, path: "model.bnn")
    }
}

// MARK: - Dashboard

/// A theme file as the dashboard loads `themes/NAME.theme`.
private func theme(_ data: Data) {
    refusesOnlyWith(ThemeError.self) {
        _ = try Theme.parse(data, name: "fuzz", file: "themes/fuzz.theme")
    }
}

/// `events.jsonl` as `bnas replay` plays it: checked, played at full speed into the dashboard's
/// state, and drawn as a frame of the panels and one of the inspect view (at two terminal sizes).
private func events(_ data: Data) {
    refusesOnlyWith(EventLogError.self) {
        let player = try ReplayPlayer(log: data, path: "runs/fuzz/events.jsonl", speed: nil)
        var state = DashboardState(runName: "fuzz")
        var view = ViewState(context: .replay)
        for record in player.due(now: 0) {
            state.apply(record)
            view.note(record.event)
        }
        view.replay = player.status
        _ = DashboardRenderer.render(state: state, view: view, theme: .terminalDefault, size: GridSize(width: 120, height: 36),
                                     elapsed: state.elapsed)
        view.mode = .inspect
        _ = DashboardRenderer.render(state: state, view: view, theme: .terminalDefault, size: GridSize(width: 80, height: 24),
                                     elapsed: state.elapsed)
    }
}
