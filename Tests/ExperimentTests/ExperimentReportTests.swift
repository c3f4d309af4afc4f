import Foundation
import Datasets
@testable import Network
import Search
import Testing
@testable import Experiments

/// Tables written from fixture run folders (config.json, results.json, evaluation.json, events.jsonl).
@Suite struct ExperimentReportTests {
    /// Writes a finished search: its planned config.json, a genotype and a log ending with `finished`.
    static func finishedSearch(_ name: String, seconds: Double, plan: ExperimentPlan, root: URL) throws {
        guard case .search(let configuration) = plan.run(named: name)?.work else { throw ExperimentError("\(name) is no search") }
        let folder = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SearchJSON.encoder(pretty: true).encode(configuration).write(to: folder.appendingPathComponent("config.json"))
        try Genotype.pcDarts.jsonData().write(to: folder.appendingPathComponent("genotype.json"))
        try Data("{\"type\":\"finished\",\"t\":\(seconds),\"epochs\":8,\"seconds\":\(seconds),\"stopped\":false}\n".utf8)
            .write(to: folder.appendingPathComponent("events.jsonl"))
    }

    /// Writes a finished, measured training of the searched (PC-DARTS) genotype.
    static func finishedTraining(_ name: String, accuracy: Double, plan: ExperimentPlan, root: URL) throws {
        guard case .train(let configuration, _) = plan.run(named: name)?.work else { throw ExperimentError("\(name) is no training") }
        let folder = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONEncoder().encode(configuration).write(to: folder.appendingPathComponent("config.json"))
        let results = TrainingResults(genotype: .pcDarts, testAccuracy: accuracy, testLoss: 0.5, parameters: 66_338,
                                      parametersExcludingAuxiliary: 66_338, binaryParameters: 61_904, floatParameters: 4_434,
                                      trainSeconds: 301.4, evaluationSeconds: 2, epochs: [])
        try JSONEncoder().encode(results).write(to: folder.appendingPathComponent("results.json"))
        try Data([1, 2, 3]).write(to: folder.appendingPathComponent("model.bnn"))
        let evaluation = ModelEvaluation(
            testImages: 1_000, bitPathAccuracy: accuracy, floatPathAccuracy: accuracy, bitPathImagesPerSecond: 512.4,
            floatPathImagesPerSecond: 300, speedup: 1.7, modelFileBytes: 63_084, float32ModelBytes: 265_352, binaryParameters: 61_904,
            floatParameters: 4_434, binaryLayersFloat32Bytes: 247_616, binaryLayersStoredBytes: 18_736, bitPathConvolutionSeconds: 1,
            floatPathConvolutionSeconds: 2, disagreement: nil)
        try JSONEncoder().encode(evaluation).write(to: folder.appendingPathComponent(ModelEvaluation.fileName))
    }

    final class Silent: ExperimentObserver, @unchecked Sendable {
        func runStarting(_ run: PlannedRun, index: Int, of total: Int, status: RunStatus) {}
        func runReused(_ run: PlannedRun) {}
        func searchEvent(_ record: EventRecord) {}
        func trainingStarting(_ session: TrainingSession, data: DatasetSplits) {}
        func trainingStep(_ progress: TrainingProgress) {}
        func trainingEpoch(_ metrics: EpochMetrics, of epochs: Int) {}
        func runFinished(_ run: PlannedRun) {}
        func warning(_ text: String) {}
    }

    /// The quick `all` plan with the searched (two seeds), random, full-precision and training-noise
    /// rows done, the performance and policy-none searches finished, the rest pending.
    static func fixture() throws -> (ExperimentRunner, URL) {
        let root = Tiny.temporaryRoot()
        let plan = ExperimentPlan(kind: .all, recipe: .quick, root: root)
        try finishedSearch("exp-quick-search-react-seed-0", seconds: 120.4, plan: plan, root: root)
        try finishedSearch("exp-quick-search-react-seed-1", seconds: 130.6, plan: plan, root: root)
        try finishedSearch("exp-quick-search-react-none", seconds: 250.6, plan: plan, root: root)
        for (name, accuracy) in [("searched-seed-0", 0.9231), ("searched-seed-1", 0.9187), ("random-1", 0.9102), ("random-2", 0.9150),
                                 ("random-3", 0.9190), ("searched-seed-0-float", 0.9405), ("searched-seed-1-float", 0.9353),
                                 ("searched-seed-0-training-seed-1", 0.9205)] {
            try finishedTraining("exp-quick-train-react-\(name)", accuracy: accuracy, plan: plan, root: root)
        }
        return (ExperimentRunner(plan: plan, root: root, tables: Tiny.tables(root), observer: Silent()), root)
    }

