import Binary
import Datasets
import Foundation
import Network
import Search

/// A change to the protocol's search that `bnas experiment compare --variant NAME` measures against the
/// protocol's own random and published rows (docs/experiments.md#search-variants): each tries one way
/// for the search to find better cells than random sampling does.
public enum SearchVariant: String, CaseIterable, Sendable {
    /// The protocol's search itself.
    case standard = "protocol"
    /// Performance scores from 10 sampling rounds of 8 validation batches each instead of 3 of 2:
    /// each sub-network's accuracy is measured on 512 images instead of 128, and averaged over more draws.
    case scoring
    /// Twice the warm-up epochs, added to the search (10 of 25 instead of 5 of 20 at full size): the
    /// weights train longer before alpha moves, the usual remedy for DARTS-style searches that favour
    /// parameter-free operations early.
    case longWarmup = "long-warmup"
    /// The search in the XNOR flavour (sign activations without thresholds, shortcuts or ApproxSign), whose
    /// one search kept more convolutions; the trainings keep the protocol's flavour.
    case xnorSearch = "xnor-search"
    /// The early schedule (`ExperimentRecipe.earlySchedule`: 2 warm-up epochs, a reduction step after every
    /// epoch): most search epochs run on a reduced space, for about half the time of policy none. The
    /// ablations measured it with one seed; three seeds say whether its cells are as good.
    case early

    /// The protocol's search changed by this variant.
    public func apply(to search: inout SearchConfiguration) {
        switch self {
        case .standard: break
        case .scoring: (search.samplingRounds, search.scoringBatches) = (10, 8)
        case .longWarmup: (search.warmupEpochs, search.epochs) = (2 * search.warmupEpochs, search.epochs + search.warmupEpochs)
        case .xnorSearch: search.binarization = BinarizationConfig(weights: .xnor, activations: .binary)
        case .early: (search.warmupEpochs, search.reductionInterval) = ExperimentRecipe.earlySchedule
        }
    }

    /// What run and table names add: "" for the protocol's search, "-VARIANT" otherwise.
    public var nameSuffix: String { self == .standard ? "" : "-\(rawValue)" }

    /// What titles and the plan's listing add to `bnas experiment compare`: "" or " --variant VARIANT".
    public var flag: String { self == .standard ? "" : " --variant \(rawValue)" }

    /// What the variant changes, for the table's header, with the numbers of `search` (the changed search).
    public func change(_ search: SearchConfiguration) -> String {
        switch self {
        case .standard: return "none"
        case .scoring:
            return "\(search.samplingRounds) sampling rounds of \(search.scoringBatches) validation batches each "
                + "(`--sampling-rounds \(search.samplingRounds) --scoring-batches \(search.scoringBatches)`)"
        case .longWarmup:
            return "\(search.warmupEpochs) warm-up epochs of \(search.epochs) (`--warmup-epochs \(search.warmupEpochs) --epochs \(search.epochs)`)"
        case .xnorSearch: return "the search in the XNOR flavour (`--binarize xnor`, no thresholds, shortcuts or ApproxSign)"
        case .early:
            return "\(search.warmupEpochs) warm-up epochs, a reduction step after every epoch "
                + "(`--warmup-epochs \(search.warmupEpochs) --reduction-interval \(search.reductionInterval)`)"
        }
    }
}

/// The size of an experiment: the search every searched row starts from and the one training recipe
/// every row is trained with. Both sizes live here and nowhere else.
///
/// The protocol (the `full` size): the default search (docs/experiments.md#the-default-search:
/// 10,000 + 10,000 Fashion-MNIST training images, 5 cells, C = 8, K = 4, XNOR with binary
/// activations, 20 epochs, policy performance) with `protocolSchedule` (5 warm-up, a reduction step
/// every 2 epochs); every genotype trained on the 60,000 training images and tested once, after the
/// last epoch, on the 10,000 test images; 1-bit weights and activations in the cells (stem and
/// classifier real) unless a row says otherwise.
public struct ExperimentRecipe: Equatable, Sendable {
    /// `quick` or `full`: the run names and table files start with `exp-NAME`.
    public var name: String
    /// The search of the "searched" rows; the ablations change its policy or K.
    public var search: SearchConfiguration
    /// The training of every row; rows change its genotype, binarization or activations.
    public var training: TrainingConfiguration
    /// Epochs of the `binarization` rows that train with the recipe for binary networks.
    public var binaryEpochs: Int
    /// How this size departs from the protocol, said under the tables (nil: it follows it).
    public var deviation: String?
    /// The binarization of `compare` and `ablations`, searches and trainings alike: the flavour the
    /// binarization experiment measured to lose least (docs/experiments.md#the-compare-protocol).
    public var flavour: BinarizationConfig
    /// One search, and so one searched genotype, per seed.
    public var searchSeeds: [UInt64]
    /// The random genotypes, `random:SEED`.
    public var randomSeeds: [UInt64]
    /// The training seeds (besides `training.seed`) the first searched genotype is trained with again,
    /// to measure the training's own noise.
    public var trainingNoiseSeeds: [UInt64]
    /// The search of the `compare` rows that search (`SearchVariant.standard`: the protocol's).
    public var searchVariant: SearchVariant = .standard

