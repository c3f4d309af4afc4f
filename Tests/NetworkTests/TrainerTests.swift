import Datasets
import Foundation
import Testing
@testable import Network
import Tensor

@Suite struct TrainerTests {
    static func configuration(epochs: Int) -> TrainingConfiguration {
        TrainingConfiguration(genotype: "pc-darts", dataset: "synthetic", layers: 3, channels: 4, epochs: epochs,
                              batchSize: 32, seed: 4, learningRate: 0.05)
    }

    static func temporaryRoot() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("bnas-trainer-\(UUID().uuidString)")
    }

    /// A small network learns the synthetic patterns well above chance (10%) in a few epochs.
    @Test func learnsTheSyntheticSet() throws {
        let splits = try SyntheticDataset.splits(trainCount: 320, testCount: 200, channels: 1, side: 8, seed: 1)
        let configuration = Self.configuration(epochs: 4)
        let shape = NetworkShape(inputChannels: 1, imageSize: 8, classes: 10, layers: 3, channels: 4)
        let network = GenotypeNetwork(genotype: .pcDarts, shape: shape, seed: 4)
        let before = Trainer.evaluate(network, on: splits.test)
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try RunFolder.create(name: "learn", root: root)
        var steps = 0
        var epochs: [EpochMetrics] = []
        let results = try TrainingSession(network: network, configuration: configuration, folder: folder)
            .run(train: splits.train, test: splits.test, onStep: { _ in steps += 1 }, onEpoch: { epochs.append($0) })
        #expect(steps == 4 * (320 / 32))
        #expect(epochs.map(\.epoch) == [0, 1, 2, 3])
        #expect(results.testAccuracy > 0.6, "accuracy \(results.testAccuracy) after training, \(before.accuracy) before")
        #expect(results.testAccuracy > before.accuracy + 0.3)
        #expect(epochs.last!.trainLoss < epochs.first!.trainLoss)
        #expect(results.parameters == network.parameterCount)

        let csv = try String(contentsOf: folder.file("metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.first == Substring(TrainingSession.metricsHeader))
        #expect(csv.count == 5)
        let saved = try JSONDecoder().decode(TrainingResults.self, from: Data(contentsOf: folder.file("results.json")))
        #expect(saved == results)
    }

    /// Same seed, same data: the same losses to the last bit (seeded init, shuffles and augmentation).
    @Test func trainingIsDeterministic() throws {
        let splits = try SyntheticDataset.splits(trainCount: 64, testCount: 32, channels: 1, side: 8, seed: 2)
        func trainOnce() -> EpochMetrics {
            var configuration = Self.configuration(epochs: 1)
            configuration.cropPadding = 1
            let network = GenotypeNetwork(genotype: .dartsV2, shape: NetworkShape(inputChannels: 1, imageSize: 8, classes: 10, layers: 3, channels: 2), seed: 7)
            return Trainer(network: network, configuration: configuration).trainEpoch(0, on: splits.train) { _ in }
        }
        let (first, second) = (trainOnce(), trainOnce())
        #expect(first.trainLoss == second.trainLoss)
        #expect(first.trainAccuracy == second.trainAccuracy)
    }

    @Test func correctPredictionsCountsArgMaxHits() {
        let logits = Tensor(shape: [3, 3], data: [0.1, 2, 0.3, /**/ 5, 1, 1, /**/ 0, 0, 1])
        #expect(Metrics.correctPredictions(logits, labels: [1, 0, 0]) == 2)
    }
}

@Suite struct RunFolderTests {
    @Test func refusesToReuseAFolderAndRejectsBadNames() throws {
        let root = TrainerTests.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try RunFolder.create(name: "a", root: root)
        try folder.write(Data("keep".utf8), to: "config.json")
        #expect(throws: RunFolderError.exists(folder.url.path)) { try RunFolder.create(name: "a", root: root) }
        #expect(try String(contentsOf: folder.file("config.json"), encoding: .utf8) == "keep")
        #expect(throws: RunFolderError.invalidName("../x")) { try RunFolder.create(name: "../x", root: root) }
        #expect(throws: RunFolderError.invalidName("")) { try RunFolder.create(name: "", root: root) }
    }

    @Test func writesAtomicallyAndAppendsLines() throws {
        let root = TrainerTests.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try RunFolder.create(name: "b", root: root)
        try folder.writeJSON(["x": 1], to: "v.json")
        try folder.writeJSON(["x": 2], to: "v.json")
        #expect(try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: folder.file("v.json"))) == ["x": 2])
        try folder.appendLine("1,2", to: "m.csv", header: "a,b")
        try folder.appendLine("3,4", to: "m.csv", header: "a,b")
        #expect(try String(contentsOf: folder.file("m.csv"), encoding: .utf8) == "a,b\n1,2\n3,4\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}
