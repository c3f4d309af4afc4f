import Experiments
import Foundation
import Network
import Testing
@testable import bnas

/// `bnas train`'s recipe flags: the defaults per binarization, flags over the recipe, refusals, and
/// `TrainingConfiguration.trainArguments` parsing back to the same configuration.
@Suite struct TrainRecipeCommandTests {
    static func configuration(_ arguments: [String]) throws -> TrainingConfiguration {
        try TrainCommand.parse(arguments).trainingConfiguration()
    }

    @Test func binarizedRunsTrainWithTheBnnRecipeAndFloatRunsWithDarts() throws {
        let binary = try Self.configuration(["--binarize", "xnor"])
        #expect(binary.epochs == 16 && binary.optimizer == .adam && binary.learningRate == 0.005 && binary.weightDecay == 0)
        #expect(binary.schedule == .cosine && binary.warmupEpochs == 1.6 && binary.latentWeightDecay == 0 && binary.clipLatentWeights == true)
        #expect(binary.firstStepEpochs == nil && binary.teacher == nil)

        let float = try Self.configuration(["--binarize", "none"])
        #expect(float.epochs == 5 && float.optimizer == .sgd && float.learningRate == 0.05 && float.weightDecay == 3e-4)
        #expect(float.schedule == nil && float.warmupEpochs == nil && float.latentWeightDecay == nil && float.clipLatentWeights == nil)

        // The old behaviour: --recipe darts gives the configuration `bnas train` wrote before recipes.
        let old = try Self.configuration(["--binarize", "xnor", "--recipe", "darts"])
        var expected = float
        expected.binarize = "xnor"
        #expect(old == expected)
    }

    @Test func flagsOverrideTheRecipe() throws {
        let c = try Self.configuration(["--binarize", "pcnn", "--epochs", "6", "--optimizer", "sgd", "--schedule", "linear",
                                        "--warmup-epochs", "0.5", "--clip-latent-weights", "off", "--latent-weight-decay", "1e-5",
                                        "--two-step", "--teacher", "runs/float"])
        #expect(c.epochs == 6 && c.optimizer == .sgd && c.learningRate == 0.05 && c.weightDecay == 3e-4)
        #expect(c.schedule == .linear && c.warmupEpochs == 0.5 && c.clipLatentWeights == false && c.latentWeightDecay == 1e-5)
        #expect(c.firstStepEpochs == 3 && c.teacher == "runs/float" && c.distillWeight == Distillation.defaultWeight)
        #expect(try Self.configuration(["--binarize", "xnor", "--two-step", "--first-step-epochs", "4"]).warmupEpochs == 0.4)
        #expect(try Self.configuration(["--binarize", "xnor", "--two-step", "--first-step-epochs", "4"]).firstStepEpochs == 4)
    }