    /// The reduction schedule the ablations try against the default one: the paper's strategy with a
    /// short warm-up and a reduction step after every epoch (R = 1), so that the search spends most
    /// epochs on a reduced space (docs/experiments.md#the-compare-protocol).
    public static let earlySchedule = (warmupEpochs: 2, reductionInterval: 1)

    /// The schedule the protocol's searches ran with (5 warm-up epochs, a reduction step every 2), the
    /// default before the early schedule replaced it. The protocol keeps it, so that its runs, tables
    /// and variants stay as measured.
    public static let protocolSchedule = (warmupEpochs: 5, reductionInterval: 2)

    /// What the vetoed row's search vetoes on every edge after the warm-up: the parameter-free
    /// operations DARTS-style searches tend to collapse onto.
    public static let vetoedOperations: [OperationKind] = [.maxPool3x3, .avgPool3x3, .skipConnect]

    public init(name: String, search: SearchConfiguration, training: TrainingConfiguration, binaryEpochs: Int, deviation: String?,
                flavour: BinarizationConfig = .react, searchSeeds: [UInt64] = [0, 1, 2], randomSeeds: [UInt64] = [1, 2, 3, 4, 5],
                trainingNoiseSeeds: [UInt64] = [1, 2]) {
        self.name = name
        self.search = search
        self.training = training
        self.binaryEpochs = binaryEpochs
        self.deviation = deviation
        self.flavour = flavour
        self.searchSeeds = searchSeeds
        self.randomSeeds = randomSeeds
        self.trainingNoiseSeeds = trainingNoiseSeeds
    }

    /// `training` (its data, network and seed) with the recipe for binary networks over `binaryEpochs`.
    public var binaryTraining: TrainingConfiguration {
        var configuration = training
        configuration.epochs = binaryEpochs
        TrainingRecipe.bnn.apply(to: &configuration)
        return configuration
    }

    /// The search of `compare` and `ablations`: `search` with `flavour`.
    public var protocolSearch: SearchConfiguration {
        var configuration = search
        configuration.binarization = flavour
        return configuration
    }

    /// The training of every `compare` and `ablations` row: `binaryTraining` with `flavour`.
    public var protocolTraining: TrainingConfiguration {
        var configuration = binaryTraining
        configuration.binarization = flavour
        return configuration
    }

    /// `flavour` in run names: its label with "/" and "+" as "-" ("react", "xnor-binary").
    public var flavourTag: String {
        String(flavour.label.map { "/+".contains($0) ? "-" : $0 })
    }

    /// The protocol, sized for a few hours per experiment on a 2-core machine. `training` is the
    /// place to change layers or channels of every row at once. Its 4 epochs of Adam (lr 0.005,
    /// cosine per epoch, no weight decay; docs/experiments.md#why-adam) are the first protocol's
    /// recipe, kept for the binarization table's first row; every other row trains the epochs
    /// `bnas train` gives the recipe for binary networks (`binaryTraining`).
    public static let full = ExperimentRecipe(
        name: "full",
        search: {
            var search = SearchConfiguration()
            (search.warmupEpochs, search.reductionInterval) = protocolSchedule
            return search
        }(),
        training: TrainingConfiguration(genotype: "", binarize: "xnor", activations: "binary", layers: 5, channels: 8, epochs: 4,
                                        batchSize: 64, trainSize: nil, testSize: nil, seed: 0, optimizer: .adam,
                                        learningRate: TrainingOptimizer.adam.defaultLearningRate, weightDecay: TrainingOptimizer.adam.defaultWeightDecay),
        binaryEpochs: TrainingRecipe.bnn.epochs, deviation: nil)

    /// About ten minutes for `bnas experiment all --quick` on this machine: tiny searches (3 cells,
    /// 256 + 256 images, 8 epochs with a reduction step after each epoch but the first, so that every
    /// edge still ends with one operation) and one epoch of training on 2,000 images, tested on 1,000
    /// (two with the recipe for binary networks, so that two-step training has one epoch a step).
    public static let quick: ExperimentRecipe = {
        var search = SearchConfiguration()
        search.layers = 3
        search.trainSize = 256
        search.epochs = 8
        search.warmupEpochs = 1
        search.reductionInterval = 1
        return ExperimentRecipe(
            name: "quick", search: search,
            training: TrainingConfiguration(genotype: "", binarize: "xnor", activations: "binary", layers: 5, channels: 8, epochs: 1,
                                            batchSize: 64, trainSize: 2_000, testSize: 1_000, seed: 0, optimizer: .adam,
                                            learningRate: TrainingOptimizer.adam.defaultLearningRate, weightDecay: TrainingOptimizer.adam.defaultWeightDecay),
            binaryEpochs: 2, deviation: "the quick size departs from the protocol (60,000 training and 10,000 test images, the default search): "
                + "its numbers show that the pipeline runs, not how good the genotypes are",
            searchSeeds: [0, 1], randomSeeds: [1, 2, 3], trainingNoiseSeeds: [1])
    }()

