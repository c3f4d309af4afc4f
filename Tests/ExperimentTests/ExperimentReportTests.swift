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

    /// The quick `all` plan with the searched, random and full-precision rows done, the rest pending.
    static func fixture() throws -> (ExperimentRunner, URL) {
        let root = Tiny.temporaryRoot()
        let plan = ExperimentPlan(kind: .all, recipe: .quick, root: root)
        try finishedSearch("exp-quick-search-performance", seconds: 120.4, plan: plan, root: root)
        try finishedSearch("exp-quick-search-none", seconds: 250.6, plan: plan, root: root)
        for (name, accuracy) in [("searched", 0.9231), ("random-1", 0.9102), ("random-2", 0.9150), ("random-3", 0.9190),
                                 ("searched-float", 0.9405)] {
            try finishedTraining("exp-quick-train-\(name)", accuracy: accuracy, plan: plan, root: root)
        }
        return (ExperimentRunner(plan: plan, root: root, tables: Tiny.tables(root), observer: Silent()), root)
    }

    /// The command of a quick-size row: the compare recipe spelled out.
    static func quickCommand(_ genotype: String, binarize: String = "xnor") -> String {
        "bnas train --recipe darts --genotype \(genotype) --dataset fashion-mnist --train-size 2000 --test-size 1000 --binarize \(binarize) "
            + "--activations binary --layers 5 --channels 8 --epochs 1 --batch-size 64 --optimizer adam --learning-rate 0.005 "
            + "--weight-decay 0.0 --seed 0"
    }

    @Test func theCompareTableShowsResultsPendingRowsSummaryAndTargets() throws {
        let (runner, root) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let markdown = try runner.writeTables()
        #expect(markdown.count == 2)
        let written = try String(contentsOf: Tiny.tables(root).appendingPathComponent("exp-quick-compare.md"), encoding: .utf8)
        #expect(written == markdown.first)
        let recipe = ExperimentRecipe.quick.description
        let searched = Self.quickCommand(root.path + "/exp-quick-search-performance/genotype.json")
        let float = Self.quickCommand(root.path + "/exp-quick-search-performance/genotype.json", binarize: "none")
        #expect(written == """
            # bnas experiment compare (quick size)

            \(recipe)

            Note: the quick size departs from the protocol (60,000 training and 10,000 test images, the default search): its numbers show that the pipeline runs, not how good the genotypes are.

            | row | group | test accuracy | 1-bit params | 32-bit params | model.bnn bytes | bit path images/s | training s | search s | runs | command |
            | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
            | searched (BNAS search, policy performance) | searched | 92.31% | 61,904 | 4,434 | 63,084 | 512 | 301 | 120 | `exp-quick-search-performance`, `exp-quick-train-searched` | `\(searched)` |
            | random:1 | random | 91.02% | 61,904 | 4,434 | 63,084 | 512 | 301 | – | `exp-quick-train-random-1` | `\(Self.quickCommand("random:1"))` |
            | random:2 | random | 91.50% | 61,904 | 4,434 | 63,084 | 512 | 301 | – | `exp-quick-train-random-2` | `\(Self.quickCommand("random:2"))` |
            | random:3 | random | 91.90% | 61,904 | 4,434 | 63,084 | 512 | 301 | – | `exp-quick-train-random-3` | `\(Self.quickCommand("random:3"))` |
            | PC-DARTS (published) | published | pending | | | | | | – | `exp-quick-train-pc-darts` | `\(Self.quickCommand("pc-darts"))` |
            | DARTS V2 (published) | published | pending | | | | | | – | `exp-quick-train-darts-v2` | `\(Self.quickCommand("darts-v2"))` |
            | BNAS XNOR (published) | published | pending | | | | | | – | `exp-quick-train-bnas-xnor` | `\(Self.quickCommand("bnas-xnor"))` |
            | searched, full precision (--binarize none) | full-precision | 94.05% | 61,904 | 4,434 | 63,084 | 512 | 301 | 120 | `exp-quick-search-performance`, `exp-quick-train-searched-float` | `\(float)` |

            ## Summary

            - random genotypes: 91.47% ± 0.44 points (sample standard deviation of 3; range 91.02-91.90%)
            - searched − random mean: +0.84 points
            - full precision − binarized (the binarization gap): +1.74 points

            ## Targets

            | target | measured | result |
            | --- | --- | --- |
            | searched ≥ 92.0% | 92.31% | met |
            | searched ≥ random mean + 0.5 points | +0.84 points | met |
            | binarization gap ≤ 3 points | +1.74 points | met |

            """)
    }

    @Test func theAblationsTableMarksMissedAndPendingTargets() throws {
        let (runner, root) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let report = ExperimentReport(plan: runner.plan, table: .ablations, measurements: runner.measurements())
        #expect(report.summary == [
            "search time, policy performance / none: 0.48x (120 s / 251 s)",
            "search time, K = 1 / K = 4: pending",
            "policy alpha − policy performance: pending",
            "policy none − policy performance: pending",
            "PCNN weights (--binarize pcnn) − XNOR weights: pending",
            "K = 1 (--partial-k 1) − K = 4: pending",
            "real activations (--activations real) − binary activations: pending",
        ])
        #expect(report.targets == [.init(target: "performance search ≤ 0.6x the time of policy none",
                                         measured: "0.48x (120 s / 251 s)", met: true)])
        #expect(report.markdown.contains("| policy none | ablation | pending | | | | | | 251 | `exp-quick-search-none`, `exp-quick-train-searched-none` | `bnas train "))

        // Slower performance search, searched below the random mean: both marked missed.
        try Self.finishedSearch("exp-quick-search-performance", seconds: 200, plan: runner.plan, root: root)
        try Self.finishedTraining("exp-quick-train-searched", accuracy: 0.9110, plan: runner.plan, root: root)
        let measurements = runner.measurements()
        let ablations = ExperimentReport(plan: runner.plan, table: .ablations, measurements: measurements)
        #expect(ablations.markdown.hasSuffix("| performance search ≤ 0.6x the time of policy none | 0.80x (200 s / 251 s) | missed |\n"))
        let compare = ExperimentReport(plan: runner.plan, table: .compare, measurements: measurements)
        #expect(compare.markdown.contains("| searched ≥ 92.0% | 91.10% | missed |\n| searched ≥ random mean + 0.5 points | -0.37 points | missed |"))

        // Without the random rows, the random target is pending.
        try FileManager.default.removeItem(at: root.appendingPathComponent("exp-quick-train-random-2/evaluation.json"))
        let partial = ExperimentReport(plan: runner.plan, table: .compare, measurements: runner.measurements())
        #expect(partial.markdown.contains("- random genotypes: pending\n- searched − random mean: pending\n"))
        #expect(partial.markdown.contains("| searched ≥ random mean + 0.5 points | pending | pending |"))
    }

    @Test func theCSVHasOneLinePerRowWithPendingRowsEmpty() throws {
        let (runner, root) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        try runner.writeTables()
        let csv = try String(contentsOf: Tiny.tables(root).appendingPathComponent("exp-quick-compare.csv"), encoding: .utf8)
        let searched = Self.quickCommand(root.path + "/exp-quick-search-performance/genotype.json")
        let float = Self.quickCommand(root.path + "/exp-quick-search-performance/genotype.json", binarize: "none")
        #expect(csv == """
            experiment,size,key,row,group,status,test_accuracy,binary_parameters,float_parameters,model_bytes,bit_path_images_per_second,train_seconds,search_seconds,search_run,train_run,command
            compare,quick,searched,"searched (BNAS search, policy performance)",searched,done,0.9231,61904,4434,63084,512.4,301.4,120.4,exp-quick-search-performance,exp-quick-train-searched,\(searched)
            compare,quick,random-1,random:1,random,done,0.9102,61904,4434,63084,512.4,301.4,,,exp-quick-train-random-1,\(Self.quickCommand("random:1"))
            compare,quick,random-2,random:2,random,done,0.9150,61904,4434,63084,512.4,301.4,,,exp-quick-train-random-2,\(Self.quickCommand("random:2"))
            compare,quick,random-3,random:3,random,done,0.9190,61904,4434,63084,512.4,301.4,,,exp-quick-train-random-3,\(Self.quickCommand("random:3"))
            compare,quick,pc-darts,PC-DARTS (published),published,pending,,,,,,,,,exp-quick-train-pc-darts,\(Self.quickCommand("pc-darts"))
            compare,quick,darts-v2,DARTS V2 (published),published,pending,,,,,,,,,exp-quick-train-darts-v2,\(Self.quickCommand("darts-v2"))
            compare,quick,bnas-xnor,BNAS XNOR (published),published,pending,,,,,,,,,exp-quick-train-bnas-xnor,\(Self.quickCommand("bnas-xnor"))
            compare,quick,full-precision,"searched, full precision (--binarize none)",full-precision,done,0.9405,61904,4434,63084,512.4,301.4,120.4,exp-quick-search-performance,exp-quick-train-searched-float,\(float)

            """)
    }

    @Test func meanAndSpreadAreTheSampleStatistics() {
        let (mean, spread) = ExperimentReport.meanAndSpread([0.90, 0.92, 0.94])
        #expect(abs(mean - 0.92) < 1e-12)
        #expect(abs(spread - 0.02) < 1e-12)
        #expect(ExperimentReport.meanAndSpread([0.5]) == (0.5, 0))
    }
}
