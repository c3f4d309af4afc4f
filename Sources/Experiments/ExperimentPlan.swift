import Datasets
import Foundation
import Network
import Search

/// The comparisons `bnas experiment` runs.
public enum ExperimentKind: String, CaseIterable, Sendable {
    /// The searched genotype against random and published ones, and at full precision.
    case compare
    /// Reduction policy, weight binarization, K and activation precision, one at a time.
    case ablations
    /// The paper's XNOR training against the recipe for binary networks, each of its additions on
    /// its own and all together, and full precision with the same recipe.
    case binarization
    /// compare and ablations (their shared runs run once).
    case all

    /// The tables this experiment writes.
    public var tables: [ExperimentKind] { self == .all ? [.compare, .ablations] : [self] }
}

/// One run of an experiment: a search or a training, in its own run folder.
public struct PlannedRun: Equatable, Sendable {
    public enum Work: Equatable, Sendable {
        case search(SearchConfiguration)
        /// A training; `search` names the run whose genotype.json it trains, if any.
        case train(TrainingConfiguration, search: String?)
    }

    /// The run folder's name under the runs root.
    public var name: String
    public var work: Work
}

/// What kind of row a table shows.
public enum RowGroup: String, Sendable {
    case searched, random, published
    /// A search with operations vetoed by script, as a user vetoes them in the dashboard.
    case vetoed
    case fullPrecision = "full-precision"
    /// The first searched genotype trained again with other training seeds: how far one genotype's
    /// accuracy moves with the training's seed alone.
    case trainingNoise = "training-noise"
    case ablation
}

/// One row of a table: a trained genotype, and the search that found it when there is one.
public struct ExperimentRow: Equatable, Sendable {
    /// Which table it belongs to.
    public var table: ExperimentKind
    /// A stable identifier (`searched`, `random-1`, `policy-none`, …) the summary and the targets refer to.
    public var key: String
    /// What the table shows in its first column.
    public var label: String
    public var group: RowGroup
    public var searchRun: String?
    public var trainRun: String
}

/// Every row of an experiment and the runs behind them, in the order they run.
///
/// Run folders are named `exp-SIZE[-DATASET]-search-VARIANT` and `exp-SIZE[-DATASET]-train-VARIANT`
/// (the data set only when it is not Fashion-MNIST), e.g. `exp-quick-search-performance`,
/// `exp-quick-train-random-1`, `exp-full-train-searched-pcnn`. A run shared by two rows or two
/// tables (the performance search, the searched XNOR training) is planned once.
public struct ExperimentPlan: Equatable, Sendable {
    public var kind: ExperimentKind
    public var recipe: ExperimentRecipe
    public var rows: [ExperimentRow]
    public var runs: [PlannedRun]
    /// The prefix of every run and table file name: `exp-SIZE[-DATASET]`.
    public var prefix: String

    /// The plan of `kind` at `recipe`'s size, with run folders under `root`.
    public init(kind: ExperimentKind, recipe: ExperimentRecipe, root: URL) {
        self.kind = kind
        self.recipe = recipe
        let dataset = recipe.training.dataset
        prefix = "exp-\(recipe.name)" + (dataset == DatasetKind.fashionMNIST.rawValue ? "" : "-\(dataset)")
        rows = []
        runs = []
        for table in kind.tables {
            switch table {
            case .compare: planCompare(root: root)
            case .ablations: planAblations(root: root)
            case .binarization: planBinarization(root: root)
            case .all: continue
            }
        }
    }

    /// The table file of one experiment without its extension: `root/exp-SIZE[-DATASET]-KIND`.
    public func tableFile(_ table: ExperimentKind, root: URL) -> URL {
        root.appendingPathComponent("\(prefix)-\(table.rawValue)" + (table == .compare ? recipe.searchVariant.nameSuffix : ""))
    }

    /// The table's title: "bnas experiment compare --variant scoring (full size)".
    public func title(_ table: ExperimentKind) -> String {
        "bnas experiment \(table.rawValue)\(table == .compare ? recipe.searchVariant.flag : "") (\(recipe.name) size)"
    }

    public func run(named name: String) -> PlannedRun? { runs.first { $0.name == name } }

