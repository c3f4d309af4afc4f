import Binary
import Datasets
import Network
import Tensor

/// How operations leave the search space (`--policy`, docs/algorithms.md#operation-space-reduction).
public enum ReductionPolicyKind: String, Codable, CaseIterable, Sendable {
    /// BNAS: sub-networks sampled from the least likely half of each edge are scored on validation
    /// batches; the op with the lowest kept likelihood S(o) goes.
    case performance
    /// Ablation: the op with the lowest softmax(alpha) on each edge goes.
    case alpha
    /// Plain PC-DARTS: nothing is removed; the genotype is derived at the end.
    case none
}

/// Everything that decides a search; written to `runs/NAME/config.json` and read back by `--resume`.
/// The defaults are a search a laptop finishes while you watch (docs/experiments.md#the-default-search).
public struct SearchConfiguration: Codable, Equatable, Sendable {
    public var dataset: String = DatasetKind.fashionMNIST.rawValue
    public var dataDirectory: String?
    public var binarize: WeightBinarization = .xnor
    public var activations: ActivationPrecision = .binary
    public var policy: ReductionPolicyKind = .performance
    /// Cells of the supernet (reductions at layers/3 and 2*layers/3).
    public var layers: Int = 5
    /// C of the first cells.
    public var channels: Int = 8
    /// PC-DARTS's K: 1/K of the channels go through the mixed operation (docs/algorithms.md#partial-channels).
    public var partialK: Int = 4
    public var epochs: Int = 20
    /// Epochs of weight steps only, with alpha and beta frozen (docs/algorithms.md#bi-level-optimisation).
    /// The default is the early schedule: 2 warm-up epochs and a reduction step after every search epoch
    /// (R = 1), which searches in about three quarters of the time of the 5-and-2 schedule (half that of
    /// a search without reduction) with cells as good (docs/experiments.md#the-default-search).
    public var warmupEpochs: Int = 2
    /// Epochs of search between two reduction steps (R of docs/algorithms.md#operation-space-reduction).
    public var reductionInterval: Int = 1
    /// Sampling rounds per reduction step (T of docs/algorithms.md#operation-space-reduction).
    public var samplingRounds: Int = 3
    /// Validation batches each sampled sub-network is scored on.
    public var scoringBatches: Int = 2
    public var batchSize: Int = 64
    /// Images for the weight steps; as many again, disjoint, for the architecture steps.
    public var trainSize: Int = 10_000
    public var seed: UInt64 = 0
    /// Weight optimiser (docs/algorithms.md#bi-level-optimisation): SGD, cosine from `learningRate`
    /// to `minimumLearningRate`.
    public var learningRate: Float = 0.1
    public var minimumLearningRate: Float = 0
    public var momentum: Float = 0.9
    public var weightDecay: Float = 3e-4
    public var gradientClip: Float = 5
    /// Architecture optimiser (docs/algorithms.md#bi-level-optimisation): Adam on alpha and beta.
    public var architectureLearningRate: Float = 6e-4
    public var architectureBeta1: Float = 0.5
    public var architectureBeta2: Float = 0.999
    public var architectureWeightDecay: Float = 1e-3
    /// The ReAct flavour's options of `binarization` (nil, as in runs written before they existed: off).
    public var thresholds: Bool?
    public var shortcuts: Bool?
    public var signGradient: SignGradient?
    /// Operations vetoed on every edge of both cells when the warm-up ends (`--veto`), through the
    /// session's command queue as the dashboard's `x` vetoes one; nil: none.
    public var vetoes: [OperationKind]?

    public init() {}

    /// The binarization of the supernet's cells; setting it writes each option that is off as nil,
    /// so that config.json names only the options in use.
    public var binarization: BinarizationConfig {
        get {
            BinarizationConfig(weights: binarize, activations: activations, thresholds: thresholds ?? false, shortcuts: shortcuts ?? false,
                               signGradient: signGradient ?? .ste)
        }
        set {
            (binarize, activations) = (newValue.weights, newValue.activations)
            thresholds = newValue.thresholds ? true : nil
            shortcuts = newValue.shortcuts ? true : nil
            signGradient = newValue.signGradient == .ste ? nil : newValue.signGradient
        }
    }

