import Foundation
import Network
import Search
import Testing
@testable import Experiments

/// The runner on the tiny synthetic recipe: a whole `compare` experiment (three searches, ten trainings).
@Suite(.serialized) struct ExperimentRunnerTests {
    /// `compare` run straight through once, shared by the tests that compare against it.
    static let straight = Result { () throws -> URL in
        let root = Tiny.temporaryRoot()
        let observer = RecordingObserver()
        let runner = ExperimentRunner(plan: ExperimentPlan(kind: .compare, recipe: Tiny.recipe, root: root), root: root,
                                      tables: Tiny.tables(root), observer: observer)
        guard try runner.run() == .finished else { throw ExperimentError("the straight run did not finish") }
        return root
    }

    static func runner(_ root: URL, _ kind: ExperimentKind = .compare, observer: RecordingObserver = RecordingObserver()) -> ExperimentRunner {
        let runner = ExperimentRunner(plan: ExperimentPlan(kind: kind, recipe: Tiny.recipe, root: root), root: root,
                                      tables: Tiny.tables(root), observer: observer)
        observer.runner = runner
        return runner
    }

    /// What the runs computed (accuracies, losses, parameter counts, model sizes), without the clock's numbers.
    static func computed(_ root: URL) throws -> [String: [Double]] {
        var computed: [String: [Double]] = [:]
        for (name, measured) in runner(root).measurements().trainings {
            let results = try JSONDecoder().decode(TrainingResults.self, from: Data(contentsOf: root.appendingPathComponent("\(name)/results.json")))
            computed[name] = [measured.testAccuracy, results.testLoss, Double(measured.binaryParameters), Double(measured.floatParameters),
                              Double(measured.modelFileBytes)] + results.epochs.map(\.trainLoss)
        }
        return computed
    }

    @Test func aFinishedExperimentIsReusedAndRunsNothing() throws {
        let root = try Self.straight.get()
        let plan = ExperimentPlan(kind: .compare, recipe: Tiny.recipe, root: root)
        #expect(Self.runner(root).statuses().map(\.status) == Array(repeating: .done, count: plan.runs.count))
        let table = plan.tableFile(.compare, root: Tiny.tables(root))
        let markdown = try String(contentsOf: table.appendingPathExtension("md"), encoding: .utf8)
        #expect(!markdown.contains("pending"))
        #expect(try String(contentsOf: table.appendingPathExtension("csv"), encoding: .utf8).split(separator: "\n").count == 1 + 11)

        let observer = RecordingObserver()
        #expect(try Self.runner(root, observer: observer).run() == .finished)
        #expect(observer.started.isEmpty)
        #expect(observer.reused == plan.runs.map(\.name))
        #expect(try String(contentsOf: table.appendingPathExtension("md"), encoding: .utf8) == markdown)
    }

    /// Stopped in the middle of the search, after two runs, and in the middle of a training, the
    /// experiment continues each time where it stopped and ends with the numbers of a straight run.
    @Test func aStoppedExperimentContinuesToTheSameNumbers() throws {
        let straight = try Self.straight.get()
        let root = Tiny.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let search = "exp-tiny-synthetic-search-react-seed-3"
        let (trained, second) = ("exp-tiny-synthetic-train-react-searched-seed-3", "exp-tiny-synthetic-search-react-seed-4")
        let secondTrained = "exp-tiny-synthetic-train-react-searched-seed-4"

        let first = RecordingObserver()
        first.stopAtSearchStep = 3
        #expect(try Self.runner(root, observer: first).run() == .stopped(run: search))
        #expect(Self.runner(root).statuses().map(\.status.label).prefix(2) == ["partial (1 of 2 epochs)", "todo"])
        let pending = try String(contentsOf: Tiny.tables(root).appendingPathComponent("exp-tiny-synthetic-compare.md"), encoding: .utf8)
        #expect(pending.contains("| random:1 | random | pending | | | | | | – | `exp-tiny-synthetic-train-react-random-1` |"))

        let afterTwo = RecordingObserver()
        afterTwo.stopAfterRuns = 2
        #expect(try Self.runner(root, observer: afterTwo).run() == .stopped(run: second))
        #expect(afterTwo.started == [search, trained])
        #expect(try Data(contentsOf: root.appendingPathComponent("\(search)/genotype.json"))
                == Data(contentsOf: straight.appendingPathComponent("\(search)/genotype.json")))

