import Binary
import Datasets
import Foundation
import Tensor

/// The optimizer of a training run's weights.
public enum TrainingOptimizer: String, Codable, CaseIterable, Sendable {
    /// SGD with momentum and weight decay: the DARTS final-training recipe (docs/algorithms.md#training-recipe).
    case sgd
    /// Adam, which binarized networks train better with: latent weights whose signs must flip get
    /// steps of the same size whatever their gradient's scale.
    case adam

    /// The learning rate used when none is given.
    public var defaultLearningRate: Float { self == .sgd ? 0.05 : 0.005 }
    /// The weight decay used when none is given (none for Adam: decay would only shrink the latent
    /// weights that binarization maps to +-a anyway).
    public var defaultWeightDecay: Float { self == .sgd ? 3e-4 : 0 }
}

/// Everything that decides a training run; written to `runs/NAME/config.json`.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var genotype: String
    public var dataset: String
    public var dataDirectory: String?
    public var binarize: String
    public var activations: String
    public var layers: Int
    public var channels: Int
    public var epochs: Int
    public var batchSize: Int
    /// Training images used (nil = the whole training set).
    public var trainSize: Int?
    /// Test images used: the first N of the test split (nil = all of them).
    public var testSize: Int?
    public var seed: UInt64
    /// nil in runs written before the choice existed, which trained with SGD.
    public var optimizer: TrainingOptimizer?
    public var learningRate: Float
    public var minimumLearningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var gradientClip: Float
    public var auxiliaryWeight: Float
    public var dropPath: Float
    public var cropPadding: Int
    public var cutout: Int
    /// The ReAct flavour's options of `binarization` (nil, as in runs written before they existed: off).
    public var thresholds: Bool?
    public var shortcuts: Bool?
    public var signGradient: SignGradient?

    // The training recipe for binary networks (docs/algorithms.md#training-recipe). Runs written
    // before these settings existed have none of them, and nil keeps the behaviour those runs had.
    /// The learning rate set at every step: a linear warm-up, then this decay to `minimumLearningRate`
    /// at the last step. nil: set once per epoch, cosine over the epochs (the DARTS recipe).
    public var schedule: LearningRateDecay?
    /// Epochs of warm-up (a fraction is fine) at the start of each training step; nil: none.
    public var warmupEpochs: Double?
    /// Weight decay of the binarized convolutions' latent weights; nil: `weightDecay`, as every weight.
    public var latentWeightDecay: Float?
    /// Whether latent weights are clipped to [-1, 1] after every optimizer step; nil: not clipped.
    public var clipLatentWeights: Bool?
    /// Two-step training: the first `firstStepEpochs` epochs binarize only the activations (real
    /// weights), the rest the weights too, starting from the first step's weights. nil: one step.
    public var firstStepEpochs: Int?
    /// The run folder of a finished full-precision training of the same genotype (distillation); nil: none.
    public var teacher: String?
    /// W in the loss (1 - W) CE + W KL(p_teacher || p_student), with a teacher.
    public var distillWeight: Float?

    public init(genotype: String, dataset: String = "fashion-mnist", dataDirectory: String? = nil, binarize: String = "none",
                activations: String = "binary",
                layers: Int = 6, channels: Int = 16, epochs: Int = 10, batchSize: Int = 64, trainSize: Int? = nil,
                testSize: Int? = nil, seed: UInt64 = 0, optimizer: TrainingOptimizer = .sgd, learningRate: Float = 0.05, minimumLearningRate: Float = 0, momentum: Float = 0.9,
                weightDecay: Float = 3e-4, gradientClip: Float = 5, auxiliaryWeight: Float = 0, dropPath: Float = 0,
                cropPadding: Int = 0, cutout: Int = 0, schedule: LearningRateDecay? = nil, warmupEpochs: Double? = nil,
                latentWeightDecay: Float? = nil, clipLatentWeights: Bool? = nil, firstStepEpochs: Int? = nil,
                teacher: String? = nil, distillWeight: Float? = nil, thresholds: Bool? = nil, shortcuts: Bool? = nil,
                signGradient: SignGradient? = nil) {
        self.genotype = genotype
        self.dataset = dataset
        self.dataDirectory = dataDirectory
        self.binarize = binarize
        self.activations = activations
        self.layers = layers
        self.channels = channels
        self.epochs = epochs
        self.batchSize = batchSize
        self.trainSize = trainSize
        self.testSize = testSize
        self.seed = seed
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.minimumLearningRate = minimumLearningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.gradientClip = gradientClip
        self.auxiliaryWeight = auxiliaryWeight
        self.dropPath = dropPath
        self.cropPadding = cropPadding
        self.cutout = cutout
        self.thresholds = thresholds
        self.shortcuts = shortcuts
        self.signGradient = signGradient
        self.schedule = schedule
        self.warmupEpochs = warmupEpochs
        self.latentWeightDecay = latentWeightDecay
        self.clipLatentWeights = clipLatentWeights
        self.firstStepEpochs = firstStepEpochs
        self.teacher = teacher
        self.distillWeight = distillWeight
    }
}

