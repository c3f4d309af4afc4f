import Binary
import Datasets
import Foundation
import Testing
@testable import Network
import Tensor

/// The recipe for binary networks: presets, schedule per training step, parameter groups, clipping,
/// two-step training (and its resume) and distillation.
@Suite struct TrainingRecipeTests {
    /// `TrainerTests.resumable()` (binarized, 10 steps per epoch on its data) with the bnn recipe.
    static func bnn(epochs: Int = 2, firstStepEpochs: Int? = nil) -> TrainingConfiguration {
        var configuration = TrainerTests.resumable()
        configuration.epochs = epochs
        configuration.firstStepEpochs = firstStepEpochs
        TrainingRecipe.bnn.apply(to: &configuration)
        return configuration
    }

    /// Element-wise within 1e-6 relative (and absolute near 0).
    static func close(_ actual: [Float], _ expected: [Float]) -> Bool {
        actual.count == expected.count && zip(actual, expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }
    }

    static func network(_ configuration: TrainingConfiguration) throws -> GenotypeNetwork {
        let data = try TrainerTests.resumableData.get()
        return GenotypeNetwork(genotype: try Genotype.resolve(configuration.genotype), shape: configuration.networkShape(for: data.train),
                               seed: configuration.seed)
    }

    @Test func theRecipesSetTheirChoices() throws {
        let bnn = Self.bnn(epochs: 10)
        #expect(bnn.optimizer == .adam && bnn.learningRate == 0.005 && bnn.weightDecay == 0)
        #expect(bnn.schedule == .cosine && bnn.warmupEpochs == 1 && bnn.latentWeightDecay == 0 && bnn.clipLatentWeights == true)
        #expect(Self.bnn(epochs: 10, firstStepEpochs: 4).warmupEpochs == 0.4, "a tenth of the shorter training step")
        #expect(TrainingRecipe.standard(for: .xnor) == .bnn && TrainingRecipe.standard(for: .pcnn) == .bnn)
        #expect(TrainingRecipe.standard(for: .none) == .darts)

        // darts is what every run did before recipes: its config.json has none of the new keys.
        var darts = bnn
        TrainingRecipe.darts.apply(to: &darts)
        #expect(darts.optimizer == .sgd && darts.learningRate == 0.05 && darts.weightDecay == 3e-4)
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(darts)) as? [String: Any])
        let newKeys = ["schedule", "warmupEpochs", "latentWeightDecay", "clipLatentWeights", "firstStepEpochs", "teacher", "distillWeight"]
        #expect(newKeys.allSatisfy { object[$0] == nil })
        let twoStep = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.bnn(firstStepEpochs: 1))) as? [String: Any])
        #expect(newKeys.filter { twoStep[$0] == nil } == ["teacher", "distillWeight"])
    }

    /// A config.json written before the recipe (no new keys) reads with the old behaviour: one
    /// learning rate per epoch along the cosine over all epochs, every weight decayed, no clipping.
    @Test func anOldConfigurationKeepsItsOldBehaviour() throws {
        let old = Data("""
            {"activations":"binary","auxiliaryWeight":0,"batchSize":64,"binarize":"xnor","channels":8,"cropPadding":0,"cutout":0,
             "dataset":"fashion-mnist","dropPath":0,"epochs":4,"genotype":"darts-v2","gradientClip":5,"layers":5,"learningRate":0.005,
             "minimumLearningRate":0,"momentum":0.9,"optimizer":"adam","seed":0,"weightDecay":0.0003}
            """.utf8)
        var configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: old)
        #expect(configuration.schedule == nil && configuration.warmupEpochs == nil && configuration.latentWeightDecay == nil)
        #expect(configuration.clipLatentWeights == nil && configuration.firstStepEpochs == nil && configuration.teacher == nil)
        configuration.layers = 3
        configuration.channels = 4
        configuration.dataset = "synthetic"
        let network = try Self.network(configuration)
        let trainer = Trainer(network: network, configuration: configuration)
        let cosine = CosineSchedule(base: 0.005, total: 4)
        for epoch in 0..<4 {
            #expect([0, 5, 9].allSatisfy { trainer.learningRate(epoch: epoch, step: $0, stepsPerEpoch: 10) == cosine.rate(epoch: epoch) })
        }
        let groups = Trainer.parameterGroups(network, configuration)
        #expect(groups.count == 1 && groups[0].weightDecay == 0.0003 && groups[0].parameters.count == network.parameters.count)
        #expect(trainer.state.stage == nil && !network.usesRealWeights)
    }

    /// 4 epochs of 10 steps in two steps of 2 epochs, warm-up 0.6 epochs (6 steps): each training step
    /// climbs 0.005/6 ... 0.005 and decays over 14 steps to 0, halfway (t = 7/14) on its 13th step.
    @Test func eachTrainingStepHasItsOwnWarmupAndDecay() throws {
        var configuration = Self.bnn(epochs: 4, firstStepEpochs: 2)
        configuration.warmupEpochs = 0.6
        let trainer = Trainer(network: try Self.network(configuration), configuration: configuration)
        for first in [0, 2] {
            func rate(_ step: Int) -> Float { trainer.learningRate(epoch: first + step / 10, step: step % 10, stepsPerEpoch: 10) }
            #expect(abs(rate(0) - 0.005 / 6) < 1e-9, "warm-up start of the step at epoch \(first)")
            #expect(abs(rate(5) - 0.005) < 1e-9, "warm-up end")
            #expect(abs(rate(12) - 0.0025) < 1e-9, "mid-decay")
            #expect(rate(19) == 0, "the last step of each training step reaches 0")
        }
    }

    /// With zero gradients, SGD's update is the decay alone: latent weights stay, every other
    /// parameter shrinks by 1 - lr * wd.
    @Test func latentWeightsGoWithoutWeightDecayAndTheOthersKeepIt() throws {
        var configuration = Self.bnn()
        (configuration.optimizer, configuration.learningRate, configuration.weightDecay) = (.sgd, 0.1, 0.01)
        let network = try Self.network(configuration)
        let trainer = Trainer(network: network, configuration: configuration)
        let latent = Set(network.latentWeights.map(ObjectIdentifier.init))
        #expect(!latent.isEmpty && latent.count < network.parameters.count)
        let before = network.parameters.map(\.data)
        for parameter in network.parameters { parameter.grad = [Float](repeating: 0, count: parameter.count) }
        trainer.optimizer.step()
        for (parameter, old) in zip(network.parameters, before) {
            let expected = latent.contains(ObjectIdentifier(parameter)) ? old : old.map { $0 * (1 - 0.1 * 0.01) }
            #expect(Self.close(parameter.data, expected), "parameter \(parameter.shape)")
        }
    }

    /// Latent weights set to 3 end an epoch inside [-1, 1] with clipping (some on the bound), and stay
    /// far outside without it; the stem's weights are never clipped.
    @Test(arguments: [true, false])
    func clippingKeepsLatentWeightsInsideTheUnitInterval(clip: Bool) throws {
        var configuration = Self.bnn()
        configuration.clipLatentWeights = clip
        let network = try Self.network(configuration)
        for weight in network.latentWeights + [network.stem.parameters[0]] {
            weight.data = [Float](repeating: 3, count: weight.count)
        }
        let trainer = Trainer(network: network, configuration: configuration)
        _ = trainer.trainEpoch(on: try TrainerTests.resumableData.get().train) { _ in }
        let largest = network.latentWeights.map { $0.data.map(abs).max() ?? 0 }.max() ?? 0
        #expect(clip ? largest == 1 : largest > 2.9)
        #expect((network.stem.parameters[0].data.max() ?? 0) > 2.9)
    }

    /// A binarized convolution in two-step training's first step: sign(x) padded with +1, convolved
    /// with the real weights, in training and in inference alike; the binary output differs.
    @Test func aConvolutionWithRealWeightsBinarizesOnlyItsInput() {
        var rng = SeededRNG(seed: 8)
        let conv = Conv2d(inChannels: 3, outChannels: 4, kernel: 3, padding: 1,
                          binarization: BinarizationConfig(weights: .xnor, activations: .binary), rng: &rng)
        let x = Tensor.randomNormal([2, 3, 5, 5], std: 1, rng: &rng)
        let binary = GradMode.disabled { conv(x, training: false) }.data
        conv.usesRealWeights = true
        let reference = GradMode.disabled {
            Tensor(shape: x.shape, data: x.data.map { $0 < 0 ? -1 : 1 }).padded(by: 1, value: 1).conv2d(conv.weight)
        }.data
        #expect(Self.close(conv(x, training: true).data, reference), "training")
        #expect(Self.close(GradMode.disabled { conv(x, training: false) }.data, reference), "inference")
        #expect(binary != reference)
        #expect(!conv.takesNormalisation(training: false))
    }

    /// Epoch 1 of 2 trains real weights, epoch 2 binary ones with a fresh optimizer.
    @Test func twoStepTrainingBinarizesTheWeightsAtTheSecondStep() throws {
        let configuration = Self.bnn(epochs: 2, firstStepEpochs: 1)
        let network = try Self.network(configuration)
        let trainer = Trainer(network: network, configuration: configuration)
        let data = try TrainerTests.resumableData.get()
        var modes: [Bool] = []
        let first = try #require(trainer.trainEpoch(on: data.train) { _ in modes.append(network.usesRealWeights) })
        #expect(trainer.state.optimizerSteps == 10 && trainer.state.stage == 1)
        trainer.complete(first)
        #expect(trainer.state.stage == 2 && trainer.optimizer.steps == 0 && trainer.optimizer.buffers.allSatisfy { $0.allSatisfy { $0 == 0 } })
        #expect(!network.usesRealWeights)
        let second = try #require(trainer.trainEpoch(on: data.train) { _ in modes.append(network.usesRealWeights) })
        trainer.complete(second)
        #expect(modes == Array(repeating: true, count: 10) + Array(repeating: false, count: 10))
        #expect(trainer.state.optimizerSteps == 10 && trainer.isComplete)
    }

    static func trainTwoStep(_ name: String, root: URL, stopBefore: Int? = nil) throws -> TrainingOutcome {
        let splits = try TrainerTests.resumableData.get()
        let session = try TrainingSession.start(configuration: bnn(epochs: 2, firstStepEpochs: 1), data: splits.train) {
            try RunFolder.create(name: name, root: root)
        }
        var steps = 0
        return try session.run(train: splits.train, test: splits.test, onStep: { _ in steps += 1 }, onEpoch: { _ in },
                               shouldStop: { steps == stopBefore })
    }

    /// Stopped inside the first step (before step 5), between the steps (before step 11) or inside the
    /// second (before step 14), a two-step training resumes in the step its checkpoint records and ends
    /// with the numbers and the model file of one run straight through.
    @Test(arguments: [(4, 1), (10, 2), (13, 2)])
    func aStoppedTwoStepTrainingResumesToTheSameResults(stopAfterSteps: Int, stage: Int) throws {
        let root = TrainerTests.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let straight = try Self.trainTwoStep("straight", root: root)
        let stopped = try Self.trainTwoStep("stopped", root: root, stopBefore: stopAfterSteps)
        guard case .stopped(let state) = stopped else { Issue.record("the training did not stop: \(stopped)"); return }
        #expect(state.completedEpochs * 10 + state.step == stopAfterSteps)
        let folder = root.appendingPathComponent("stopped")
        let session = try TrainingSession.resume(run: folder.path)
        #expect(session.trainer.state.stage == stage)
        #expect(session.network.usesRealWeights == (stage == 1))
        let splits = try TrainerTests.resumableData.get()
        let resumed = try session.run(train: splits.train, test: splits.test, onStep: { _ in }, onEpoch: { _ in })
        #expect(TrainerTests.withoutTimes(resumed) == TrainerTests.withoutTimes(straight))
        #expect(try TrainerTests.modelFile(folder) == TrainerTests.modelFile(root.appendingPathComponent("straight")))
    }

    /// Student logits (0, 0), teacher (ln 3, 0), label 0: CE = ln 2, KL = 0.75 ln 1.5 + 0.25 ln 0.5;
    /// with W = 0.25 the loss is 0.75 CE + 0.25 KL = 0.5525631 and its gradient
    /// 0.75 (q - onehot) + 0.25 (q - p) = (-0.4375, 0.4375).
    @Test func theDistillationLossMixesCrossEntropyAndKL() {
        let teacher = Tensor(shape: [1, 2], data: [Float(Foundation.log(3.0)), 0])
        let (ce, kl) = (Foundation.log(2.0), 0.75 * Foundation.log(1.5) + 0.25 * Foundation.log(0.5))
        for (weight, expected) in [(Float(0.25), 0.75 * ce + 0.25 * kl), (0, ce), (1, kl)] {
            let logits = Tensor(shape: [1, 2], data: [0, 0], requiresGrad: true)
            let loss = Distillation.loss(logits: logits, labels: [0], teacherLogits: teacher, weight: weight)
            #expect(abs(Double(loss.scalar) - expected) < 1e-6, "W = \(weight)")
            if weight == 0.25 {
                loss.backward()
                #expect(Self.close(logits.grad, [-0.4375, 0.4375]), "gradient \(logits.grad)")
            }
        }
        #expect(abs(0.75 * ce + 0.25 * kl - 0.5525631) < 1e-6)
    }
}