    @Test(arguments: [
        (["--binarize", "xnor", "--first-step-epochs", "2"], "--first-step-epochs needs --two-step"),
        (["--binarize", "none", "--two-step"], "--two-step binarizes the weights"),
        (["--binarize", "xnor", "--two-step", "--epochs", "1"], "--first-step-epochs must leave both steps"),
        (["--binarize", "xnor", "--recipe", "darts", "--warmup-epochs", "1"], "--warmup-epochs needs --schedule"),
        (["--binarize", "xnor", "--epochs", "4", "--warmup-epochs", "4"], "leaves no decay"),
        (["--binarize", "xnor", "--distill-weight", "0.5"], "--distill-weight needs --teacher"),
        (["--binarize", "xnor", "--teacher", "runs/t", "--distill-weight", "1.5"], "--distill-weight must be in [0, 1]"),
        (["--binarize", "xnor", "--clip-latent-weights", "maybe"], "maybe"),
    ])
    func impossibleRecipesAreRefused(arguments: [String], message: String) {
        #expect {
            _ = try TrainCommand.parse(arguments)
        } throws: { error in
            TrainCommand.message(for: error).contains(message)
        }
    }

    /// A teacher that does not fit is refused in one line before the run folder exists.
    @Test func aTeacherThatDoesNotFitIsRefusedBeforeTheRunStarts() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(["train", "--dataset", "synthetic", "--layers", "3", "--channels", "4", "--epochs", "2",
                                    "--batch-size", "32", "--train-size", "64", "--binarize", "xnor", "--teacher", "runs/float"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.stderrLines == ["bnas: --teacher runs/float: no such run folder"])
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("runs").path))
    }

    /// The arguments of a configuration parse back to it, for each recipe and with every option set.
    @Test func trainArgumentsReproduceTheConfiguration() throws {
        let variants: [[String]] = [
            ["--binarize", "xnor"],
            ["--binarize", "none"],
            ["--binarize", "xnor", "--recipe", "darts", "--optimizer", "adam", "--epochs", "4"],
            ["--binarize", "xnor", "--recipe", "darts", "--clip-latent-weights", "on"],
            ["--binarize", "pcnn", "--activations", "real", "--two-step", "--first-step-epochs", "3", "--teacher", "runs/t",
             "--distill-weight", "0.3", "--schedule", "linear", "--warmup-epochs", "0.25", "--dataset", "synthetic",
             "--train-size", "640", "--test-size", "100", "--data-dir", "/data", "--drop-path", "0.1", "--crop-padding", "2",
             "--cutout", "4", "--auxiliary-weight", "0.4", "--seed", "7", "--layers", "6", "--channels", "12", "--batch-size", "48",
             "--genotype", "random:3", "--learning-rate", "0.002", "--weight-decay", "1e-4", "--latent-weight-decay", "0"],
        ]
        for arguments in variants {
            let configuration = try Self.configuration(arguments)
            let spelled = configuration.trainArguments
            #expect(spelled.first == "train")
            #expect(try Self.configuration(Array(spelled.dropFirst())) == configuration, "\(spelled.joined(separator: " "))")
            // A full-precision command does not name an activation sign it has no use for.
            #expect(spelled.contains("--activations") == (configuration.binarize != "none"), "\(spelled.joined(separator: " "))")
        }
    }

    /// Every row's search command parses to the search the row's genotype comes from.
    @Test func theExperimentSearchCommandsReproduceTheirSearches() throws {
        for kind in [ExperimentKind.compare, .ablations, .binarization] {
            let plan = ExperimentPlan(kind: kind, recipe: .full, root: URL(fileURLWithPath: "runs"))
            for row in plan.rows {
                guard let name = row.searchRun else { continue }
                guard let command = plan.searchCommand(row), case .search(let planned) = plan.run(named: name)?.work else {
                    Issue.record("\(row.key) has no search command")
                    continue
                }
                let words = command.split(separator: " ").map(String.init)
                #expect(words.prefix(3) == ["bnas", "search", "--headless"])
                let parsed = try SearchCommandLine.parse(Array(words.dropFirst(2)))
                #expect(try parsed.searchConfiguration() == planned, "\(kind) \(row.key)")
                #expect(parsed.runName == name)
            }
        }
    }

    /// Every row's command in the experiments' tables parses to the training the row runs.
    @Test func theExperimentCommandsReproduceTheirRows() throws {
        for kind in [ExperimentKind.compare, .ablations, .binarization] {
            let plan = ExperimentPlan(kind: kind, recipe: .full, root: URL(fileURLWithPath: "runs"))
            for row in plan.rows {
                let words = plan.command(row).split(separator: " ").map(String.init)
                #expect(words.prefix(2) == ["bnas", "train"])
                guard let run = plan.run(named: row.trainRun), case .train(let planned, _) = run.work else {
                    Issue.record("\(row.key) has no training")
                    continue
                }
                #expect(try TrainCommand.parse(Array(words.dropFirst(2))).trainingConfiguration() == planned, "\(kind) \(row.key)")
            }
        }
    }
}