extension TrainingConfiguration {
    /// The run's `config.json`, with a one-line reason when it is missing or unreadable.
    public static func read(from folder: RunFolder) throws -> TrainingConfiguration {
        let url = folder.file("config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunFolderError.cannotRead(url.path, "no config.json: is \(folder.url.path) a bnas training run?")
        }
        do {
            return try JSONDecoder().decode(TrainingConfiguration.self, from: data)
        } catch {
            throw RunFolderError.damaged(url.path, "not a training configuration (\(JSONErrorReason.describe(error)))")
        }
    }

    /// The optimizer, SGD for runs that predate the choice.
    public var weightOptimizer: TrainingOptimizer { optimizer ?? .sgd }

    /// The binarization of the cells; setting it writes each option that is off as nil, so that
    /// config.json names only the options in use.
    public var binarization: BinarizationConfig {
        get {
            BinarizationConfig(weights: WeightBinarization(rawValue: binarize) ?? .none, activations: ActivationPrecision(rawValue: activations) ?? .binary,
                               thresholds: thresholds ?? false, shortcuts: shortcuts ?? false, signGradient: signGradient ?? .ste)
        }
        set {
            (binarize, activations) = (newValue.weights.rawValue, newValue.activations.rawValue)
            thresholds = newValue.thresholds ? true : nil
            shortcuts = newValue.shortcuts ? true : nil
            signGradient = newValue.signGradient == .ste ? nil : newValue.signGradient
        }
    }

    /// The training split (limited to `trainSize` by a seeded draw) and the test split (its first `testSize` images).
    public func loadData() throws -> DatasetSplits {
        guard let kind = DatasetKind(rawValue: dataset) else {
            throw DatasetError.invalidSetting("unknown data set '\(dataset)': use one of \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let splits = try DatasetLoader.load(kind, dataDirectory: dataDirectory, trainLimit: trainSize, seed: seed)
        guard let testSize, testSize < splits.test.count else { return splits }
        guard testSize > 0 else { throw DatasetError.invalidSetting("the test set size must be positive, not \(testSize)") }
        return DatasetSplits(train: splits.train, test: splits.test.subset(Array(0..<testSize)))
    }

    /// The network this configuration trains on `data`'s images.
    public func networkShape(for data: Dataset) -> NetworkShape {
        NetworkShape(inputChannels: data.channels, imageSize: data.height, classes: data.classes, layers: layers, channels: channels,
                     auxiliary: auxiliaryWeight > 0, binarization: binarization)
    }
}

/// One epoch of training, as reported to the caller and written to metrics.csv.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// What a finished training run measured; written to `runs/NAME/results.json`.
public struct TrainingResults: Codable, Equatable, Sendable {
    public var genotype: Genotype
    public var testAccuracy: Double
    public var testLoss: Double
    public var parameters: Int
    public var parametersExcludingAuxiliary: Int
    /// Weights stored with one bit (binarized cell convolutions).
    public var binaryParameters: Int
    /// Weights kept in 32 bits (stem, batch norms, classifier; every weight of a float network).
    public var floatParameters: Int
    public var trainSeconds: Double
    public var evaluationSeconds: Double
    public var epochs: [EpochMetrics]
}
