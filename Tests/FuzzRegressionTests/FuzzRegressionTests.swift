import Foundation
import Testing
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

    /// events.jsonl whose run_started carries reductionInterval 0: the dashboard divided by it when the
    /// next epoch event asked whether a reduction follows.
    @Test func anEventLogOfAnUnrunnableConfigurationIsRefusedAtItsLine() throws {
        let data = try Self.input("events/reduction-interval-zero.jsonl")
        #expect(throws: EventLogError.malformed(path: "events.jsonl", line: 1, reason:
            "a configuration no search runs: --reduction-interval must be at least 1, got 0")) {
            try EventLog.parse(data, path: "events.jsonl")
        }
    }
}