/// `--teacher`: a finished full-precision run of the same genotype, data set, cells and channels.
@Suite struct DistillationTeacherTests {
    static func teacherConfiguration() -> TrainingConfiguration {
        TrainingConfiguration(genotype: "darts-v2", dataset: "synthetic", binarize: "none", layers: 3, channels: 4, epochs: 1,
                              batchSize: 32, testSize: 100, seed: 5)
    }

    /// Trains the teacher (one epoch, 10 steps) in `root/teacher`.
    static func trainTeacher(root: URL) throws -> URL {
        let splits = try TrainerTests.resumableData.get()
        let session = try TrainingSession.start(configuration: teacherConfiguration(), data: splits.train) {
            try RunFolder.create(name: "teacher", root: root)
        }
        _ = try session.run(train: splits.train, test: splits.test, onStep: { _ in }, onEpoch: { _ in })
        return root.appendingPathComponent("teacher")
    }

    @Test func aTeacherThatDoesNotFitIsRefusedWithOneLine() throws {
        let root = TrainerTests.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let teacher = try Self.trainTeacher(root: root)
        let dartsV2 = try Genotype.resolve("darts-v2")
        var student = TrainerTests.resumable()
        student.teacher = teacher.path
        func refusal(_ path: String, _ student: TrainingConfiguration, genotype: Genotype = dartsV2) -> String {
            do {
                _ = try Distillation.loadTeacher(path, for: student, genotype: genotype)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(teacher.path, student) == "accepted")
        #expect(refusal(root.appendingPathComponent("nothing").path, student).hasSuffix("nothing: no such run folder"))

        let unfinished = root.appendingPathComponent("unfinished")
        try FileManager.default.copyItem(at: teacher, to: unfinished)
        try FileManager.default.removeItem(at: unfinished.appendingPathComponent("results.json"))
        #expect(refusal(unfinished.path, student).contains("has not finished"))

        let binarized = root.appendingPathComponent("binarized")
        try FileManager.default.copyItem(at: teacher, to: binarized)
        var binarizedConfiguration = Self.teacherConfiguration()
        binarizedConfiguration.binarize = "xnor"
        try RunFolder(existing: binarized.path).writeJSON(binarizedConfiguration, to: "config.json")
        #expect(refusal(binarized.path, student).contains("is binarized (xnor/binary)"))

        var otherData = student
        otherData.dataset = "mnist"
        #expect(refusal(teacher.path, otherData).hasSuffix("was trained on synthetic, this run trains on mnist"))
        var otherSize = student
        otherSize.channels = 8
        #expect(refusal(teacher.path, otherSize).hasSuffix("has 3 cells and C = 4, this run 3 cells and C = 8"))
        var otherGenotype = student
        otherGenotype.genotype = "pc-darts"
        #expect(refusal(teacher.path, otherGenotype, genotype: try Genotype.resolve("pc-darts"))
            .hasSuffix("trained another genotype than this run's pc-darts"))
        for path in [unfinished.path, binarized.path] { #expect(!refusal(path, student).contains("\n")) }
    }

    /// A distilled training runs with the teacher's loss, resumes with it, and is refused before its
    /// folder exists when the teacher does not fit.
    @Test func aDistilledTrainingStartsOnlyWithAFittingTeacher() throws {
        let root = TrainerTests.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let teacher = try Self.trainTeacher(root: root)
        let splits = try TrainerTests.resumableData.get()
        var student = TrainingRecipeTests.bnn(epochs: 1)
        student.teacher = teacher.path
        student.distillWeight = 1
        let session = try TrainingSession.start(configuration: student, data: splits.train) { try RunFolder.create(name: "student", root: root) }
        #expect(session.trainer.teacher != nil)
        var losses: [Double] = []
        let outcome = try session.run(train: splits.train, test: splits.test, onStep: { losses.append($0.loss) }, onEpoch: { _ in })
        guard case .finished = outcome else { Issue.record("not finished: \(outcome)"); return }
        #expect(losses.count == 10 && losses.allSatisfy { $0.isFinite && $0 >= 0 })

        student.channels = 8
        #expect(throws: TeacherError.self) {
            try TrainingSession.start(configuration: student, data: splits.train) { try RunFolder.create(name: "refused", root: root) }
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("refused").path))
    }
}