    /// The `bnas train` command that reproduces the training of `row` (given its search's genotype).
    public func command(_ row: ExperimentRow) -> String {
        guard let run = run(named: row.trainRun), case .train(let configuration, _) = run.work else { return "" }
        return (["bnas"] + configuration.trainArguments).map(Self.shellQuoted).joined(separator: " ")
    }

    /// The `bnas search` command that reproduces the search of `row` (nil: the row has none).
    public func searchCommand(_ row: ExperimentRow) -> String? {
        guard let name = row.searchRun, let run = run(named: name), case .search(let configuration) = run.work else { return nil }
        return (["bnas"] + configuration.searchArguments + ["--run", name]).map(Self.shellQuoted).joined(separator: " ")
    }

    /// `text` as one shell word.
    static func shellQuoted(_ text: String) -> String {
        let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=+,".contains($0) }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    // MARK: - The rows

    /// The protocol (docs/experiments.md#the-compare-protocol): a search per seed, the random and
    /// published genotypes, each searched genotype at full precision, a search whose
    /// parameter-free operations are vetoed after the warm-up, and the first searched genotype
    /// trained with other training seeds; every row trained once with `recipe.protocolTraining`.
    private mutating func planCompare(root: URL) {
        let tag = recipe.flavourTag
        let variant = recipe.searchVariant
        for seed in recipe.searchSeeds {
            let searched = protocolSearch(seed: seed, variant: variant)
            addRow(.compare, "searched-\(seed)", "searched (seed \(seed))", .searched, search: searched,
                   train: train("\(tag)\(variant.nameSuffix)-searched-seed-\(seed)", genotype: searched, root: root, recipe: recipe.protocolTraining))
        }
        for seed in recipe.randomSeeds {
            addRow(.compare, "random-\(seed)", "random:\(seed)", .random, search: nil,
                   train: train("\(tag)-random-\(seed)", genotype: "random:\(seed)", recipe: recipe.protocolTraining))
        }
        for (name, label) in [("pc-darts", "PC-DARTS (published)"), ("darts-v2", "DARTS V2 (published)"), ("bnas-xnor", "BNAS XNOR (published)")] {
            addRow(.compare, name, label, .published, search: nil, train: train("\(tag)-\(name)", genotype: name, recipe: recipe.protocolTraining))
        }
        // A variant is measured by its searched rows against the same random ones; the vetoed,
        // full-precision and training-noise rows belong to the protocol's search.
        guard variant == .standard else { return }
        var vetoedSearch = recipe.protocolSearch
        vetoedSearch.seed = recipe.searchSeeds.first ?? vetoedSearch.seed
        vetoedSearch.vetoes = ExperimentRecipe.vetoedOperations
        let vetoed = search("\(tag)-vetoed") { $0 = vetoedSearch }
        addRow(.compare, "vetoed", "searched, \(ExperimentRecipe.vetoedOperations.map(\.rawValue).joined(separator: ", ")) vetoed after the warm-up",
               .vetoed, search: vetoed, train: train("\(tag)-vetoed", genotype: vetoed, root: root, recipe: recipe.protocolTraining))
        for seed in recipe.searchSeeds {
            let searched = protocolSearch(seed: seed)
            addRow(.compare, "full-precision-\(seed)", "searched (seed \(seed)), full precision", .fullPrecision, search: searched,
                   train: train("\(tag)-searched-seed-\(seed)-float", genotype: searched, root: root, recipe: recipe.protocolTraining) {
                       $0.binarization = .init(weights: .none, activations: .binary)
                   })
        }
        if let seed = recipe.searchSeeds.first {
            let searched = protocolSearch(seed: seed)
            for trainingSeed in recipe.trainingNoiseSeeds where trainingSeed != recipe.protocolTraining.seed {
                addRow(.compare, "training-noise-\(trainingSeed)", "searched (seed \(seed)), training seed \(trainingSeed)", .trainingNoise,
                       search: searched,
                       train: train("\(tag)-searched-seed-\(seed)-training-seed-\(trainingSeed)", genotype: searched, root: root,
                                    recipe: recipe.protocolTraining) { $0.seed = trainingSeed })
            }
        }
    }

    /// Reduction policy, weight binarization, K and activation precision, one at a time, from the
    /// first seed's protocol search and training.
    private mutating func planAblations(root: URL) {
        let tag = recipe.flavourTag
        let seed = recipe.searchSeeds.first ?? recipe.search.seed
        let searched = protocolSearch(seed: seed)
        let baseline = train("\(tag)-searched-seed-\(seed)", genotype: searched, root: root, recipe: recipe.protocolTraining)
        var seeded = recipe.protocolSearch
        seeded.seed = seed
        func variant(_ name: String, _ change: (inout SearchConfiguration) -> Void) -> String {
            var configuration = seeded
            change(&configuration)
            return search("\(tag)-\(name)") { $0 = configuration }
        }
        for policy in ReductionPolicyKind.allCases {
            let found = policy == .performance ? searched : variant(policy.rawValue) { $0.policy = policy }
            let trained = policy == .performance ? baseline
                : train("\(tag)-searched-\(policy.rawValue)", genotype: found, root: root, recipe: recipe.protocolTraining)
            addRow(.ablations, "policy-\(policy.rawValue)", "policy \(policy.rawValue)", .ablation, search: found, train: trained)
        }
        // The same runs as the first seed of `compare --variant early`.
        let early = protocolSearch(seed: seed, variant: .early)
        let schedule = ExperimentRecipe.earlySchedule
        addRow(.ablations, "schedule-early", "policy performance, \(schedule.warmupEpochs) warm-up epochs, a reduction every epoch "
               + "(--warmup-epochs \(schedule.warmupEpochs) --reduction-interval \(schedule.reductionInterval))", .ablation, search: early,
               train: train("\(tag)\(SearchVariant.early.nameSuffix)-searched-seed-\(seed)", genotype: early, root: root,
                            recipe: recipe.protocolTraining))
        addRow(.ablations, "weights-xnor", "XNOR weights", .ablation, search: searched, train: baseline)
        addRow(.ablations, "weights-pcnn", "PCNN weights (--binarize pcnn)", .ablation, search: searched,
               train: train("\(tag)-searched-pcnn", genotype: searched, root: root, recipe: recipe.protocolTraining) {
                   $0.binarization.weights = .pcnn
               })
        let k1 = variant("k1") { $0.partialK = 1 }
        addRow(.ablations, "k-\(recipe.search.partialK)", "K = \(recipe.search.partialK)", .ablation, search: searched, train: baseline)
        addRow(.ablations, "k-1", "K = 1 (--partial-k 1)", .ablation, search: k1,
               train: train("\(tag)-searched-k1", genotype: k1, root: root, recipe: recipe.protocolTraining))
        addRow(.ablations, "activations-binary", "binary activations", .ablation, search: searched, train: baseline)
        addRow(.ablations, "activations-real", "real activations (--activations real)", .ablation, search: searched,
               train: train("\(tag)-searched-real-activations", genotype: searched, root: root, recipe: recipe.protocolTraining) {
                   // Thresholds and the sign's derivative belong to sign activations.
                   $0.binarization.activations = .real
                   $0.binarization.thresholds = false
                   $0.binarization.signGradient = .ste
               })
    }

    /// The protocol's search with `seed`, changed by `variant`; one that comes out as the default
    /// search (seed 0 in the XNOR flavour) is that search itself.
    private mutating func protocolSearch(seed: UInt64, variant: SearchVariant = .standard) -> String {
        var configuration = recipe.protocolSearch
        variant.apply(to: &configuration)
        configuration.seed = seed
        if configuration == recipe.search { return search("performance") { _ in } }
        return search("\(recipe.flavourTag)\(variant.nameSuffix)-seed-\(seed)") { $0 = configuration }
    }

    /// The default search's genotype trained as the paper does (`recipe.training`, the first protocol), then with the
    /// recipe for binary networks (`recipe.binaryTraining`) alone, with each addition, with all of
    /// them, and in full precision. The full-precision run comes before the distilled ones, whose
    /// teacher it is. The flavour rows add the ReAct flavour's parts to XNOR
    /// (docs/algorithms.md#react-flavour); "all" is the `react` preset with two-step and distillation.
    private mutating func planBinarization(root: URL) {
        let searched = search("performance") { _ in }
        addRow(.binarization, "paper-xnor", "XNOR, the first protocol's recipe (\(recipe.training.epochs) epoch\(recipe.training.epochs == 1 ? "" : "s"), cosine per epoch)",
               .ablation, search: searched, train: train("searched", genotype: searched, root: root))
        func binary(_ variant: String, _ change: (inout TrainingConfiguration) -> Void = { _ in }) -> String {
            train("searched-bnn\(variant)", genotype: searched, root: root, recipe: recipe.binaryTraining, change)
        }
        let float = "searched-bnn-float"
        let teacher = root.appendingPathComponent("\(prefix)-train-\(float)").relativePath
        let distil = { (configuration: inout TrainingConfiguration) in
            configuration.teacher = teacher
            configuration.distillWeight = Distillation.defaultWeight
        }
        let twoStep = { (configuration: inout TrainingConfiguration) in
            configuration.firstStepEpochs = configuration.epochs / 2
            TrainingRecipe.bnn.apply(to: &configuration)
        }
        addRow(.binarization, "recipe", "recipe for binary networks (--recipe bnn)", .ablation, search: searched, train: binary(""))
        addRow(.binarization, "two-step", "+ two-step training (--two-step)", .ablation, search: searched, train: binary("-two-step", twoStep))
        let floatRun = binary("-float") { $0.binarize = "none" }
        addRow(.binarization, "distillation", "+ distillation from the full-precision row (--teacher)", .ablation, search: searched,
               train: binary("-distill", distil))
        addRow(.binarization, "thresholds", "+ learnable thresholds and RPReLU (--thresholds on)", .ablation, search: searched,
               train: binary("-thresholds") { $0.binarization.thresholds = true })
        addRow(.binarization, "shortcuts", "+ real-valued shortcuts (--shortcuts on)", .ablation, search: searched,
               train: binary("-shortcuts") { $0.binarization.shortcuts = true })
        addRow(.binarization, "all", "all together (--binarize react: thresholds, shortcuts, ApproxSign; two-step, distillation)", .ablation,
               search: searched, train: binary("-all") {
                   $0.binarization = .react
                   twoStep(&$0)
                   distil(&$0)
               })
        addRow(.binarization, "full-precision", "full precision, the same recipe (--binarize none)", .fullPrecision, search: searched,
               train: floatRun)
    }

    // MARK: - The runs

    private mutating func addRow(_ table: ExperimentKind, _ key: String, _ label: String, _ group: RowGroup, search: String?, train: String) {
        rows.append(ExperimentRow(table: table, key: key, label: label, group: group, searchRun: search, trainRun: train))
    }

    /// Plans the search `variant` (the recipe's search changed by `change`) and returns its run name.
    private mutating func search(_ variant: String, _ change: (inout SearchConfiguration) -> Void) -> String {
        var configuration = recipe.search
        change(&configuration)
        return add(PlannedRun(name: "\(prefix)-search-\(variant)", work: .search(configuration)))
    }

    /// Plans the training `variant` of a built-in or random genotype, with the training `recipe` (the
    /// size's `training` unless given) changed by `change`.
    private mutating func train(_ variant: String, genotype: String, recipe training: TrainingConfiguration? = nil,
                                _ change: (inout TrainingConfiguration) -> Void = { _ in }) -> String {
        var configuration = training ?? recipe.training
        configuration.genotype = genotype
        change(&configuration)
        return add(PlannedRun(name: "\(prefix)-train-\(variant)", work: .train(configuration, search: nil)))
    }

    /// Plans the training `variant` of the genotype the search run `search` finds, with the training
    /// `recipe` (the size's `training` unless given) changed by `change`.
    private mutating func train(_ variant: String, genotype search: String, root: URL, recipe training: TrainingConfiguration? = nil,
                                _ change: (inout TrainingConfiguration) -> Void = { _ in }) -> String {
        var configuration = training ?? recipe.training
        configuration.genotype = root.appendingPathComponent(search).appendingPathComponent("genotype.json").relativePath
        change(&configuration)
        return add(PlannedRun(name: "\(prefix)-train-\(variant)", work: .train(configuration, search: search)))
    }

    private mutating func add(_ run: PlannedRun) -> String {
        if !runs.contains(where: { $0.name == run.name }) { runs.append(run) }
        return run.name
    }
}
