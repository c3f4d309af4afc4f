import Binary
import Foundation
import Tensor

/// A preset of a training's optimisation settings (`bnas train --recipe`); flags given beside it
/// override its choices.
public enum TrainingRecipe: String, CaseIterable, Sendable {
    /// For binary networks (docs/algorithms.md#training-recipe): Adam from 0.005 without weight
    /// decay, the learning rate set at every step, rising linearly over the first tenth of each
    /// training step's epochs and falling to 0 along a cosine at its last step; latent weights
    /// clipped to [-1, 1] after every step and never decayed; 16 epochs.
    case bnn
    /// The DARTS final training: SGD (momentum 0.9, learning rate 0.05, weight decay 3e-4 on every
    /// weight), the learning rate set once per epoch along a cosine, no clipping; 5 epochs. What
    /// `bnas train` did before recipes existed, and what it does for float networks.
    case darts

    /// The recipe of a run that names none: `bnn` for binarized networks, `darts` for float ones.
    public static func standard(for binarization: WeightBinarization) -> TrainingRecipe {
        binarization == .none ? .darts : .bnn
    }

    /// The epochs of a run that does not give them: for bnn, as many as a training of the default
    /// network (5 cells, C = 8) on 60,000 images fits in the 40 minutes a training may take on two
    /// cores (docs/experiments.md#training-recipes has the times).
    public var epochs: Int { self == .bnn ? 16 : 5 }

    public var optimizer: TrainingOptimizer { self == .bnn ? .adam : .sgd }

    /// Sets the recipe's optimizer (with its learning rate and weight decay), schedule, warm-up and
    /// treatment of latent weights; the warm-up is a tenth of `configuration`'s shortest training
    /// step, so set its epochs and two-step split first.
    public func apply(to configuration: inout TrainingConfiguration) {
        configuration.optimizer = optimizer
        configuration.learningRate = optimizer.defaultLearningRate
        configuration.weightDecay = optimizer.defaultWeightDecay
        switch self {
        case .bnn:
            let shortest = configuration.stages.map(\.epochs.count).min() ?? configuration.epochs
            configuration.schedule = .cosine
            configuration.warmupEpochs = Double(shortest) / 10
            configuration.latentWeightDecay = 0
            configuration.clipLatentWeights = true
        case .darts:
            configuration.schedule = nil
            configuration.warmupEpochs = nil
            configuration.latentWeightDecay = nil
            configuration.clipLatentWeights = nil
        }
    }
}

/// One step of a training (two-step training has two, every other training one): its epochs, and
/// whether its binarized convolutions use real-valued weights.
public struct TrainingStage: Equatable, Sendable {
    /// 1 or 2.
    public var number: Int
    public var epochs: Range<Int>
    public var usesRealWeights: Bool
}

/// A setting of the recipe that cannot work, with the flag to change.
public struct TrainingConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension TrainingConfiguration {
    /// The training steps in order: two with `firstStepEpochs`, else one over every epoch.
    public var stages: [TrainingStage] {
        guard let first = firstStepEpochs, (1..<epochs).contains(first) else {
            return [TrainingStage(number: 1, epochs: 0..<epochs, usesRealWeights: false)]
        }
        return [TrainingStage(number: 1, epochs: 0..<first, usesRealWeights: true),
                TrainingStage(number: 2, epochs: first..<epochs, usesRealWeights: false)]
    }

    /// The step `epoch` belongs to (the last one past the end).
    public func stage(ofEpoch epoch: Int) -> TrainingStage {
        let all = stages
        return all.first { $0.epochs.contains(epoch) } ?? all[all.count - 1]
    }

