import Datasets
import Foundation
import Testing
@testable import Network
import Tensor

@Suite struct ModelEvaluationTests {
    /// `bnas eval` takes the sizes from the file it reads: a version-2 model, and an older run's
    /// version-1 model of the same network, which still evaluates.
    @Test func measuresTheBytesEitherVersionStores() throws {
        let network = ModelFileTests.trained(.init(weights: .xnor, activations: .binary))
        let test = try SyntheticDataset.splits(trainCount: 8, testCount: 64, channels: 1, side: 8, seed: 3).test
        let accuracy = Trainer.evaluate(network, on: test).accuracy
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-evaluation-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var stored: [Int: Int] = [:]
        for (version, data) in [(1, try ModelFileVersion1.encode(network)), (2, try ModelFile.encode(network))] {
            let folder = try RunFolder.create(name: "version-\(version)", root: root)
            try data.write(to: folder.file("model.bnn"))
            let report = try ModelEvaluation.measure(folder, on: test, batchSize: 32)
            #expect(report.disagreement == nil)
            #expect(report.bitPathAccuracy == accuracy && report.floatPathAccuracy == accuracy)
            #expect(report.modelFileBytes == data.count)
            #expect(report.binaryLayersFloat32Bytes == 4 * network.binaryParameterCount)
            #expect(report.binaryLayersStoredBytes == (try ModelFile.decode(data, path: "model.bnn").binaryLayerBytes))
            #expect(try JSONDecoder().decode(ModelEvaluation.self, from: Data(contentsOf: folder.file(ModelEvaluation.fileName))) == report)
            stored[version] = report.binaryLayersStoredBytes
        }
        let folder = try RunFolder(existing: root.appendingPathComponent("version-2").path)
        let repeated = try ModelEvaluation.measure(folder, on: test, batchSize: 32, runs: 3)
        #expect(repeated.runs == 3 && repeated.disagreement == nil && repeated.bitPathAccuracy == accuracy)
        let convolutions = network.cellConvolutions
        #expect(stored[1] == convolutions.reduce(0) { $0 + ($1.weight.count + 63) / 64 * 8 + 4 * $1.weight.shape[0] })
        #expect(stored[2] == convolutions.reduce(0) { $0 + ($1.weight.count + 7) / 8 })
    }

    /// The speeds of several passes are their median: the middle value, or the mean of the middle two.
    @Test func medianOfPasses() {
        #expect(Benchmark.median(of: [3]) == 3)
        #expect(Benchmark.median(of: [5, 1, 4]) == 4)
        #expect(Benchmark.median(of: [9, 1, 4, 2]) == 3)
    }
}
