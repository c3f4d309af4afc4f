import Datasets
import Foundation
import Network
import Search
import Testing
@testable import Experiments

@Suite struct ExperimentPlanTests {
    static let root = URL(fileURLWithPath: "/data/runs")

    /// A search and a training per search seed, the random and published genotypes, the vetoed
    /// search, each searched genotype at full precision, and the first one with two more training
    /// seeds; every training is the protocol's.
    @Test func compareHasSeededSearchesRandomPublishedVetoedAndFullPrecisionRows() throws {
        let plan = ExperimentPlan(kind: .compare, recipe: .full, root: Self.root)
        #expect(plan.rows.map(\.key) == ["searched-0", "searched-1", "searched-2", "random-1", "random-2", "random-3", "random-4", "random-5",
                                         "pc-darts", "darts-v2", "bnas-xnor", "vetoed", "full-precision-0", "full-precision-1", "full-precision-2",
                                         "training-noise-1", "training-noise-2"])
        #expect(plan.runs.map(\.name) == [
            "exp-full-search-react-seed-0", "exp-full-train-react-searched-seed-0", "exp-full-search-react-seed-1",
            "exp-full-train-react-searched-seed-1", "exp-full-search-react-seed-2", "exp-full-train-react-searched-seed-2",
            "exp-full-train-react-random-1", "exp-full-train-react-random-2", "exp-full-train-react-random-3", "exp-full-train-react-random-4",
            "exp-full-train-react-random-5", "exp-full-train-react-pc-darts", "exp-full-train-react-darts-v2", "exp-full-train-react-bnas-xnor",
            "exp-full-search-react-vetoed", "exp-full-train-react-vetoed", "exp-full-train-react-searched-seed-0-float",
            "exp-full-train-react-searched-seed-1-float", "exp-full-train-react-searched-seed-2-float",
            "exp-full-train-react-searched-seed-0-training-seed-1", "exp-full-train-react-searched-seed-0-training-seed-2",
        ])
        for (seed, name) in [(UInt64(0), "exp-full-search-react-seed-0"), (1, "exp-full-search-react-seed-1"), (2, "exp-full-search-react-seed-2")] {
            var expected = ExperimentRecipe.full.search
            expected.binarization = .react
            expected.seed = seed
            #expect(plan.run(named: name)?.work == .search(expected))
        }
        var vetoed = ExperimentRecipe.full.search
        vetoed.binarization = .react
        vetoed.vetoes = [.maxPool3x3, .avgPool3x3, .skipConnect]
        #expect(plan.run(named: "exp-full-search-react-vetoed")?.work == .search(vetoed))
        // Every row trains with the protocol's recipe: only the genotype and, at full precision, the binarization differ.
        let protocolTraining = ExperimentRecipe.full.protocolTraining
        #expect(protocolTraining.binarization == .react && protocolTraining.epochs == 16 && protocolTraining.schedule == .cosine)
        for run in plan.runs {
            guard case .train(var configuration, let search) = run.work else { continue }
            if let search { #expect(configuration.genotype == "/data/runs/\(search)/genotype.json") }
            if run.name.hasSuffix("-float") {
                #expect(configuration.binarization == .init(weights: .none, activations: .binary))
                configuration.binarization = .react
            }
            if run.name.contains("-training-seed-") {
                // The training-noise rows: the first searched genotype with another training seed.
                #expect(search == "exp-full-search-react-seed-0" && [1, 2].contains(configuration.seed), "\(run.name)")
                configuration.seed = protocolTraining.seed
            }
            configuration.genotype = ""
            #expect(configuration == protocolTraining, "\(run.name)")
        }
        #expect(plan.rows.first { $0.key == "random-4" }?.trainRun == "exp-full-train-react-random-4")
    }

    /// A search variant replans the searched rows only: its own searches and trainings, the
    /// protocol's random and published runs, no vetoed, full-precision or noise rows, its own table.
    @Test func aSearchVariantReplansTheSearchedRowsAgainstTheSameRandomOnes() throws {
        let protocolPlan = ExperimentPlan(kind: .compare, recipe: .full, root: Self.root)
        for variant in SearchVariant.allCases where variant != .standard {
            var recipe = ExperimentRecipe.full
            recipe.searchVariant = variant
            let plan = ExperimentPlan(kind: .compare, recipe: recipe, root: Self.root)
            #expect(plan.rows.map(\.key) == ["searched-0", "searched-1", "searched-2", "random-1", "random-2", "random-3", "random-4", "random-5",
                                             "pc-darts", "darts-v2", "bnas-xnor"], "\(variant)")
            for row in plan.rows where row.group != .searched {
                #expect(protocolPlan.rows.first { $0.key == row.key } == row, "\(variant) \(row.key)")
            }
            #expect(plan.tableFile(.compare, root: Self.root).path == "/data/runs/exp-full-compare-\(variant.rawValue)")
            #expect(plan.title(.compare) == "bnas experiment compare --variant \(variant.rawValue) (full size)")
            var changed = ExperimentRecipe.full.protocolSearch
            variant.apply(to: &changed)
            #expect(recipe.description(for: .compare).contains("Search variant `\(variant.rawValue)`: \(variant.change(changed))"))
            for (index, row) in plan.rows.prefix(3).enumerated() {
                let name = try #require(row.searchRun)
                guard case .search(let configuration) = plan.run(named: name)?.work,
                      case .train(let training, name) = plan.run(named: row.trainRun)?.work else {
                    Issue.record("\(variant) \(row.key) has no search and training")
                    continue
                }
                var expected = ExperimentRecipe.full.protocolSearch
                variant.apply(to: &expected)
                expected.seed = UInt64(index)
                #expect(configuration == expected, "\(variant) \(row.key)")
                if variant == .longWarmup { #expect((configuration.warmupEpochs, configuration.epochs) == (10, 25)) }
                if variant == .scoring { #expect((configuration.samplingRounds, configuration.scoringBatches) == (10, 8)) }
                // The reduction still ends with one operation per edge: 7 steps fit in the epochs.
                #expect((0..<configuration.epochs).filter(configuration.isReductionEpoch).count >= OperationSpace.operationCount - 1)
                var protocolTraining = ExperimentRecipe.full.protocolTraining
                protocolTraining.genotype = "/data/runs/\(name)/genotype.json"
                #expect(training == protocolTraining, "\(variant) \(row.key)")
                #expect(row.trainRun == "exp-full-train-react-\(variant.rawValue)-searched-seed-\(index)")
                // The XNOR flavour's seed-0 search is the default search, already run for the binarization table.
                let expectedName = variant == .xnorSearch && index == 0 ? "exp-full-search-performance"
                    : "exp-full-search-react-\(variant.rawValue)-seed-\(index)"
                #expect(name == expectedName)
            }
        }
        #expect(protocolPlan.tableFile(.compare, root: Self.root).path == "/data/runs/exp-full-compare")
    }

    /// The XNOR flavour's seed-0 search is the default search itself, and is reused as such.
    @Test func theXNORProtocolReusesTheDefaultSearch() {
        var recipe = ExperimentRecipe.full
        recipe.flavour = .init(weights: .xnor, activations: .binary)
        let plan = ExperimentPlan(kind: .compare, recipe: recipe, root: Self.root)
        #expect(plan.rows.first?.searchRun == "exp-full-search-performance")
        #expect(plan.rows[1].searchRun == "exp-full-search-xnor-binary-seed-1")
        #expect(plan.rows.first?.trainRun == "exp-full-train-xnor-binary-searched-seed-0")
    }

    @Test func ablationsVaryOneThingAgainstTheSearchedBaseline() {
        let plan = ExperimentPlan(kind: .ablations, recipe: .full, root: Self.root)
        #expect(plan.rows.map(\.key) == ["policy-performance", "policy-alpha", "policy-none", "schedule-early", "weights-xnor", "weights-pcnn",
                                         "k-4", "k-1", "activations-binary", "activations-real"])
        let baselines = plan.rows.filter { ["policy-performance", "weights-xnor", "k-4", "activations-binary"].contains($0.key) }
        #expect(Set(baselines.map(\.trainRun)) == ["exp-full-train-react-searched-seed-0"])
        #expect(Set(baselines.map(\.searchRun)) == ["exp-full-search-react-seed-0"])
        #expect(plan.runs.map(\.name) == [
            "exp-full-search-react-seed-0", "exp-full-train-react-searched-seed-0", "exp-full-search-react-alpha",
            "exp-full-train-react-searched-alpha", "exp-full-search-react-none", "exp-full-train-react-searched-none",
            "exp-full-search-react-early-seed-0", "exp-full-train-react-early-searched-seed-0", "exp-full-train-react-searched-pcnn",
            "exp-full-search-react-k1", "exp-full-train-react-searched-k1",
            "exp-full-train-react-searched-real-activations",
        ])
        var expected = ExperimentRecipe.full.search
        expected.binarization = .react
        expected.partialK = 1
        #expect(plan.run(named: "exp-full-search-react-k1")?.work == .search(expected))
        expected.partialK = 4
        expected.policy = .none
        #expect(plan.run(named: "exp-full-search-react-none")?.work == .search(expected))
        expected.policy = .performance
        (expected.warmupEpochs, expected.reductionInterval) = (2, 1)
        #expect(plan.run(named: "exp-full-search-react-early-seed-0")?.work == .search(expected))
        // The early-schedule row's runs are the first seed of `compare --variant early`, run once for both.
        var earlyRecipe = ExperimentRecipe.full
        earlyRecipe.searchVariant = .early
        let earlyCompare = ExperimentPlan(kind: .compare, recipe: earlyRecipe, root: Self.root)
        let earlyRow = plan.rows.first { $0.key == "schedule-early" }
        #expect(earlyRow.map { [$0.searchRun, $0.trainRun] } == earlyCompare.rows.first.map { [$0.searchRun, $0.trainRun] })
        #expect(earlyCompare.run(named: "exp-full-search-react-early-seed-0")?.work == .search(expected))
        guard case .train(let real, "exp-full-search-react-seed-0") = plan.run(named: "exp-full-train-react-searched-real-activations")?.work,
              case .train(let pcnn, _) = plan.run(named: "exp-full-train-react-searched-pcnn")?.work else {
            Issue.record("the activation and PCNN rows do not train the searched genotype")
            return
        }
        #expect(real.binarization == .init(weights: .xnor, activations: .real, shortcuts: true))
        #expect(pcnn.binarization == .init(weights: .pcnn, activations: .binary, thresholds: true, shortcuts: true, signGradient: .approx))
        #expect(real.binarization.conflict == nil && pcnn.binarization.conflict == nil)
    }

    /// The paper's XNOR row is the first protocol's training; every other binarized row is the recipe for binary
    /// networks with one thing changed (all of them in the last); the distilled rows learn from the
    /// full-precision row, which runs before them.
    @Test func binarizationRowsChangeOneThingAgainstTheRecipe() throws {
        let plan = ExperimentPlan(kind: .binarization, recipe: .full, root: Self.root)
        #expect(plan.rows.map(\.key) == ["paper-xnor", "recipe", "two-step", "distillation", "thresholds", "shortcuts", "all", "full-precision"])
        #expect(plan.rows.map(\.group) == Array(repeating: .ablation, count: 7) + [.fullPrecision])
        #expect(plan.runs.map(\.name) == [
            "exp-full-search-performance", "exp-full-train-searched", "exp-full-train-searched-bnn", "exp-full-train-searched-bnn-two-step",
            "exp-full-train-searched-bnn-float", "exp-full-train-searched-bnn-distill", "exp-full-train-searched-bnn-thresholds",
            "exp-full-train-searched-bnn-shortcuts", "exp-full-train-searched-bnn-all",
        ])
        guard case .train(var paper, "exp-full-search-performance") = plan.run(named: "exp-full-train-searched")?.work else {
            throw ExperimentError("the paper's row does not train the default search's genotype")
        }
        #expect(paper.genotype == "/data/runs/exp-full-search-performance/genotype.json")
        paper.genotype = ""
        #expect(paper == ExperimentRecipe.full.training)

        func configuration(_ name: String) throws -> TrainingConfiguration {
            guard case .train(let configuration, "exp-full-search-performance") = plan.run(named: "exp-full-train-\(name)")?.work else {
                throw ExperimentError("\(name) does not train the searched genotype")
            }
            return configuration
        }
        var recipe = ExperimentRecipe.full.binaryTraining
        recipe.genotype = "/data/runs/exp-full-search-performance/genotype.json"
        #expect(try configuration("searched-bnn") == recipe)
        #expect(recipe.epochs == 16 && recipe.schedule == .cosine && recipe.warmupEpochs == 1.6 && recipe.clipLatentWeights == true)
        #expect(recipe.binarize == "xnor" && recipe.trainSize == nil && recipe.layers == 5 && recipe.channels == 8)

        var twoStep = recipe
        (twoStep.firstStepEpochs, twoStep.warmupEpochs) = (8, 0.8)
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
        #expect(plan.rows.count == 12 + 10)
        #expect(plan.runs.count == 25)
        #expect(Set(plan.runs.map(\.name)).count == plan.runs.count)
        for (index, run) in plan.runs.enumerated() {
            guard case .train(_, let search?) = run.work else { continue }
            #expect(plan.runs.firstIndex { $0.name == search }.map { $0 < index } == true, "\(run.name) runs before \(search)")
        }
        #expect(plan.tableFile(.ablations, root: Self.root).path == "/data/runs/exp-quick-ablations")
    }

    /// The full size is the protocol: the default search with the schedule its runs were made with,
    /// 60,000 training and 10,000 test images.
    @Test func theFullSizeIsTheProtocolAndOtherDataSetsGetTheirOwnNames() {
        let full = ExperimentRecipe.full
        var defaultSearch = SearchConfiguration()
        #expect((defaultSearch.warmupEpochs, defaultSearch.reductionInterval) == ExperimentRecipe.earlySchedule)
        (defaultSearch.warmupEpochs, defaultSearch.reductionInterval) = (5, 2)
        #expect(full.search == defaultSearch)
        #expect((full.search.warmupEpochs, full.search.reductionInterval) == ExperimentRecipe.protocolSchedule)
        #expect(full.training.trainSize == nil && full.training.testSize == nil)
        #expect((full.training.layers, full.training.channels, full.training.batchSize, full.training.epochs) == (5, 8, 64, 4))
        #expect(full.training.optimizer == .adam && full.training.binarize == "xnor" && full.training.activations == "binary")
        #expect(full.deviation == nil && ExperimentRecipe.quick.deviation != nil)
        let synthetic = ExperimentPlan(kind: .compare, recipe: full.on(dataset: .synthetic, dataDirectory: "/d"), root: Self.root)
        #expect(synthetic.prefix == "exp-full-synthetic")
        #expect(synthetic.runs.first?.name == "exp-full-synthetic-search-react-seed-0")
        guard case .train(let configuration, _) = synthetic.runs[1].work else { return }
        #expect(configuration.dataset == "synthetic" && configuration.dataDirectory == "/d")
    }

    /// A table's header describes the search and training its rows ran: the protocol's flavour and
    /// 16 epochs for compare and ablations, the 4-epoch first row and the bnn rows for binarization.
    @Test func tableHeadersDescribeTheirOwnRows() {
        let full = ExperimentRecipe.full
        for kind in [ExperimentKind.compare, .ablations] {
            let text = full.description(for: kind)
            #expect(text.contains("Training (every row): 5 cells, C = 8, batch 64, on all training images, seed 0"), "\(kind)")
            #expect(text.contains("16 epochs with the recipe for binary networks (Adam from 0.005"), "\(kind)")
            #expect(text.components(separatedBy: "flavour react").count == 3, "\(kind): search and training both react")
            #expect(!text.contains("4 epochs") && !text.contains("xnor weights"), "\(kind)")
        }
        #expect(full.description(for: .compare).contains("seeds 0, 1, 2, one search each"))
        #expect(full.description(for: .ablations).contains("policy performance, 20 epochs (5 warm-up), a reduction step every 2 epochs, batch 64, seed 0."))
        let binarization = full.description(for: .binarization)
        #expect(binarization.contains("xnor weights with binary activations, policy performance"))
        #expect(binarization.contains("The first row trains 4 epochs with the first protocol's recipe (Adam from 0.005, weight decay 0.0, cosine per epoch)"))
        #expect(binarization.contains("rows marked `--recipe bnn` train 16 epochs with the recipe for binary networks"))
        #expect(!binarization.contains("react"))
    }

    @Test func numbersAreGroupedByThousands() {
        #expect(ExperimentRecipe.count(0) == "0")
        #expect(ExperimentRecipe.count(999) == "999")
        #expect(ExperimentRecipe.count(1_000) == "1,000")
        #expect(ExperimentRecipe.count(61_904) == "61,904")
        #expect(ExperimentRecipe.count(1_234_567) == "1,234,567")
    }
}