    public static func named(quick: Bool) -> ExperimentRecipe { quick ? .quick : .full }

    /// This recipe on another data set (or the same one read from another folder).
    public func on(dataset: DatasetKind, dataDirectory: String?) -> ExperimentRecipe {
        var recipe = self
        recipe.search.dataset = dataset.rawValue
        recipe.search.dataDirectory = dataDirectory
        recipe.training.dataset = dataset.rawValue
        recipe.training.dataDirectory = dataDirectory
        return recipe
    }

    /// The header paragraph of `kind`'s table, written from the configurations its rows run: the
    /// protocol's flavour and 16-epoch training for `compare` and `ablations`, the default search and
    /// the two training recipes for `binarization`.
    public func description(for kind: ExperimentKind) -> String {
        let dataset = DatasetKind(rawValue: training.dataset)?.displayName ?? training.dataset
        let protocolRows = kind != .binarization
        var s = protocolRows ? protocolSearch : search
        if kind == .compare { searchVariant.apply(to: &s) }
        let t = protocolRows ? protocolTraining : training
        let seeds: String
        if kind == .compare {
            seeds = "seed\(searchSeeds.count == 1 ? "" : "s") \(searchSeeds.map(String.init).joined(separator: ", ")), one search each"
        } else {
            seeds = "seed \(s.seed)"
        }
        let schedule = "a reduction step every \(s.reductionInterval == 1 ? "epoch" : "\(s.reductionInterval) epochs")"
        let searchSentence = "Search: \(Self.count(s.trainSize)) + \(Self.count(s.trainSize)) training images, \(s.layers) cells, "
            + "C = \(s.channels), K = \(s.partialK), \(Self.describe(s.binarization)), policy \(s.policy.rawValue), \(s.epochs) epochs "
            + "(\(s.warmupEpochs) warm-up), \(schedule), batch \(s.batchSize), \(seeds)."
        let trainImages = t.trainSize.map { "\(Self.count($0)) of the training images" } ?? "all training images"
        let testImages = t.testSize.map { "the first \(Self.count($0)) test images" } ?? "all test images"
        let network = "\(t.layers) cells, C = \(t.channels), batch \(t.batchSize), on \(trainImages), seed \(t.seed), "
            + "the final model tested once on \(testImages)"
        let trainingSentence: String
        if protocolRows {
            trainingSentence = "Training (every row): \(network); \(t.epochs) epochs with the recipe for binary networks "
                + "(\(t.recipeSummary)); cells \(Self.describe(t.binarization)) unless the row says otherwise."
        } else {
            let b = binaryTraining
            trainingSentence = "Training (every row): \(network); cells \(Self.describe(t.binarization)) unless the row says otherwise. "
                + "The first row trains \(t.epochs) epoch\(t.epochs == 1 ? "" : "s") with the first protocol's recipe (\(t.recipeSummary)); "
                + "rows marked `--recipe bnn` train \(b.epochs) epochs with the recipe for binary networks (\(b.recipeSummary)); "
                + "each row after it adds one thing to it (the summary compares the two), the last but one all of them."
        }
        let variant = kind == .compare && searchVariant != .standard
            ? " Search variant `\(searchVariant.rawValue)`: \(searchVariant.change(s)); the random and published rows are the protocol's own runs."
            : ""
        return "Recipe `\(name)` on \(dataset). \(searchSentence)\(variant) \(trainingSentence) "
            + "Stem and classifier are real-valued; a full-precision row's images/s are its float network's."
    }

    /// "react (XNOR weights, sign activations with ...)", "xnor weights with binary activations", "full precision".
    static func describe(_ binarization: BinarizationConfig) -> String {
        if !binarization.isBinary { return "full precision" }
        if binarization == .react {
            return "flavour react (XNOR weights; sign activations with learnable thresholds and RPReLU; real-valued shortcuts; ApproxSign)"
        }
        let options = [(binarization.thresholds, "learnable thresholds"), (binarization.shortcuts, "real-valued shortcuts"),
                       (binarization.signGradient == .approx, "ApproxSign")].filter(\.0).map(\.1)
        return "\(binarization.weights.rawValue) weights with \(binarization.activations.rawValue) activations"
            + (options.isEmpty ? "" : " (" + options.joined(separator: ", ") + ")")
    }

    /// 60000 -> "60,000".
    static func count(_ value: Int) -> String {
        let digits = String(value)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return grouped
    }
}
