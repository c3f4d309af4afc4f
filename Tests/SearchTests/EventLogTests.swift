import Foundation
import Network
import Testing
@testable import Search

/// Events go to events.jsonl as one JSON object a line and parse back unchanged (schema in docs/design.md#events).
struct EventLogTests {
    static func table(_ seed: Double) -> [[Double?]] {
        var rows: [[Double?]] = []
        for edge in 0..<14 {
            var row: [Double?] = []
            for op in 0..<8 {
                let removed = op == 2 && edge % 3 == 0
                row.append(removed ? nil : seed + Double(edge * 8 + op) / 1000)
            }
            rows.append(row)
        }
        return rows
    }

    static let sampleEvents: [SearchEvent] = {
        var configuration = SearchConfiguration()
        configuration.dataset = "synthetic"
        let genotype = Genotype.pcDarts
        return [
            .runStarted(RunStartedEvent(configuration: configuration, operations: OperationKind.allCases.map(\.rawValue),
                                        dataset: "synthetic", trainImages: 100, validationImages: 100, imageChannels: 1,
                                        imageSize: 16, classes: 10, stepsPerEpoch: 3, supernetParameters: 1234, resumedFromEpoch: nil)),
            .step(StepEvent(epoch: 1, epochs: 2, step: 1, stepsPerEpoch: 3, phase: .warmup, trainLoss: 2.3, trainAccuracy: 0.1,
                            validationLoss: nil, validationAccuracy: nil, learningRate: 0.1, imagesPerSecond: 250)),
            .epoch(EpochEvent(epoch: 2, epochs: 2, phase: .search, trainLoss: 1.5, trainAccuracy: 0.4, validationLoss: 1.6,
                              validationAccuracy: 0.38, learningRate: 0.05, seconds: 3.5, imagesPerSecond: 200, survivingOperations: 196)),
            .alpha(AlphaEvent(epoch: 2, step: 3, normal: table(0.1), reduce: table(0.2), betaNormal: Array(repeating: 0.5, count: 14),
                              betaReduce: Array(repeating: 0.25, count: 14))),
            .kernels(KernelsEvent(epoch: 2, binaryMACsPerSecond: 4e11, floatFLOPsPerSecond: 3e10, binaryMACs: 1 << 40, floatFLOPs: 1 << 33,
                                  latencies: [OperationLatency(operation: .sepConv3x3, bitMilliseconds: 0.5, floatMilliseconds: 2.5)],
                                  latencyChannels: 64, latencySize: 14, latencyBatch: 1)),
            .reduction(ReductionEvent(epoch: 2, index: 1, policy: .performance, normalScores: table(0.3), reduceScores: table(0.4),
                                      removed: [OperationRef(cell: .normal, edge: 3, operation: .avgPool3x3)], seconds: 0.7)),
            .veto(VetoEvent(operation: OperationRef(cell: .reduce, edge: 13, operation: .dilConv5x5), accepted: false,
                            reason: "the last operation of an edge cannot be vetoed", epoch: 2, step: 1)),
            .paused(PositionEvent(epoch: 2, step: 1)),
            .resumed(PositionEvent(epoch: 2, step: 1)),
            .checkpoint(CheckpointEvent(epoch: 2, step: 0, reason: .epoch, file: "checkpoint")),
            .genotype(GenotypeEvent(genotype: genotype, darts: genotype.dartsText(name: "bnas"))),
            .finished(FinishedEvent(epochs: 2, seconds: 9.5, stopped: false)),
            .error(ErrorEvent(message: "the loss became NaN in epoch 2")),
        ]
    }()

    @Test func everyEventTypeRoundTripsThroughTheLog() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-events-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("events.jsonl")
        let records = Self.sampleEvents.enumerated().map { EventRecord(t: Double($0.offset) * 0.25, event: $0.element) }
        let log = try EventLog(appendingTo: url)
        for record in records { try log.append(record) }
        #expect(try EventLog.read(url) == records)

        // Each line is a JSON object with "type" and "t" (what a pandas user relies on).
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == records.count)
        for (line, record) in zip(lines, records) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["type"] as? String == record.event.type)
            #expect(object["t"] as? Double == record.t)
        }
    }

    @Test func alphaTablesKeepRemovedOperationsAsNull() throws {
        let line = try SearchJSON.encoder().encode(EventRecord(t: 1, event: Self.sampleEvents[3]))
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        let normal = try #require(object["normal"] as? [[Any]])
        #expect(normal.count == 14 && normal.allSatisfy { $0.count == 8 })
        #expect(normal[0][2] is NSNull)
        #expect(normal[1][2] as? Double == 0.1 + 10.0 / 1000)
    }

    @Test func aTruncatedLastLineIsSkippedButAMalformedLineIsAnError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-events-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("events.jsonl")
        let good = try SearchJSON.encoder().encode(EventRecord(t: 0, event: Self.sampleEvents[1]))
        try (good + Data("\n".utf8) + good.prefix(20)).write(to: url)
        #expect(try EventLog.read(url).count == 1)

        try (good + Data("\n{\"type\":\"warp\",\"t\":1}\n".utf8) + good + Data("\n".utf8)).write(to: url)
        #expect(throws: EventLogError.self) { try EventLog.read(url) }
        do { _ = try EventLog.read(url) } catch {
            #expect("\(error)".contains("line 2"))
            #expect("\(error)".contains("unknown event type 'warp'"))
        }

        try Data().write(to: url)
        #expect(throws: EventLogError.empty(path: url.path)) { try EventLog.read(url) }
    }

    /// The reason is written as the same string it always was, and a reason bnas never writes makes
    /// the line malformed, as any other bad line.
    @Test func checkpointReasonsAreTheirNamesAndAnUnknownOneIsAnError() throws {
        for reason in CheckpointReason.allCases {
            let line = try SearchJSON.encoder().encode(EventRecord(t: 2, event: .checkpoint(CheckpointEvent(epoch: 1, step: 0, reason: reason, file: "checkpoint"))))
            #expect(String(decoding: line, as: UTF8.self)
                    == "{\"epoch\":1,\"file\":\"checkpoint\",\"reason\":\"\(reason.rawValue)\",\"step\":0,\"t\":2,\"type\":\"checkpoint\"}")
        }
        #expect(CheckpointReason.allCases.map(\.rawValue) == ["start", "epoch", "pause", "request", "stop"])

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-events-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("events.jsonl")
        let good = try SearchJSON.encoder().encode(EventRecord(t: 0, event: Self.sampleEvents[1]))
        let unknown = #"{"epoch":1,"file":"checkpoint","reason":"crash","step":0,"t":1,"type":"checkpoint"}"#
        try (good + Data("\n\(unknown)\n".utf8) + good + Data("\n".utf8)).write(to: url)
        #expect(throws: EventLogError.malformed(path: url.path, line: 2, reason: "unknown checkpoint reason 'crash'")) {
            try EventLog.read(url)
        }
    }
}
