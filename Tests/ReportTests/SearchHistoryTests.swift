import Benchmarks
import Foundation
import Network
@testable import Report
@testable import Search
import Testing

/// How the report reads a search's events: positions in epochs, a resume's replayed steps, the outcome.
struct SearchHistoryTests {
    @Test func positionsCountStepsAndTheEndOfAnEpochIsStepZero() {
        #expect(SearchPosition.globalStep(epoch: 0, step: 0, stepsPerEpoch: 156) == 0)
        #expect(SearchPosition.globalStep(epoch: 7, step: 20, stepsPerEpoch: 156) == 6 * 156 + 20)
        #expect(SearchPosition.globalStep(epoch: 7, step: 0, stepsPerEpoch: 156) == 7 * 156)
        #expect(SearchPosition.globalStep(epoch: 7, step: 156, stepsPerEpoch: 156) == 7 * 156)
    }

    /// A search interrupted in epoch 4 and resumed from its checkpoint after epoch 3 reads as the search
    /// that ran straight through: the steps it did twice count once.
    @Test func aResumedSearchReadsAsAnUninterruptedOne() throws {
        let straight = try SampleRun.records(epochs: 6, warmupEpochs: 1, stepsPerEpoch: 10)
        func isStep(_ record: EventRecord, epoch: Int, step: Int) -> Bool {
            if case .step(let event) = record.event { return event.epoch == epoch && event.step == step }
            return false
        }
        let firstOfEpoch4 = try #require(straight.firstIndex { isStep($0, epoch: 4, step: 1) })
        let interruption = try #require(straight.firstIndex { isStep($0, epoch: 4, step: 7) })
        guard case .runStarted(var started) = straight[0].event else { Issue.record("no run_started first"); return }
        started.resumedFromEpoch = 3
        let checkpointTime = straight[firstOfEpoch4 - 1].t
        let resumed = Array(straight[..<firstOfEpoch4])
            + [SampleFolder.record(checkpointTime, .checkpoint(CheckpointEvent(epoch: 3, step: 0, reason: .epoch, file: "checkpoint")))]
            + Array(straight[firstOfEpoch4...interruption])
            + [SampleFolder.record(checkpointTime, .runStarted(started))]
            + Array(straight[firstOfEpoch4...])
        let expected = SearchHistory(records: straight), history = SearchHistory(records: resumed)
        #expect(history.steps.count == 60 && history.steps == expected.steps)
        #expect(history.epochs == expected.epochs)
        #expect(history.alphas.map(\.position) == expected.alphas.map(\.position))
        #expect(history.reductions == expected.reductions && history.vetoes == expected.vetoes)
        #expect(history.kernels.map(\.time) == expected.kernels.map(\.time))
        #expect(history.resumes == [3])
        #expect(history.outcome.hasSuffix("; resumed after epoch 3"), "\(history.outcome)")
    }

    @Test func theOutcomeSaysHowTheSearchEndedOrWhereItStands() throws {
        let records = try SampleRun.records(epochs: 3, warmupEpochs: 1, stepsPerEpoch: 10)
        let running = SearchHistory(records: records)
        #expect(running.outcome == "not finished (still running, or killed): the last event is at 15.0 s, epoch 3, step 10 of 10")
        #expect(SearchHistory(records: records + [try SampleRun.finished(t: 3725, epochs: 3, stopped: false)]).outcome
                == "finished all 3 epochs in 1 h 2 min 5 s")
        #expect(SearchHistory(records: records + [try SampleRun.finished(t: 75, epochs: 2, stopped: true)]).outcome
                == "stopped by the user after 2 of 3 epochs in 1 min 15 s")
        let failed = records + [SampleFolder.record(20, .error(ErrorEvent(message: "the loss became NaN")))]
        #expect(SearchHistory(records: failed).outcome == "failed: the loss became NaN")
    }

    /// alpha·beta per op and edge on an axis in epochs; a vetoed op's line ends with the veto.
    @Test func alphaTimesBetaFollowsEachOperationUntilItIsGone() throws {
        let records = try SampleRun.records(epochs: 4, warmupEpochs: 1, stepsPerEpoch: 10)
        let history = SearchHistory(records: records)
        let vetoed = history.alphaBeta(cell: .normal, edge: 4, operation: .maxPool3x3)
        let samples = history.alphas
        #expect(vetoed.map(\.x) == samples.map { Double($0.position) / 10 })
        let first = try #require(samples.first?.event)
        #expect(vetoed.first?.y == first.normal[4][OperationKind.maxPool3x3.index].map { $0 * first.betaNormal[4] })
        // The veto comes at the end of epoch 3 (SampleRun: warm-up + 2); from then on the op is gone.
        let vetoPosition = try #require(history.vetoes.first { $0.accepted }).epoch
        #expect(vetoed.filter { $0.x < Double(vetoPosition) }.allSatisfy { $0.y != nil })
        #expect(vetoed.last?.y == nil)
        let derived = history.derivedEdges(.normal)
        #expect(derived.map(\.node) == [0, 0, 1, 1, 2, 2, 3, 3])
    }
}