        let third = RecordingObserver()
        third.stopAtTrainingStep = 3
        #expect(try Self.runner(root, observer: third).run() == .stopped(run: secondTrained))
        #expect(third.reused == [search, trained] && third.started == [second, secondTrained])
        #expect(Self.runner(root).statuses()[3].status == .partial("0 epochs trained"))

        let last = RecordingObserver()
        #expect(try Self.runner(root, observer: last).run() == .finished)
        #expect(last.started.first == secondTrained)
        #expect(last.started.count == 11)
        #expect(last.warnings.isEmpty)
        let expected = try Self.computed(straight)
        #expect(expected.count == 11)
        #expect(try Self.computed(root) == expected)
    }

    /// The tiny binarization experiment runs every row (the distilled ones after the row that
    /// teaches them), each flavour row with its flavour, and its tables hold every row.
    @Test func theBinarizationExperimentRunsEveryRow() throws {
        let root = Tiny.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let observer = RecordingObserver()
        let runner = Self.runner(root, .binarization, observer: observer)
        #expect(try runner.run() == .finished)
        #expect(observer.started == runner.plan.runs.map(\.name))
        #expect(observer.warnings.isEmpty)
        func trained(_ variant: String) throws -> TrainingConfiguration {
            try JSONDecoder().decode(TrainingConfiguration.self, from: Data(contentsOf:
                root.appendingPathComponent("exp-tiny-synthetic-train-searched-bnn-\(variant)/config.json")))
        }
        let teacher = root.appendingPathComponent("exp-tiny-synthetic-train-searched-bnn-float")
        let distilled = try trained("distill")
        #expect(distilled.teacher == teacher.path && distilled.binarize == "xnor")
        #expect(try trained("thresholds").binarization.thresholds && trained("shortcuts").binarization.shortcuts)
        #expect(try trained("all").binarization == .react)
        #expect(runner.statuses().allSatisfy { $0.status == .done })

        let table = Tiny.tables(root).appendingPathComponent("exp-tiny-synthetic-binarization")
        let markdown = try String(contentsOf: table.appendingPathExtension("md"), encoding: .utf8)
        #expect(markdown.contains("| + real-valued shortcuts (--shortcuts on) | ablation | "))
        #expect(!markdown.contains("pending"))
        #expect(markdown.contains("- full precision − best binarized row (the binarization gap): "))
        let report = ExperimentReport(plan: runner.plan, table: .binarization, measurements: runner.measurements())
        let best = try #require(report.bestBinarizedGap.flatMap { report.training($0.row.key)?.testAccuracy })
        #expect(report.targets.first == .init(target: "best binarized row ≥ 90.0% (1-bit weights and activations)",
                                              measured: ExperimentReport.percent(best), met: best >= 0.9))
        let csv = try String(contentsOf: table.appendingPathExtension("csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 1 + 8 && csv.dropFirst().allSatisfy { $0.contains(",done,") })
    }

    /// A run folder that holds another configuration, or no configuration at all, is refused before
    /// anything runs, and left as it was.
    @Test func aFolderOfAnotherConfigurationIsRefusedAndLeftAlone() throws {
        let root = Tiny.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let plan = ExperimentPlan(kind: .compare, recipe: Tiny.recipe, root: root)
        guard case .train(var configuration, _) = plan.run(named: "exp-tiny-synthetic-train-react-random-2")?.work else { return }
        configuration.epochs = 3
        let folder = root.appendingPathComponent("exp-tiny-synthetic-train-react-random-2")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let written = try JSONEncoder().encode(configuration)
        try written.write(to: folder.appendingPathComponent("config.json"))

        let observer = RecordingObserver()
        #expect {
            try Self.runner(root, observer: observer).run()
        } throws: { error in
            "\(error)" == "\(folder.path) was run with another configuration (epochs 3, not 2): move it away or pick the other size"
        }
        #expect(observer.started.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["exp-tiny-synthetic-train-react-random-2"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["config.json"])
        #expect(try Data(contentsOf: folder.appendingPathComponent("config.json")) == written)

        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        let status = Self.runner(root).statuses().first { $0.run.name == folder.lastPathComponent }?.status
        #expect(status == .refused("\(folder.path) exists but has no config.json: move it away, this experiment will not overwrite it"))
        #expect(throws: ExperimentError.self) { try Self.runner(root).run() }
    }
}
