import Foundation
import Network
import Testing
@testable import Search

/// A whole search through its session: commands, events, files, resume, failures.
@Suite(.serialized) struct SearchSessionTests {
    static func floatConfiguration(epochs: Int = 3) -> SearchConfiguration {
        var configuration = tinyConfiguration(epochs: epochs)
        configuration.binarize = .none
        return configuration
    }

    static func metricsWithoutTimes(_ folder: RunFolder) throws -> [String] {
        try String(contentsOf: folder.file("metrics.csv"), encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",") }
    }

    @Test func pauseVetoResumeAndStopAreTakenBetweenSteps() throws {
        let root = try temporaryDirectory("session")
        defer { try? FileManager.default.removeItem(at: root) }
        let session = try SearchSession.create(configuration: Self.floatConfiguration(epochs: 3), runName: "flow", root: root)
        let collector = EventCollector()
        let pausedSignal = DispatchSemaphore(value: 0)
        session.send(.pause)
        session.start { record in
            collector.append(record)
            if case .paused = record.event { pausedSignal.signal() }
        }
        #expect(pausedSignal.wait(timeout: .now() + 120) == .success)
        let stepsWhenPaused = collector.events.filter { if case .step = $0 { return true } else { return false } }.count
        let vetoed = OperationRef(cell: .normal, edge: 0, operation: .sepConv3x3)
        session.send(.veto(vetoed))
        session.send(.veto(vetoed))
        session.send(.veto(OperationRef(cell: .reduce, edge: 20, operation: .none)))
        session.send(.checkpoint)
        Thread.sleep(forTimeInterval: 0.3)
        // Paused: no step has run since.
        #expect(collector.events.filter { if case .step = $0 { return true } else { return false } }.count == stepsWhenPaused)
        session.send(.resume)
        session.send(.stop)
        guard case .stopped(let genotype) = session.waitUntilFinished() else {
            Issue.record("the search did not stop: \(collector.events.last.map { "\($0)" } ?? "")")
            return
        }
        let vetoes = collector.events.compactMap { event -> VetoEvent? in if case .veto(let v) = event { return v } else { return nil } }
        #expect(vetoes.count == 3)
        #expect(vetoes[0].accepted && vetoes[0].operation == vetoed)
        #expect(!vetoes[1].accepted && vetoes[1].reason?.contains("already gone (vetoed)") == true)
        #expect(!vetoes[2].accepted && vetoes[2].reason?.contains("no edge 20") == true)
        let reasons = collector.events.compactMap { event -> CheckpointReason? in if case .checkpoint(let c) = event { return c.reason } else { return nil } }
        #expect(reasons == [.start, .pause, .request, .stop])
        #expect(collector.events.contains(.resumed(PositionEvent(epoch: 1, step: 1))))
        if case .finished(let finished) = collector.events.last { #expect(finished.stopped) } else { Issue.record("last event is not finished") }
        // The vetoed op is gone from the alpha tables that follow, and from the checkpoint.
        let lastAlpha = collector.events.compactMap { event -> AlphaEvent? in if case .alpha(let a) = event { return a } else { return nil } }.last
        #expect(lastAlpha?.normal[0][OperationKind.sepConv3x3.index] == nil)
        let (checkpoint, _) = try SearchCheckpoint.readLatest(from: session.folder)
        #expect(checkpoint.header.state.vetoes == [vetoed])
        // Files of a stopped search: the genotype of that moment, and the log matches what was sent.
        #expect(try Genotype(jsonData: Data(contentsOf: session.folder.file("genotype.json"))) == genotype)
        #expect(try EventLog.read(session.folder.file("events.jsonl")) == collector.records)
        for name in ["config.json", "genotype.py", "normal.dot", "reduce.dot", "checkpoint", "checkpoint.previous"] {
            #expect(FileManager.default.fileExists(atPath: session.folder.file(name).path), "\(name)")
        }
    }

    /// A search stopped mid-epoch and resumed reports the same per-epoch metrics and genotype as
    /// one that ran straight through (the SIGKILL variant is in BNASCommandTests).
    @Test func aSearchStoppedMidEpochAndResumedMatchesAnUninterruptedOne() throws {
        let root = try temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(at: root) }
        let configuration = Self.floatConfiguration(epochs: 3)
        let straight = try SearchSession.create(configuration: configuration, runName: "straight", root: root)
        straight.start { _ in }
        guard case .finished(let expected) = straight.waitUntilFinished() else { Issue.record("straight run failed"); return }

        let interrupted = try SearchSession.create(configuration: configuration, runName: "interrupted", root: root)
        interrupted.start { [interrupted] record in
            if case .step(let step) = record.event, step.epoch == 2, step.step == 1 { interrupted.send(.stop) }
        }
        guard case .stopped = interrupted.waitUntilFinished() else { Issue.record("interrupted run did not stop"); return }
        let resumed = try SearchSession.resume(run: interrupted.folder.url.path)
        #expect(resumed.resumedFromEpoch == 1)
        resumed.start { _ in }
        guard case .finished(let genotype) = resumed.waitUntilFinished() else { Issue.record("resumed run failed"); return }
        #expect(genotype == expected)
        #expect(try Self.metricsWithoutTimes(resumed.folder) == Self.metricsWithoutTimes(straight.folder))
        #expect(throws: CheckpointFileError.self) { try SearchSession.resume(run: resumed.folder.url.path) }
    }

    /// `vetoes`: when the warm-up ends, one veto command per op on every edge of both cells goes
    /// through the session as the dashboard's would, all accepted before the next step; the
    /// genotype has none of them, and a search resumed after them neither loses nor resends them.
    @Test(arguments: [0, 1])
    func scriptedVetoesRemoveTheirOperationsWhenTheWarmUpEnds(warmup: Int) throws {
        let root = try temporaryDirectory("vetoes")
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = tinyConfiguration(epochs: 3, warmup: warmup)
        configuration.binarize = .none
        configuration.vetoes = [.maxPool3x3, .skipConnect]
        let straight = try SearchSession.create(configuration: configuration, runName: "straight", root: root)
        let collector = EventCollector()
        straight.start { collector.append($0) }
        guard case .finished(let expected) = straight.waitUntilFinished() else { Issue.record("the search failed"); return }
        let events = collector.records.map(\.event)
        let vetoes = events.compactMap { event -> VetoEvent? in if case .veto(let veto) = event { return veto } else { return nil } }
        #expect(vetoes.count == 2 * CellTopology.edgeCount * 2)
        #expect(vetoes.allSatisfy { $0.accepted && $0.epoch == warmup && $0.step == 0 })
        #expect(Set(vetoes.map(\.operation.operation)) == [.maxPool3x3, .skipConnect])
        let firstVeto = try #require(events.firstIndex { if case .veto = $0 { return true } else { return false } })
        let firstSearchStep = try #require(events.firstIndex { if case .step(let step) = $0 { return step.epoch == warmup + 1 } else { return false } })
        #expect(firstVeto < firstSearchStep)
        let operations = (expected.normal + expected.reduce).map(\.operation)
        #expect(!operations.contains(.maxPool3x3) && !operations.contains(.skipConnect))

        let interrupted = try SearchSession.create(configuration: configuration, runName: "interrupted", root: root)
        interrupted.start { [interrupted] record in
            if case .step(let step) = record.event, step.epoch == 3, step.step == 1 { interrupted.send(.stop) }
        }
        guard case .stopped = interrupted.waitUntilFinished() else { Issue.record("the interrupted search did not stop"); return }
        let resumed = try SearchSession.resume(run: interrupted.folder.url.path)
        let after = EventCollector()
        resumed.start { after.append($0) }
        guard case .finished(let genotype) = resumed.waitUntilFinished() else { Issue.record("the resumed search failed"); return }
        #expect(!after.records.contains { if case .veto = $0.event { return true } else { return false } })
        #expect(genotype == expected)
    }

    @Test func aDivergingLossStopsWithAnErrorAndKeepsTheLastGoodCheckpoint() throws {
        let root = try temporaryDirectory("nan")
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = Self.floatConfiguration(epochs: 2)
        configuration.learningRate = 1e30
        configuration.gradientClip = 1e30
        let session = try SearchSession.create(configuration: configuration, runName: "nan", root: root)
        let collector = EventCollector()
        session.start { collector.append($0) }
        guard case .failed(let message) = session.waitUntilFinished() else { Issue.record("the search did not fail"); return }
        #expect(message.contains("the loss became"))
        #expect(message.contains("last good state"))
        #expect(collector.events.last == .error(ErrorEvent(message: message)))
        let (checkpoint, _) = try SearchCheckpoint.readLatest(from: session.folder)
        #expect(checkpoint.floats.allSatisfy { $0.isFinite })
        #expect(!FileManager.default.fileExists(atPath: session.folder.file("genotype.json").path))
    }

    @Test func impossibleSettingsAreRefusedBeforeAnythingIsWritten() throws {
        let root = try temporaryDirectory("refuse")
        defer { try? FileManager.default.removeItem(at: root) }
        var bad = Self.floatConfiguration()
        bad.partialK = 3
        #expect(throws: SearchConfigurationError.self) { try SearchSession.create(configuration: bad, runName: "k", root: root) }
        bad = Self.floatConfiguration()
        bad.epochs = 0
        #expect(throws: SearchConfigurationError.self) { try SearchSession.create(configuration: bad, runName: "e", root: root) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }
}
