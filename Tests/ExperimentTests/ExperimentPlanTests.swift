import Datasets
import Foundation
import Network
import Search
import Testing
@testable import Experiments

@Suite struct ExperimentPlanTests {
    static let root = URL(fileURLWithPath: "/data/runs")

    @Test func compareHasTheSearchedRandomPublishedAndFullPrecisionRows() {
        let plan = ExperimentPlan(kind: .compare, recipe: .quick, root: Self.root)
        #expect(plan.rows.map(\.key) == ["searched", "random-1", "random-2", "random-3", "pc-darts", "darts-v2", "bnas-xnor", "full-precision"])
        #expect(plan.runs.map(\.name) == [
            "exp-quick-search-performance", "exp-quick-train-searched", "exp-quick-train-random-1", "exp-quick-train-random-2",
            "exp-quick-train-random-3", "exp-quick-train-pc-darts", "exp-quick-train-darts-v2", "exp-quick-train-bnas-xnor",
            "exp-quick-train-searched-float",
        ])
        guard case .search(let search) = plan.runs[0].work, case .train(let searched, let from) = plan.runs[1].work,
              case .train(let random, nil) = plan.runs[2].work, case .train(let float, _) = plan.runs[8].work else {
            Issue.record("unexpected kinds of runs: \(plan.runs)")
            return
        }
        #expect(search == ExperimentRecipe.quick.search)
        #expect(search.policy == .performance && search.partialK == 4)
        #expect(from == "exp-quick-search-performance")
        #expect(searched.genotype == "/data/runs/exp-quick-search-performance/genotype.json")
        #expect(searched.binarize == "xnor" && searched.activations == "binary")
        #expect(random.genotype == "random:1")
        #expect(float.binarize == "none" && float.genotype == searched.genotype)
        // Every row trains with the one recipe: only the genotype and the binarization differ.
        for run in plan.runs {
            guard case .train(var configuration, _) = run.work else { continue }
            (configuration.genotype, configuration.binarize) = ("", "xnor")
            #expect(configuration == ExperimentRecipe.quick.training, "\(run.name)")
        }
    }

    @Test func ablationsVaryOneThingAgainstTheSearchedBaseline() {
        let plan = ExperimentPlan(kind: .ablations, recipe: .full, root: Self.root)
        #expect(plan.rows.map(\.key) == ["policy-performance", "policy-alpha", "policy-none", "weights-xnor", "weights-pcnn",
                                         "k-4", "k-1", "activations-binary", "activations-real"])
        let baselines = plan.rows.filter { ["policy-performance", "weights-xnor", "k-4", "activations-binary"].contains($0.key) }
        #expect(Set(baselines.map(\.trainRun)) == ["exp-full-train-searched"])
        #expect(Set(baselines.map(\.searchRun)) == ["exp-full-search-performance"])
        #expect(plan.runs.map(\.name) == [
            "exp-full-search-performance", "exp-full-train-searched", "exp-full-search-alpha", "exp-full-train-searched-alpha",
            "exp-full-search-none", "exp-full-train-searched-none", "exp-full-train-searched-pcnn", "exp-full-search-k1",
            "exp-full-train-searched-k1", "exp-full-train-searched-real-activations",
        ])
        var expected = SearchConfiguration()
        expected.partialK = 1
        #expect(plan.run(named: "exp-full-search-k1")?.work == .search(expected))
        expected = SearchConfiguration()
        expected.policy = .none
        #expect(plan.run(named: "exp-full-search-none")?.work == .search(expected))
        guard case .train(let real, "exp-full-search-performance") = plan.run(named: "exp-full-train-searched-real-activations")?.work,
              case .train(let pcnn, _) = plan.run(named: "exp-full-train-searched-pcnn")?.work else {
            Issue.record("the activation and PCNN rows do not train the searched genotype")
            return
        }
        #expect(real.activations == "real" && real.binarize == "xnor")
        #expect(pcnn.binarize == "pcnn" && pcnn.activations == "binary")
    }

    /// The paper's XNOR row is compare's own run; every other binarized row is the recipe for binary
    /// networks with one thing changed (all of them in the last); the distilled rows learn from the
    /// full-precision row, which runs before them; rows needing flags this build lacks are never run.
    @Test func binarizationRowsChangeOneThingAgainstTheRecipe() throws {
        let plan = ExperimentPlan(kind: .binarization, recipe: .full, root: Self.root)
        #expect(plan.rows.map(\.key) == ["paper-xnor", "recipe", "two-step", "distillation", "thresholds", "shortcuts", "all", "full-precision"])
        #expect(plan.rows.map(\.group) == Array(repeating: .ablation, count: 7) + [.fullPrecision])
        #expect(plan.runs.map(\.name) == [
            "exp-full-search-performance", "exp-full-train-searched", "exp-full-train-searched-bnn", "exp-full-train-searched-bnn-two-step",
            "exp-full-train-searched-bnn-float", "exp-full-train-searched-bnn-distill", "exp-full-train-searched-bnn-thresholds",
            "exp-full-train-searched-bnn-shortcuts", "exp-full-train-searched-bnn-all",
        ])
        let compare = ExperimentPlan(kind: .compare, recipe: .full, root: Self.root)
        #expect(plan.run(named: "exp-full-train-searched") == compare.run(named: "exp-full-train-searched"))

        func configuration(_ name: String) throws -> TrainingConfiguration {
            guard case .train(let configuration, "exp-full-search-performance") = plan.run(named: "exp-full-train-\(name)")?.work else {
                throw ExperimentError("\(name) does not train the searched genotype")
            }
            return configuration
        }
        var recipe = ExperimentRecipe.full.binaryTraining
        recipe.genotype = "/data/runs/exp-full-search-performance/genotype.json"
        #expect(try configuration("searched-bnn") == recipe)
        #expect(recipe.epochs == 10 && recipe.schedule == .cosine && recipe.warmupEpochs == 1 && recipe.clipLatentWeights == true)
        #expect(recipe.binarize == "xnor" && recipe.trainSize == nil && recipe.layers == 5 && recipe.channels == 8)

        var twoStep = recipe
        (twoStep.firstStepEpochs, twoStep.warmupEpochs) = (5, 0.5)
        #expect(try configuration("searched-bnn-two-step") == twoStep)
        var float = recipe
        float.binarize = "none"
        #expect(try configuration("searched-bnn-float") == float)
        var distilled = recipe
        (distilled.teacher, distilled.distillWeight) = ("/data/runs/exp-full-train-searched-bnn-float", 1)
        #expect(try configuration("searched-bnn-distill") == distilled)
        var thresholds = recipe, shortcuts = recipe
        thresholds.thresholds = true
        shortcuts.shortcuts = true
        #expect(try configuration("searched-bnn-thresholds") == thresholds && configuration("searched-bnn-shortcuts") == shortcuts)
        var all = twoStep
        all.binarization = .react
        (all.teacher, all.distillWeight) = (distilled.teacher, 1)
        #expect(try configuration("searched-bnn-all") == all)

        let row = try #require(plan.rows.first { $0.key == "thresholds" })
        #expect(plan.command(row).hasPrefix("bnas train --recipe bnn --genotype /data/runs/exp-full-search-performance/genotype.json "))
        #expect(plan.command(row).contains(" --binarize xnor --activations binary --thresholds on --layers "))
        let allRow = try #require(plan.rows.first { $0.key == "all" })
        #expect(plan.command(allRow).contains(" --thresholds on --shortcuts on --sign-gradient approx "))
        #expect(ExperimentPlan.shellQuoted("runs/a b/genotype.json") == "'runs/a b/genotype.json'")
        #expect(ExperimentPlan.shellQuoted("it's") == "'it'\\''s'")
    }

    /// `all` is both tables; the runs they share run once, and every training comes after its search.
    @Test func allPlansSharedRunsOnce() {
        let plan = ExperimentPlan(kind: .all, recipe: .quick, root: Self.root)
        #expect(plan.rows.count == 8 + 9)
        #expect(plan.runs.count == 17)
        #expect(Set(plan.runs.map(\.name)).count == plan.runs.count)
        for (index, run) in plan.runs.enumerated() {
            guard case .train(_, let search?) = run.work else { continue }
            #expect(plan.runs.firstIndex { $0.name == search }.map { $0 < index } == true, "\(run.name) runs before \(search)")
        }
        #expect(plan.tableFile(.ablations, root: Self.root).path == "/data/runs/exp-quick-ablations")
    }

    /// The full size is the protocol: the default search, 60,000 training and 10,000 test images.
    @Test func theFullSizeIsTheProtocolAndOtherDataSetsGetTheirOwnNames() {
        let full = ExperimentRecipe.full
        #expect(full.search == SearchConfiguration())
        #expect(full.training.trainSize == nil && full.training.testSize == nil)
        #expect((full.training.layers, full.training.channels, full.training.batchSize, full.training.epochs) == (5, 8, 64, 4))
        #expect(full.training.optimizer == .adam && full.training.binarize == "xnor" && full.training.activations == "binary")
        #expect(full.deviation == nil && ExperimentRecipe.quick.deviation != nil)
        let synthetic = ExperimentPlan(kind: .compare, recipe: full.on(dataset: .synthetic, dataDirectory: "/d"), root: Self.root)
        #expect(synthetic.prefix == "exp-full-synthetic")
        #expect(synthetic.runs.first?.name == "exp-full-synthetic-search-performance")
        guard case .train(let configuration, _) = synthetic.runs[1].work else { return }
        #expect(configuration.dataset == "synthetic" && configuration.dataDirectory == "/d")
    }

    @Test func numbersAreGroupedByThousands() {
        #expect(ExperimentRecipe.count(0) == "0")
        #expect(ExperimentRecipe.count(999) == "999")
        #expect(ExperimentRecipe.count(1_000) == "1,000")
        #expect(ExperimentRecipe.count(61_904) == "61,904")
        #expect(ExperimentRecipe.count(1_234_567) == "1,234,567")
    }
}
