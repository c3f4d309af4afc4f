import Foundation
import Network

/// One JSON object per line: `{"type": "...", "t": seconds, ...the event's fields}`.
extension EventRecord: Codable {
    private enum Keys: String, CodingKey { case type, t }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(event.type, forKey: .type)
        try container.encode(t, forKey: .t)
        switch event {
        case .runStarted(let payload): try payload.encode(to: encoder)
        case .step(let payload): try payload.encode(to: encoder)
        case .epoch(let payload): try payload.encode(to: encoder)
        case .alpha(let payload): try payload.encode(to: encoder)
        case .kernels(let payload): try payload.encode(to: encoder)
        case .reduction(let payload): try payload.encode(to: encoder)
        case .veto(let payload): try payload.encode(to: encoder)
        case .paused(let payload), .resumed(let payload): try payload.encode(to: encoder)
        case .checkpoint(let payload): try payload.encode(to: encoder)
        case .genotype(let payload): try payload.encode(to: encoder)
        case .finished(let payload): try payload.encode(to: encoder)
        case .error(let payload): try payload.encode(to: encoder)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let type = try container.decode(String.self, forKey: .type)
        t = try container.decode(Double.self, forKey: .t)
        switch type {
        case "run_started":
            let started = try RunStartedEvent(from: decoder)
            // The dashboard computes with the settings (the reduction epochs): only a runnable search's.
            do { try started.configuration.validate() } catch {
                throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "a configuration no search runs: \(error)")
            }
            event = .runStarted(started)
        case "step": event = .step(try StepEvent(from: decoder))
        case "epoch": event = .epoch(try EpochEvent(from: decoder))
        case "alpha": event = .alpha(try AlphaEvent(from: decoder))
        case "kernels": event = .kernels(try KernelsEvent(from: decoder))
        case "reduction":
            let reduction = try ReductionEvent(from: decoder)
            // Readers look the removed ops up in the cells: a search removes only ops of its edges.
            if let op = reduction.removed.first(where: { !$0.isInCell }) {
                throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "a reduction of an operation no cell has: \(op)")
            }
            event = .reduction(reduction)
        case "veto":
            let veto = try VetoEvent(from: decoder)
            // A refused veto may name any edge (what was asked); an accepted one removed an op of a cell.
            if veto.accepted && !veto.operation.isInCell {
                throw DecodingError.dataCorruptedError(forKey: .type, in: container,
                                                       debugDescription: "an accepted veto of an operation no cell has: \(veto.operation)")
            }
            event = .veto(veto)
        case "paused": event = .paused(try PositionEvent(from: decoder))
        case "resumed": event = .resumed(try PositionEvent(from: decoder))
        case "checkpoint": event = .checkpoint(try CheckpointEvent(from: decoder))
        case "genotype":
            let derived = try GenotypeEvent(from: decoder)
            // The dashboard draws its cells, which a derived genotype always is: valid ones.
            do { try derived.genotype.validate() } catch {
                throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "an invalid genotype: \(error)")
            }
            event = .genotype(derived)
        case "finished": event = .finished(try FinishedEvent(from: decoder))
        case "error": event = .error(try ErrorEvent(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown event type '\(type)'")
        }
        // What a search writes, and the dashboard's arithmetic relies on (global steps, progress, the
        // reduction epochs): a clock since the start, and epoch and step numbers that fit 32 bits.
        guard t.isFinite, t >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .t, in: container, debugDescription: "time \(t) is not seconds since the start")
        }
        if let number = event.epochsAndSteps.first(where: { !(0...Int(Int32.max)).contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container,
                                                   debugDescription: "epoch or step number \(number) is out of range 0...\(Int32.max)")
        }
    }
}

extension SearchEvent {
    /// The event's epoch and step numbers and counts (with those of a run's configuration).
    fileprivate var epochsAndSteps: [Int] {
        switch self {
        case .runStarted(let event):
            let configuration = event.configuration
            return [event.stepsPerEpoch, configuration.epochs, configuration.warmupEpochs, configuration.reductionInterval]
                + (event.resumedFromEpoch.map { [$0] } ?? [])
        case .step(let event): return [event.epoch, event.epochs, event.step, event.stepsPerEpoch]
        case .epoch(let event): return [event.epoch, event.epochs]
        case .alpha(let event): return [event.epoch, event.step]
        case .kernels(let event): return [event.epoch]
        case .reduction(let event): return [event.epoch, event.index]
        case .veto(let event): return [event.epoch, event.step]
        case .paused(let event), .resumed(let event): return [event.epoch, event.step]
        case .checkpoint(let event): return [event.epoch, event.step]
        case .finished(let event): return [event.epochs]
        case .genotype, .error: return []
        }
    }
}

/// The encoder and decoder every bnas JSON file of a search uses (events, config, checkpoint header).
/// Non-finite numbers are written as the strings "nan", "inf" and "-inf" (JSON has no literal for them).
public enum SearchJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

public enum EventLogError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, line: Int, reason: String)
    case empty(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .malformed(let path, let line, let reason): return "\(path) line \(line) is not a bnas event: \(reason)"
        case .empty(let path): return "\(path) holds no events: is it the events.jsonl of a bnas search?"
        }
    }
}

/// `events.jsonl`: appended one flushed line per event while a search runs, read back whole by replay.
public final class EventLog {
    private let handle: FileHandle
    private let encoder = SearchJSON.encoder()
    public let url: URL

    /// Opens `url` for appending, creating it if needed (a resumed search appends to its old log).
    public init(appendingTo url: URL) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw EventLogError.unreadable(path: url.path, reason: "cannot create the file")
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw EventLogError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    deinit { try? handle.close() }

    /// Writes one line and hands it to the kernel before returning (a crash loses no written event).
    public func append(_ record: EventRecord) throws {
        var line = try encoder.encode(record)
        line.append(0x0A)
        try handle.write(contentsOf: line)
    }

    /// Every event of a log, in order. A truncated last line (a search killed while writing) is
    /// skipped; any other line that does not parse is an error naming the line.
    public static func read(_ url: URL) throws -> [EventRecord] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EventLogError.unreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    /// The events of a log whose bytes are `data`, checked as `read` checks them; `path` names it in errors.
    public static func parse(_ data: Data, path: String) throws -> [EventRecord] {
        let decoder = SearchJSON.decoder()
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        var records: [EventRecord] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            do {
                records.append(try decoder.decode(EventRecord.self, from: Data(line)))
            } catch {
                let isUnterminatedLast = index == lines.count - 1
                if isUnterminatedLast { break }
                throw EventLogError.malformed(path: path, line: index + 1, reason: JSONErrorReason.describe(error))
            }
        }
        guard !records.isEmpty else { throw EventLogError.empty(path: path) }
        return records
    }

}
