import ArgumentParser
import Datasets
import Foundation
import Binary
import Network
import Tensor

extension TrainingOptimizer: ExpressibleByArgument {}
extension TrainingRecipe: ExpressibleByArgument {}
extension LearningRateDecay: ExpressibleByArgument {}


/// Where the data comes from; shared by the commands that load a data set.
struct DataOptions: ParsableArguments {
    @Option(help: "Data set: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetKindOption = .init(kind: .fashionMNIST)

    @Option(name: .customLong("data-dir"), help: "Folder holding the data set's files (default for Fashion-MNIST: \(DatasetLoader.defaultFashionMNISTDirectory)).")
    var dataDirectory: String?

    @Option(name: .customLong("train-size"), help: "Use only the first N training images (after a seeded shuffle).")
    var trainSize: Int?
}

struct DatasetKindOption: ExpressibleByArgument {
    let kind: DatasetKind
    init(kind: DatasetKind) { self.kind = kind }
    init?(argument: String) {
        guard let kind = DatasetKind(rawValue: argument) else { return nil }
        self.kind = kind
    }
    var defaultValueDescription: String { kind.rawValue }
    static var allValueStrings: [String] { DatasetKind.allCases.map(\.rawValue) }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the network a genotype describes, evaluate it on the test set, write runs/NAME/.")

    @Option(help: "A built-in genotype (\(Genotype.builtinNames.joined(separator: ", "))), random:SEED, or a genotype file (.json or DARTS text).")
    var genotype: String = "pc-darts"

    @OptionGroup(title: "Binarization") var binarization: BinarizationOptions

    @OptionGroup var data: DataOptions

    @Option(help: "Cells in the network (reductions at layers/3 and 2*layers/3).")
    var layers: Int = 5

    @Option(help: "Channels C of the first cells (the stem has 3C).")
    var channels: Int = 8

    @Option(help: "Training recipe: bnn (Adam, a warm-up over a tenth of the epochs then a cosine decay to 0 set at every step, latent weights clipped to [-1, 1] and not decayed, 16 epochs) or darts (SGD, cosine per epoch, 5 epochs). Default: bnn with --binarize xnor|pcnn, darts with --binarize none; the flags below override its choices.")
    var recipe: TrainingRecipe?

