import Foundation
import Testing
@testable import Dashboard
@testable import Network
@testable import Search

/// Inputs a fuzz target once crashed on (fuzz/regressions/TARGET/, as the product read them), fed to
/// the entry point that target feeds: each is now refused with the file's typed error and its reason.
struct FuzzRegressionTests {
    static func input(_ name: String) throws -> Data {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try Data(contentsOf: root.appendingPathComponent("fuzz/regressions/\(name)"))
    }

    /// A 4.5 KB model of a 3-cell C = 2 network whose header says 100 000 000 classes: building its
    /// classifier took a 6.4 GB allocation. The shape needs 2e8 weights; the tensors hold 944 values.
    @Test func aModelDeclaringMoreWeightsThanItHoldsIsRefusedBeforeBuilding() throws {
        #expect(throws: ModelFileError.malformedHeader("model.bnn", "its shape needs at least 200000066 weights, its tensors hold 944 values")) {
            try ModelFile.decode(try Self.input("model/huge-classes.bnn"), path: "model.bnn")
        }
    }

    /// A training checkpoint whose history listed epoch 9223372036854775807 first: writing its
    /// metrics.csv line (epoch + 1) overflowed. The history must be the finished epochs in order.
    @Test func aTrainingCheckpointWithAHistoryOutOfOrderIsRefused() throws {
        let path = "runs/fuzz/checkpoint"
        #expect(throws: CheckpointFileError.damaged(path, "its history lists epoch 9223372036854775807 where epoch 0 belongs")) {
            let file = try CheckpointFile(data: try Self.input("checkpoint-training/history-epoch-int-max.checkpoint"),
                                          magic: TrainingSession.checkpointMagic, path: path)
            let (header, floats) = try TrainingSession.decodeCheckpoint(file, path: path)
            _ = try TrainingSession.restoredTrainer(header: header, floats: floats, configuration: header.configuration, path: path)
        }
    }

    /// events.jsonl whose run_started carries reductionInterval 0: the dashboard divided by it when the
    /// next epoch event asked whether a reduction follows.
    @Test func anEventLogOfAnUnrunnableConfigurationIsRefusedAtItsLine() throws {
        let data = try Self.input("events/reduction-interval-zero.jsonl")
        #expect(throws: EventLogError.malformed(path: "events.jsonl", line: 1, reason:
            "a configuration no search runs: --reduction-interval must be at least 1, got 0")) {
            try EventLog.parse(data, path: "events.jsonl")
        }
    }

    /// Replays a log as `bnas replay` does (the events target's path): checked, folded into the
    /// dashboard's state at full speed, drawn as the panels at 120x36 and the inspect view at 80x24.
    static func replay(_ data: Data) throws -> [CellGrid] {
        let player = try ReplayPlayer(log: data, path: "events.jsonl", speed: nil)
        var state = DashboardState(runName: "fuzz")
        var view = ViewState(context: .replay)
        for record in player.due(now: 0) {
            state.apply(record)
            view.note(record.event)
        }
        let panels = DashboardRenderer.render(state: state, view: view, theme: .terminalDefault,
                                              size: GridSize(width: 120, height: 36), elapsed: state.elapsed)
        view.mode = .inspect
        let inspect = DashboardRenderer.render(state: state, view: view, theme: .terminalDefault,
                                               size: GridSize(width: 80, height: 24), elapsed: state.elapsed)
        return [panels, inspect]
    }

    /// Epoch and step numbers past 32 bits overflowed what the dashboard computes from them: the progress
    /// (epoch 9223372036854775806), the epoch before an epoch of -9223372036854775808 (that log's
    /// stepsPerEpoch of Int.max on line 4 is refused first), the epoch of the first reduction (a
    /// reduction interval of Int.max).
    @Test(arguments: [
        ("epoch-out-of-range.jsonl", 8, "epoch or step number 9223372036854775806 is out of range 0...2147483647"),
        ("negative-epoch.jsonl", 4, "epoch or step number 9223372036854775807 is out of range 0...2147483647"),
        ("huge-reduction-interval.jsonl", 1, "epoch or step number 9223372036854775807 is out of range 0...2147483647"),
    ])
    func eventsWithNumbersNoSearchWritesAreRefusedAtTheirLine(name: String, line: Int, reason: String) throws {
        let data = try Self.input("events/\(name)")
        #expect(throws: EventLogError.malformed(path: "events.jsonl", line: line, reason: reason)) {
            try EventLog.parse(data, path: "events.jsonl")
        }
    }

    /// A genotype event whose edge reads input -9223372036854775808: naming that input overflowed.
    @Test func aGenotypeEventOfAnInvalidGenotypeIsRefusedAtItsLine() throws {
        let data = try Self.input("events/genotype-input-int-min.jsonl")
        #expect(throws: EventLogError.malformed(path: "events.jsonl", line: 2, reason:
            "an invalid genotype: normal cell: node 0 takes input -9223372036854775808, but only inputs 0..1 exist")) {
            try EventLog.parse(data, path: "events.jsonl")
        }
    }

    /// An accepted veto of edge -9223372036854775808: the dashboard's note naming that edge overflowed.
    /// Such a veto is refused at its line; a refused one (a search writes what it was asked) replays,
    /// its edge named by number.
    @Test func aVetoOfAnEdgeNoCellHasIsRefusedOrNamedByNumber() throws {
        let data = try Self.input("events/veto-edge-int-min.jsonl")
        #expect(throws: EventLogError.malformed(path: "events.jsonl", line: 3, reason:
            "an accepted veto of an operation no cell has: normal edge -9223372036854775808 max_pool_3x3")) {
            try EventLog.parse(data, path: "events.jsonl")
        }
        let refused = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"accepted\":true", with: "\"accepted\":false")
        _ = try Self.replay(Data(refused.utf8))
        #expect(CellTopology.label(of: Int.min) == "edge -9223372036854775808" && CellTopology.label(of: 14) == "edge 14")
        #expect(CellTopology.label(of: 13) == "n2→n3" && CellTopology.label(of: 0) == "c-2→n0")
    }

    /// A clock of 1e300 s did not fit the Int of m:ss; the status bar now shows it as unknown.
    @Test func aTimeTooLargeToShowIsShownAsUnknown() throws {
        let frames = try Self.replay(try Self.input("events/time-1e300.jsonl"))
        #expect(frames[0].row(35).contains("--:--"), "\(frames[0].row(35))")
        #expect(Format.duration(1e300) == "--:--" && Format.duration(3725) == "1:02:05")
    }

    /// An accuracy of 1e300 put its dot far outside the chart (an Int conversion of -3e301), a negative
    /// loss made the loss chart's range run backwards: points off the chart are drawn at its edge.
    @Test(arguments: ["accuracy-1e300.jsonl", "negative-loss.jsonl"])
    func valuesOffTheChartAreDrawnAtItsEdge(name: String) throws {
        let frames = try Self.replay(try Self.input("events/\(name)"))
        #expect(frames[0].text.contains("loss  ━ train"), "the curves panel is drawn")
    }
}
