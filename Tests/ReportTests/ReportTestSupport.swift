import Benchmarks
import Foundation
import Network
@testable import Search

/// A run folder holding a synthetic search's files (`SampleRun`'s events, its config.json and the cells of
/// the PC-DARTS genotype as .dot files), in a temporary directory.
enum SampleFolder {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `records` as the lines of events.jsonl.
    static func log(_ records: [EventRecord]) throws -> Data {
        let encoder = SearchJSON.encoder()
        var data = Data()
        for record in records {
            data.append(try encoder.encode(record))
            data.append(0x0A)
        }
        return data
    }

    /// runs/sample under a new temporary directory, with `records` (SampleRun's 20 epochs by default).
    static func make(records: [EventRecord]? = nil) throws -> URL {
        let folder = try temporaryDirectory().appendingPathComponent("runs/sample")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let events = try records ?? SampleRun.records()
        try log(events).write(to: folder.appendingPathComponent("events.jsonl"))
        if case .runStarted(let started) = events.first?.event {
            try SearchJSON.encoder(pretty: true).encode(started.configuration).write(to: folder.appendingPathComponent("config.json"))
        }
        for cell in CellType.allCases {
            try Data(Genotype.pcDarts.dot(cell).utf8).write(to: folder.appendingPathComponent("\(cell.rawValue).dot"))
        }
        return folder
    }

    /// An event from its payload.
    static func record(_ t: Double, _ event: SearchEvent) -> EventRecord { EventRecord(t: t, event: event) }
}
