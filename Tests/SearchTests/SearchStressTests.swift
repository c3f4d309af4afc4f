import Foundation
import Network
import Testing
@testable import Search

/// Many short searches in one process, each as the dashboard runs one (a session on its own thread,
/// commands sent from another), with a reduction step after every epoch: the performance policy
/// scores sampled sub-networks on the bit path on both cores, the validation passes run the bit
/// kernels, the latency probe runs every epoch and a checkpoint is written after every epoch. A data
/// race in any of it crashes this test now and then in a release build, and is reported every time
/// by the thread-sanitizer build (`make tsan`).
@Suite(.serialized) struct SearchStressTests {
    /// The default search's shapes (C = 8, K = 4, so the preprocessing 1x1s read 24 channels and run
    /// on the XNOR GEMM) on 3 cells and a few synthetic images: one warm-up epoch, then 7 epochs
    /// each followed by a reduction step, which leaves one op per edge.
    static func configuration(seed: UInt64) -> SearchConfiguration {
        var configuration = tinyConfiguration(epochs: 8, warmup: 1, policy: .performance)
        configuration.channels = 8
        configuration.partialK = 4
        configuration.trainSize = 48
        configuration.samplingRounds = 2
        configuration.scoringBatches = 2
        configuration.seed = seed
        return configuration
    }

    static let searches = 8

    @Test func manySearchesWithAReductionEveryEpoch() throws {
        let root = try temporaryDirectory("stress")
        defer { try? FileManager.default.removeItem(at: root) }
        var reductions = 0
        var binaryMACs = 0
        for index in 0..<Self.searches {
            let session = try SearchSession.create(configuration: Self.configuration(seed: UInt64(index)), runName: "stress-\(index)", root: root)
            let collector = EventCollector()
            let started = DispatchSemaphore(value: 0)
            session.start { record in
                collector.append(record)
                if case .step = record.event { started.signal() }
            }
            if index == 0 {
                // The dashboard's keys from another thread while the engine computes: pause, veto, checkpoint, resume.
                #expect(started.wait(timeout: .now() + 300) == .success)
                session.send(.pause)
                session.send(.veto(OperationRef(cell: .normal, edge: 3, operation: .sepConv5x5)))
                session.send(.checkpoint)
                session.send(.resume)
            }
            let outcome = session.waitUntilFinished()
            guard case .finished = outcome else {
                Issue.record("search \(index) did not finish: \(outcome); last event \(collector.events.last.map { "\($0)" } ?? "none")")
                return
            }
            let events = collector.events
            #expect(!events.contains { if case .error = $0 { return true } else { return false } })
            reductions += events.filter { if case .reduction = $0 { return true } else { return false } }.count
            binaryMACs += events.reduce(0) { total, event in
                if case .kernels(let kernels) = event { return total + kernels.binaryMACs } else { return total }
            }
            if index == 0 {
                #expect(events.contains { if case .veto(let veto) = $0 { return veto.accepted } else { return false } })
                #expect(events.contains { if case .kernels(let kernels) = $0 { return !kernels.latencies.isEmpty } else { return false } })
            }
        }
        #expect(reductions >= 50, "\(reductions) reduction steps")
        #expect(binaryMACs > 0, "the bit kernels ran")
    }
}