    /// The Welch interval of the fixture (0.9231, 0.9187 against 0.9102, 0.9150, 0.9190) is checked
    /// against SciPy in StatisticsTests; here the table says it.
    @Test func theCompareTableShowsGroupsTheIntervalAndTargets() throws {
        let (runner, root) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let markdown = try runner.writeTables()
        #expect(markdown.count == 2)
        let written = try String(contentsOf: Tiny.tables(root).appendingPathComponent("exp-quick-compare.md"), encoding: .utf8)
        #expect(written == markdown.first)
        let report = ExperimentReport(plan: runner.plan, table: .compare, measurements: runner.measurements())
        #expect(report.summary == [
            "searched: 92.09% ± 0.31 (sample standard deviation of 2; range 91.87-92.31%)",
            "random: 91.47% ± 0.44 (sample standard deviation of 3; range 91.02-91.90%)",
            "published: pending (0 of 3 measured)",
            "full-precision: 93.79% ± 0.37 (sample standard deviation of 2; range 93.53-94.05%)",
            "vetoed: pending (0 of 1 measured)",
            "searched − random: +0.62 points, 95% confidence interval [-0.48, +1.71] (Welch's t, 2.9 degrees of freedom)",
            "full precision − searched, per seed (the binarization gap): +1.74 points, +1.66 points, mean +1.70 points",
            "vetoed − searched mean: pending",
            "training noise, searched (seed 0) trained with seeds 0, 1: 92.31%, 92.05% (mean 92.18% ± 0.18)",
            "search cost: 120, 131 s (mean 126 s)",
        ])
        #expect(report.targets == [
            .init(target: "searched mean ≥ 90.0% (1-bit weights and activations)", measured: "92.09%", met: true),
            .init(target: "searched mean ≥ random mean + 0.5 points", measured: "+0.62 points [-0.48, +1.71]", met: true),
            .init(target: "binarization gap ≤ 3 points (mean over seeds)", measured: "+1.70 points", met: true),
        ])
        let seed0 = try #require(runner.plan.rows.first { $0.key == "searched-0" })
        #expect(written.contains("| searched (seed 0) | searched | 92.31% | 61,904 | 4,434 | 63,084 | 512 | 301 | 120 | "
                                 + "`exp-quick-search-react-seed-0`, `exp-quick-train-react-searched-seed-0` | `\(runner.plan.command(seed0))` |"))
        #expect(written.contains("| PC-DARTS (published) | published | pending | | | | | | – | `exp-quick-train-react-pc-darts` | `bnas train "))
        #expect(written.contains("\nSearches:\n\n- `\(try #require(runner.plan.searchCommand(seed0)))`\n"))
        #expect(written.contains(" --veto max_pool_3x3,avg_pool_3x3,skip_connect --run exp-quick-search-react-vetoed`"))
    }

    /// A variant's table compares its searched rows with the protocol's random ones; it has no
    /// full-precision twins, so no binarization gap.
    @Test func aVariantTableSharesTheRandomRowsAndHasNoGap() throws {
        let root = Tiny.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        var recipe = ExperimentRecipe.quick
        recipe.searchVariant = .scoring
        let plan = ExperimentPlan(kind: .compare, recipe: recipe, root: root)
        try Self.finishedSearch("exp-quick-search-react-scoring-seed-0", seconds: 140, plan: plan, root: root)
        try Self.finishedSearch("exp-quick-search-react-scoring-seed-1", seconds: 150, plan: plan, root: root)
        for (name, accuracy) in [("scoring-searched-seed-0", 0.9231), ("scoring-searched-seed-1", 0.9187), ("random-1", 0.9102),
                                 ("random-2", 0.9150), ("random-3", 0.9190)] {
            try Self.finishedTraining("exp-quick-train-react-\(name)", accuracy: accuracy, plan: plan, root: root)
        }
        let runner = ExperimentRunner(plan: plan, root: root, tables: Tiny.tables(root), observer: Silent())
        let markdown = try #require(try runner.writeTables().first)
        #expect(markdown.hasPrefix("# bnas experiment compare --variant scoring (quick size)\n"))
        #expect(FileManager.default.fileExists(atPath: Tiny.tables(root).appendingPathComponent("exp-quick-compare-scoring.csv").path))
        let report = ExperimentReport(plan: plan, table: .compare, measurements: runner.measurements())
        #expect(report.summary == [
            "searched: 92.09% ± 0.31 (sample standard deviation of 2; range 91.87-92.31%)",
            "random: 91.47% ± 0.44 (sample standard deviation of 3; range 91.02-91.90%)",
            "published: pending (0 of 3 measured)",
            "searched − random: +0.62 points, 95% confidence interval [-0.48, +1.71] (Welch's t, 2.9 degrees of freedom)",
            "search cost: 140, 150 s (mean 145 s)",
        ])
        #expect(report.targets.map(\.target) == ["searched mean ≥ 90.0% (1-bit weights and activations)", "searched mean ≥ random mean + 0.5 points"])
    }

    /// The recipe row is compared with the paper's XNOR, every ingredient with the recipe row, and the
    /// best binarized row with full precision.
    @Test func theBinarizationSummarySaysWhatEachIngredientBuys() throws {
        let root = Tiny.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let plan = ExperimentPlan(kind: .binarization, recipe: .quick, root: root)
        try Self.finishedSearch("exp-quick-search-performance", seconds: 100, plan: plan, root: root)
        for (name, accuracy) in [("searched", 0.8340), ("searched-bnn", 0.8922), ("searched-bnn-two-step", 0.8891),
                                 ("searched-bnn-thresholds", 0.8975), ("searched-bnn-all", 0.9039), ("searched-bnn-float", 0.9275)] {
            try Self.finishedTraining("exp-quick-train-\(name)", accuracy: accuracy, plan: plan, root: root)
        }
        let runner = ExperimentRunner(plan: plan, root: root, tables: Tiny.tables(root), observer: Silent())
        let report = ExperimentReport(plan: plan, table: .binarization, measurements: runner.measurements())
        #expect(report.summary == [
            "recipe for binary networks (--recipe bnn) − XNOR, the first protocol's recipe (1 epoch, cosine per epoch): +5.82 points",
            "+ two-step training (--two-step) − recipe for binary networks (--recipe bnn): -0.31 points",
            "+ distillation from the full-precision row (--teacher) − recipe for binary networks (--recipe bnn): pending",
            "+ learnable thresholds and RPReLU (--thresholds on) − recipe for binary networks (--recipe bnn): +0.53 points",
            "+ real-valued shortcuts (--shortcuts on) − recipe for binary networks (--recipe bnn): pending",
            "all together (--binarize react: thresholds, shortcuts, ApproxSign; two-step, distillation) − recipe for binary networks (--recipe bnn): +1.17 points",
            "full precision − best binarized row (the binarization gap): +2.36 points (all together (--binarize react: thresholds, shortcuts, "
                + "ApproxSign; two-step, distillation))",
        ])
        #expect(report.targets == [
            .init(target: "best binarized row ≥ 90.0% (1-bit weights and activations)", measured: "90.39%", met: true),
            .init(target: "best binarized row ≤ 3 points under full precision", measured: "+2.36 points", met: true),
        ])
    }

    @Test func theAblationsTableMarksMissedAndPendingTargets() throws {
        let (runner, root) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let report = ExperimentReport(plan: runner.plan, table: .ablations, measurements: runner.measurements())
        #expect(report.summary == [
            "search time, policy performance / none: 0.48x (120 s / 251 s)",
            "search time, early schedule / policy none: pending",
            "search time, K = 1 / K = 4: pending",
            "policy alpha − policy performance: pending",
            "policy none − policy performance: pending",
            "policy performance, 2 warm-up epochs, a reduction every epoch (--warmup-epochs 2 --reduction-interval 1) − policy performance: pending",
            "PCNN weights (--binarize pcnn) − XNOR weights: pending",
            "K = 1 (--partial-k 1) − K = 4: pending",
            "real activations (--activations real) − binary activations: pending",
        ])
        #expect(report.targets == [.init(target: "performance search ≤ 0.6x the time of policy none", measured: "0.48x (120 s / 251 s)", met: true),
                                   .init(target: "early schedule ≤ 0.6x the time of policy none", measured: nil, met: nil),
                                   .init(target: "early schedule's accuracy ≥ the protocol schedule's", measured: nil, met: nil)])
        #expect(report.markdown.contains("| policy none | ablation | pending | | | | | | 251 | `exp-quick-search-react-none`, "
                                         + "`exp-quick-train-react-searched-none` | `bnas train "))

        // Slower performance search, searched below the random mean: both marked missed.
        try Self.finishedSearch("exp-quick-search-react-seed-0", seconds: 200, plan: runner.plan, root: root)
        try Self.finishedTraining("exp-quick-train-react-searched-seed-0", accuracy: 0.9010, plan: runner.plan, root: root)
        try Self.finishedTraining("exp-quick-train-react-searched-seed-1", accuracy: 0.9030, plan: runner.plan, root: root)
        let measurements = runner.measurements()
        let ablations = ExperimentReport(plan: runner.plan, table: .ablations, measurements: measurements)
        #expect(ablations.markdown.contains("| performance search ≤ 0.6x the time of policy none | 0.80x (200 s / 251 s) | missed |\n"))
        try Self.finishedSearch("exp-quick-search-react-early-seed-0", seconds: 140, plan: runner.plan, root: root)
        try Self.finishedTraining("exp-quick-train-react-early-searched-seed-0", accuracy: 0.9050, plan: runner.plan, root: root)
        let early = ExperimentReport(plan: runner.plan, table: .ablations, measurements: runner.measurements())
        #expect(early.targets.dropFirst() == [.init(target: "early schedule ≤ 0.6x the time of policy none", measured: "0.56x (140 s / 251 s)", met: true),
                                              .init(target: "early schedule's accuracy ≥ the protocol schedule's", measured: "+0.40 points", met: true)])
        let compare = ExperimentReport(plan: runner.plan, table: .compare, measurements: measurements)
        #expect(compare.targets[1].met == false && compare.targets[1].measured?.hasPrefix("-1.27 points [") == true)

        // Without one random row, the random group and the interval are pending.
        try FileManager.default.removeItem(at: root.appendingPathComponent("exp-quick-train-react-random-2/evaluation.json"))
        let partial = ExperimentReport(plan: runner.plan, table: .compare, measurements: runner.measurements())
        #expect(partial.summary.contains("random: pending (2 of 3 measured)") && partial.summary.contains("searched − random: pending"))
        #expect(partial.markdown.contains("| searched mean ≥ random mean + 0.5 points | pending | pending |"))
    }

    @Test func theCSVHasOneLinePerRowWithPendingRowsEmpty() throws {
        let (runner, root) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        try runner.writeTables()
        let csv = try String(contentsOf: Tiny.tables(root).appendingPathComponent("exp-quick-compare.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let plan = runner.plan
        let rows = plan.rows.filter { $0.table == .compare }
        #expect(lines.count == 1 + rows.count + 1 && lines.last == "")
        #expect(lines[0] == "experiment,size,key,row,group,status,test_accuracy,binary_parameters,float_parameters,model_bytes,"
                + "bit_path_images_per_second,train_seconds,search_seconds,search_run,train_run,command,search_command")
        let seed0 = try #require(rows.first { $0.key == "searched-0" })
        #expect(lines[1] == "compare,quick,searched-0,searched (seed 0),searched,done,0.9231,61904,4434,63084,512.4,301.4,120.4,"
                + "exp-quick-search-react-seed-0,exp-quick-train-react-searched-seed-0,\(plan.command(seed0)),\(try #require(plan.searchCommand(seed0)))")
        let pcDarts = try #require(rows.first { $0.key == "pc-darts" })
        #expect(lines.contains("compare,quick,pc-darts,PC-DARTS (published),published,pending,,,,,,,,,exp-quick-train-react-pc-darts,\(plan.command(pcDarts)),"))
        #expect(rows.map(\.group.rawValue) == ["searched", "searched", "random", "random", "random", "published", "published", "published",
                                               "vetoed", "full-precision", "full-precision", "training-noise"])
    }
}