    /// The data set kind named by `dataset`.
    public var datasetKind: DatasetKind? { DatasetKind(rawValue: dataset) }

    /// Refuses impossible settings before anything starts, with the reason and the flag to fix.
    public func validate() throws {
        func fail(_ message: String) -> SearchConfigurationError { SearchConfigurationError(message) }
        guard datasetKind != nil else {
            throw fail("unknown data set '\(dataset)': use one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard epochs > 0 else { throw fail("--epochs must be at least 1, got \(epochs)") }
        guard warmupEpochs >= 0, warmupEpochs < epochs else {
            throw fail("--warmup-epochs must be in 0..<epochs (\(epochs)), got \(warmupEpochs): the search needs at least one epoch with architecture steps")
        }
        guard reductionInterval > 0 else { throw fail("--reduction-interval must be at least 1, got \(reductionInterval)") }
        guard samplingRounds > 0 else { throw fail("--sampling-rounds must be at least 1, got \(samplingRounds)") }
        guard scoringBatches > 0 else { throw fail("--scoring-batches must be at least 1, got \(scoringBatches)") }
        guard partialK > 0 else { throw fail("--partial-k must be at least 1, got \(partialK)") }
        guard channels > 0, channels % partialK == 0 else {
            throw fail("--partial-k \(partialK) must divide --channels \(channels): PC-DARTS sends C/K channels through the mixed operation")
        }
        guard channels % 2 == 0 else { throw fail("--channels must be even (FactorizedReduce halves them), got \(channels)") }
        guard layers >= 3 else { throw fail("--layers must be at least 3 (two reduction cells), got \(layers)") }
        guard batchSize > 0 else { throw fail("--batch-size must be at least 1, got \(batchSize)") }
        guard trainSize >= batchSize else {
            throw fail("--train-size \(trainSize) is smaller than one batch (\(batchSize)): nothing to train on")
        }
        guard learningRate > 0, learningRate.isFinite else { throw fail("--learning-rate must be positive, got \(learningRate)") }
        guard architectureLearningRate > 0, architectureLearningRate.isFinite else {
            throw fail("--arch-learning-rate must be positive, got \(architectureLearningRate)")
        }
        if let vetoes {
            let kept = OperationKind.allCases.filter { $0 != .none && !vetoes.contains($0) }
            guard !kept.isEmpty else { throw fail("--veto would leave no operation but none on an edge: keep at least one") }
        }
    }

    /// The `bnas search --headless` arguments of this configuration (after `bnas`), every setting
    /// that has a flag spelled out.
    public var searchArguments: [String] {
        var arguments = ["search", "--headless", "--dataset", dataset]
        if let dataDirectory { arguments += ["--data-dir", dataDirectory] }
        arguments += ["--binarize", binarize.rawValue, "--activations", activations.rawValue]
        if let thresholds { arguments += ["--thresholds", thresholds ? "on" : "off"] }
        if let shortcuts { arguments += ["--shortcuts", shortcuts ? "on" : "off"] }
        if let signGradient { arguments += ["--sign-gradient", signGradient.rawValue] }
        arguments += ["--policy", policy.rawValue, "--layers", "\(layers)", "--channels", "\(channels)", "--partial-k", "\(partialK)",
                      "--epochs", "\(epochs)", "--warmup-epochs", "\(warmupEpochs)", "--reduction-interval", "\(reductionInterval)",
                      "--sampling-rounds", "\(samplingRounds)", "--scoring-batches", "\(scoringBatches)", "--batch-size", "\(batchSize)",
                      "--train-size", "\(trainSize)", "--learning-rate", "\(learningRate)",
                      "--arch-learning-rate", "\(architectureLearningRate)", "--seed", "\(seed)"]
        if let vetoes { arguments += ["--veto", vetoes.map(\.rawValue).joined(separator: ",")] }
        return arguments
    }

    /// The epoch (0-based) after which the reduction steps come: epochs warmup+R-1, warmup+2R-1, ...
    public func isReductionEpoch(_ epoch: Int) -> Bool {
        policy != .none && epoch >= warmupEpochs && (epoch - warmupEpochs + 1) % reductionInterval == 0
    }
}

public struct SearchConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    package init(_ description: String) { self.description = description }
}