    @Option(help: "Training epochs (default: the recipe's, 10 for bnn, 5 for darts).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: "Images per step.")
    var batchSize: Int = 64

    @Option(help: "Optimizer of the weights: sgd (momentum 0.9, the DARTS recipe) or adam (binarized networks learn faster with it); default: the recipe's.")
    var optimizer: TrainingOptimizer?

    @Option(name: .customLong("learning-rate"), help: "Initial learning rate, annealed to 0 (default: 0.05 with sgd, 0.005 with adam).")
    var learningRate: Float?

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (default: 3e-4 with sgd, 0 with adam).")
    var weightDecay: Float?

    @Option(help: "Set the learning rate at every step: a linear warm-up, then a cosine or linear decay to 0 at the last step (bnn: cosine; darts: once per epoch along a cosine).")
    var schedule: LearningRateDecay?

    @Option(name: .customLong("warmup-epochs"), help: "Epochs of linear warm-up at the start of each training step, fractions allowed (bnn: a tenth of a step's epochs).")
    var warmupEpochs: Double?

    @Option(name: .customLong("latent-weight-decay"), help: "Weight decay of the binarized convolutions' latent weights (bnn: 0; darts: --weight-decay).")
    var latentWeightDecay: Float?

    @Option(name: .customLong("clip-latent-weights"), help: "Clip the latent weights to [-1, 1] after every step: on or off (bnn: on; darts: off).")
    var clipLatentWeights: OnOff?

    @Flag(name: .customLong("two-step"), help: "Two-step training: binary activations with real weights first, then both binary from those weights.")
    var twoStep = false

    @Option(name: .customLong("first-step-epochs"), help: "With --two-step: epochs of the first step (default: half of --epochs).")
    var firstStepEpochs: Int?

    @Option(help: "Distil from a finished full-precision run of the same genotype, data set, cells and channels (runs/NAME).")
    var teacher: String?

    @Option(name: .customLong("distill-weight"), help: "With --teacher: W in the loss (1 - W) cross entropy + W KL(teacher || student) (default: \(Distillation.defaultWeight)).")
    var distillWeight: Float?

    @Option(name: .customLong("auxiliary-weight"), help: "Weight of the auxiliary head's loss (0 = no auxiliary head).")
    var auxiliaryWeight: Float = 0

    @Option(name: .customLong("drop-path"), help: "Final drop-path probability (ramped linearly over the epochs).")
    var dropPath: Float = 0

    @Option(name: .customLong("crop-padding"), help: "Random-crop augmentation padding in pixels (0 = off).")
    var cropPadding: Int = 0

    @Option(help: "Cutout square side in pixels (0 = off).")
    var cutout: Int = 0

    @Option(help: "Seed for initialisation, shuffling and augmentation.")
    var seed: UInt64 = 0

    @Option(name: .customLong("test-size"), help: "Evaluate on the first N test images only (default: the whole test set).")
    var testSize: Int?

    @Option(name: .customLong("run"), help: "Run name: files go to runs/NAME/ (default: a timestamp).")
    var runName: String?

    @Option(help: "Continue the training in runs/NAME (or a run folder path) from its last checkpoint; its config.json decides every setting.")
    var resume: String?

    func validate() throws {
        if resume != nil && runName != nil { throw ValidationError("--resume continues an existing run; it cannot be combined with --run") }
        if let testSize, testSize < 1 { throw ValidationError("--test-size must be at least 1, got \(testSize)") }
        guard layers >= 3 else { throw ValidationError("--layers must be at least 3 (two reduction cells), got \(layers)") }
        guard channels >= 2, channels % 2 == 0 else { throw ValidationError("--channels must be an even number >= 2, got \(channels)") }
        if let epochs { guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") } }
        if firstStepEpochs != nil && !twoStep { throw ValidationError("--first-step-epochs needs --two-step") }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2 (batch norm needs two images), got \(batchSize)") }
        if let trainSize = data.trainSize, trainSize < batchSize {
            throw ValidationError("--train-size \(trainSize) is smaller than one batch of \(batchSize)")
        }
        if let learningRate { guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") } }
        if let weightDecay { guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay cannot be negative") } }
        guard (0..<1).contains(dropPath) else { throw ValidationError("--drop-path must be in [0, 1), got \(dropPath)") }
        guard auxiliaryWeight >= 0, cropPadding >= 0, cutout >= 0 else { throw ValidationError("--auxiliary-weight, --crop-padding and --cutout cannot be negative") }
        let configuration = try binarization.configuration(default: .none)
        if resume == nil {
            do { try trainingConfiguration(binarization: configuration).validateRecipe() } catch { throw ValidationError("\(error)") }
        }
    }

    /// The recipe's settings with every flag given put over them.
    func trainingConfiguration() throws -> TrainingConfiguration {
        trainingConfiguration(binarization: try binarization.configuration(default: .none))
    }

    private func trainingConfiguration(binarization: BinarizationConfig) -> TrainingConfiguration {
        let recipe = self.recipe ?? .standard(for: binarization.weights)
        var configuration = TrainingConfiguration(
            genotype: genotype, dataset: data.dataset.kind.rawValue, dataDirectory: data.dataDirectory, layers: layers, channels: channels,
            epochs: epochs ?? recipe.epochs, batchSize: batchSize,
            trainSize: data.trainSize, testSize: testSize, seed: seed, auxiliaryWeight: auxiliaryWeight,
            dropPath: dropPath, cropPadding: cropPadding, cutout: cutout)
        configuration.binarization = binarization
        if twoStep { configuration.firstStepEpochs = firstStepEpochs ?? configuration.epochs / 2 }
        recipe.apply(to: &configuration)
        if let optimizer {
            configuration.optimizer = optimizer
            configuration.learningRate = optimizer.defaultLearningRate
            configuration.weightDecay = optimizer.defaultWeightDecay
        }
        if let learningRate { configuration.learningRate = learningRate }
        if let weightDecay { configuration.weightDecay = weightDecay }
        if let schedule { configuration.schedule = schedule }
        if let warmupEpochs { configuration.warmupEpochs = warmupEpochs }
        if let latentWeightDecay { configuration.latentWeightDecay = latentWeightDecay }
        if let clipLatentWeights { configuration.clipLatentWeights = clipLatentWeights == .on }
        if let teacher {
            configuration.teacher = teacher
            configuration.distillWeight = distillWeight ?? Distillation.defaultWeight
        } else {
            configuration.distillWeight = distillWeight
        }
        return configuration
    }

    func run() throws {
        try reportingErrors {
            let session: TrainingSession
            let splits: DatasetSplits
            if let resume {
                session = try TrainingSession.resume(run: resume.contains("/") ? resume : "runs/\(resume)")
                splits = try session.configuration.loadData()
                if let warning = session.checkpointWarning { FileHandle.standardError.write(Data("bnas: \(warning)\n".utf8)) }
            } else {
                let configuration = try trainingConfiguration()
                splits = try configuration.loadData()
                session = try TrainingSession.start(configuration: configuration, data: splits.train) { try RunFolder.create(name: runName) }
            }
            let results = try Self.train(session, on: splits)
            guard let results else { throw ExitCode(130) }
            print(String(format: "test accuracy %.2f%% (loss %.4f), %d 1-bit + %d 32-bit parameters, trained in %.0fs -> %@",
                         results.testAccuracy * 100, results.testLoss, results.binaryParameters, results.floatParameters,
                         results.trainSeconds, session.folder.file("results.json").path))
        }
    }

    /// The first line of a training: what, on what, where; and where it continues when resumed.
    static func header(_ session: TrainingSession, _ splits: DatasetSplits) -> String {
        let configuration = session.configuration
        let state = session.trainer.state
        return "bnas train: \(configuration.genotype) on \(splits.train.name), \(splits.train.count) training / \(splits.test.count) test images, "
            + "\(configuration.layers) cells, C=\(configuration.channels), \(configuration.binarization.label), "
            + "\(session.network.parameterCount) parameters -> \(session.folder.url.path)"
            + (state.completedEpochs > 0 || state.step > 0 ? ", resumed in epoch \(state.completedEpochs + 1) after step \(state.step)" : "")
            + "\nrecipe: \(configuration.recipeSummary)"
    }

    /// Runs a training session with progress lines; Ctrl-C stops it after the current step with a
    /// checkpoint (then nil, after a line saying how to continue).
    static func train(_ session: TrainingSession, on splits: DatasetSplits, stop: StopRequest = StopRequest()) throws -> TrainingResults? {
        let configuration = session.configuration
        print(header(session, splits))
        fflush(stdout)
        var printer = ProgressPrinter()
        let outcome = try whileInterruptible({ stop.request() }) {
            try session.run(train: splits.train, test: splits.test, onStep: { printer.step($0) },
                            onEpoch: { printer.epoch($0, of: configuration.epochs) }, shouldStop: { stop.isRequested })
        }
        switch outcome {
        case .finished(let results):
            return results
        case .stopped(let state):
            if printer.isTerminal { print("\r\u{1B}[2K", terminator: "") }
            print("stopped in epoch \(state.completedEpochs + 1) after step \(state.step); continue with: bnas train --resume \(session.folder.url.path)")
            return nil
        }
    }
}
