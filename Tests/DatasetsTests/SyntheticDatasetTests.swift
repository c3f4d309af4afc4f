import Testing

@testable import Datasets

@Suite struct SyntheticDatasetTests {
    @Test func sameSeedSameImages() throws {
        let first = try SyntheticDataset.splits(trainCount: 50, testCount: 20, channels: 3, side: 8, seed: 42)
        let again = try SyntheticDataset.splits(trainCount: 50, testCount: 20, channels: 3, side: 8, seed: 42)
        let other = try SyntheticDataset.splits(trainCount: 50, testCount: 20, channels: 3, side: 8, seed: 43)
        #expect(first.train.images == again.train.images && first.train.labels == again.train.labels)
        #expect(first.test.images == again.test.images)
        #expect(first.train.images != other.train.images)
        #expect(first.train.images != first.test.images)
        #expect((first.train.channels, first.train.height, first.train.width, first.train.classes) == (3, 8, 8, 10))
    }

    @Test func classesAreBalanced() throws {
        let splits = try SyntheticDataset.splits(trainCount: 100, testCount: 35, seed: 1)
        #expect(splits.train.classCounts() == Array(repeating: 10, count: 10))
        #expect(splits.test.classCounts() == [4, 4, 4, 4, 4, 3, 3, 3, 3, 3])
        #expect(splits.train.labels != splits.train.labels.sorted())
    }

    @Test func patternsArePairwiseHalfDifferent() {
        for first in 0..<10 {
            for second in (first + 1)..<10 {
                let differing = (0..<16).filter {
                    SyntheticDataset.isBright(label: first, channel: 0, block: $0)
                        != SyntheticDataset.isBright(label: second, channel: 0, block: $0)
                }
                #expect(differing.count == 8)
            }
        }
    }

    /// A nearest-class-mean classifier fitted on the training split labels nearly all test images correctly.
    @Test func isLearnable() throws {
        let splits = try SyntheticDataset.splits(trainCount: 300, testCount: 200, side: 12, seed: 5)
        let size = splits.train.imageSize
        var means = [[Float]](repeating: [Float](repeating: 0, count: size), count: 10)
        for index in 0..<splits.train.count {
            let label = Int(splits.train.labels[index])
            for (offset, value) in image(splits.train, index).enumerated() { means[label][offset] += value / 30 }
        }
        let correct = (0..<splits.test.count).filter { index in
            let pixels = image(splits.test, index)
            let distances = means.map { mean in zip(mean, pixels).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            return distances.firstIndex(of: distances.min() ?? 0) == Int(splits.test.labels[index])
        }
        #expect(correct.count >= 190)
    }

    @Test func badSettingsAreRejected() {
        #expect(datasetError { try SyntheticDataset.splits(trainCount: 10, testCount: 10, channels: 2) }
            == .invalidSetting("synthetic data set: channels must be 1 or 3, not 2"))
        #expect(datasetError { try SyntheticDataset.splits(trainCount: 10, testCount: 10, side: 2) }
            == .invalidSetting("synthetic data set: side must be in 4...64, not 2"))
        #expect(datasetError { try SyntheticDataset.splits(trainCount: 0, testCount: 10) }
            == .invalidSetting("synthetic data set: count must be positive, not 0"))
    }

    @Test func loaderMakesTheDefaultSyntheticSet() throws {
        let splits = try DatasetLoader.load(.synthetic, dataDirectory: nil, trainLimit: 64, seed: 2)
        #expect(splits.train.count == 64 && splits.test.count == DatasetLoader.syntheticTestCount)
        #expect(splits.train.height == DatasetLoader.syntheticSide && splits.train.channels == 1)
        #expect(splits.train.name == "synthetic/train")
    }
}