    /// Refuses recipe settings that cannot work, naming the flag.
    public func validateRecipe() throws {
        if let firstStepEpochs {
            guard binarization.isBinary else { throw TrainingConfigurationError("--two-step binarizes the weights in its second step: give --binarize xnor or pcnn") }
            guard (1..<epochs).contains(firstStepEpochs) else {
                throw TrainingConfigurationError("--first-step-epochs must leave both steps at least one of the \(epochs) epochs, got \(firstStepEpochs)")
            }
        }
        if let warmupEpochs, warmupEpochs != 0 {
            guard warmupEpochs > 0, warmupEpochs.isFinite else { throw TrainingConfigurationError("--warmup-epochs cannot be negative, got \(warmupEpochs)") }
            guard schedule != nil else { throw TrainingConfigurationError("--warmup-epochs needs --schedule cosine or linear (the per-epoch cosine has no warm-up)") }
            let shortest = stages.map(\.epochs.count).min() ?? epochs
            guard warmupEpochs < Double(shortest) else {
                throw TrainingConfigurationError("--warmup-epochs \(warmupEpochs) leaves no decay: each training step has \(shortest) epochs")
            }
        }
        if let latentWeightDecay, !(latentWeightDecay >= 0 && latentWeightDecay.isFinite) {
            throw TrainingConfigurationError("--latent-weight-decay cannot be negative")
        }
        if let distillWeight {
            guard teacher != nil else { throw TrainingConfigurationError("--distill-weight needs --teacher runs/NAME") }
            guard (0...1).contains(distillWeight) else { throw TrainingConfigurationError("--distill-weight must be in [0, 1], got \(distillWeight)") }
        }
    }
}

extension TrainingConfiguration {
    /// The optimisation settings in one line, for the training's header and the experiments' tables.
    public var recipeSummary: String {
        var parts = ["\(weightOptimizer == .sgd ? "SGD" : "Adam") from \(learningRate), weight decay \(weightDecay)"
                     + (latentWeightDecay.map { " (latent weights \($0))" } ?? "")]
        if let schedule {
            let warmup = warmupEpochs ?? 0
            parts.append((warmup > 0 ? "\(warmup) epochs of warm-up, then " : "") + "\(schedule.rawValue) decay to \(minimumLearningRate) per step")
        } else {
            parts.append("cosine per epoch")
        }
        if clipLatentWeights == true { parts.append("latent weights clipped to [-1, 1]") }
        if stages.count == 2 {
            parts.append("two steps of \(stages[0].epochs.count) + \(stages[1].epochs.count) epochs (real weights, then binary)")
        }
        if let teacher { parts.append("distilled from \(teacher) (W = \(distillWeight ?? Distillation.defaultWeight))") }
        return parts.joined(separator: ", ")
    }

    /// The `bnas train` arguments that make this configuration: `--recipe bnn` when it sets what the
    /// bnn recipe sets, else `--recipe darts`, then every setting spelled out.
    public var trainArguments: [String] {
        let bnn = schedule != nil && warmupEpochs != nil && latentWeightDecay != nil && clipLatentWeights != nil
        var arguments = ["train", "--recipe", bnn ? TrainingRecipe.bnn.rawValue : TrainingRecipe.darts.rawValue,
                         "--genotype", genotype, "--dataset", dataset]
        func add(_ flag: String, _ value: CustomStringConvertible?) {
            if let value { arguments += [flag, value.description] }
        }
        add("--data-dir", dataDirectory)
        add("--train-size", trainSize)
        add("--test-size", testSize)
        add("--binarize", binarize)
        // A full-precision network has no sign to choose; binary is the flag's default, so leave it out.
        add("--activations", binarize == "none" && activations == "binary" ? nil : activations)
        add("--thresholds", thresholds.map { $0 ? "on" : "off" })
        add("--shortcuts", shortcuts.map { $0 ? "on" : "off" })
        add("--sign-gradient", signGradient?.rawValue)
        add("--layers", layers)
        add("--channels", channels)
        add("--epochs", epochs)
        add("--batch-size", batchSize)
        add("--optimizer", weightOptimizer.rawValue)
        add("--learning-rate", learningRate)
        add("--weight-decay", weightDecay)
        add("--schedule", schedule?.rawValue)
        add("--warmup-epochs", warmupEpochs)
        add("--latent-weight-decay", latentWeightDecay)
        add("--clip-latent-weights", clipLatentWeights.map { $0 ? "on" : "off" })
        if let firstStepEpochs { arguments += ["--two-step", "--first-step-epochs", String(firstStepEpochs)] }
        add("--teacher", teacher)
        add("--distill-weight", distillWeight)
        add("--auxiliary-weight", auxiliaryWeight == 0 ? nil : auxiliaryWeight)
        add("--drop-path", dropPath == 0 ? nil : dropPath)
        add("--crop-padding", cropPadding == 0 ? nil : cropPadding)
        add("--cutout", cutout == 0 ? nil : cutout)
        add("--seed", seed)
        return arguments
    }
}
