import Foundation
import Testing

@testable import Datasets
import Tensor

@Suite struct DatasetLoaderTests {
    static let directory = DatasetLoader.defaultFashionMNISTDirectory

    @Test func realFashionMNISTLoads() throws {
        let splits = try DatasetLoader.load(.fashionMNIST, dataDirectory: nil)
        let train = splits.train
        let test = splits.test
        #expect((train.count, train.channels, train.height, train.width) == (60000, 1, 28, 28))
        #expect((test.count, test.channels, test.height, test.width) == (10000, 1, 28, 28))
        #expect(train.images.count == 60000 * 784)
        #expect(train.classCounts() == Array(repeating: 6000, count: 10))
        #expect(test.classCounts() == Array(repeating: 1000, count: 10))
        #expect(train.name == "fashion-mnist/train")
        #expect(train.classNames[9] == "Ankle boot")

        let rawTrainLabels = try gunzip(Self.directory + "/train-labels-idx1-ubyte.gz")
        let rawTestLabels = try gunzip(Self.directory + "/t10k-labels-idx1-ubyte.gz")
        #expect(train.labels.prefix(10).map { UInt8($0) } == Array(rawTrainLabels[8..<18]))
        #expect(test.labels.prefix(10).map { UInt8($0) } == Array(rawTestLabels[8..<18]))
        #expect(train.labels.prefix(10) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(test.labels.suffix(1000).map { UInt8($0) } == Array(rawTestLabels.suffix(1000)))

        var sum = 0.0
        var squares = 0.0
        for value in train.images {
            sum += Double(value)
            squares += Double(value) * Double(value)
        }
        let mean = sum / Double(train.images.count)
        #expect(abs(mean) < 1e-4)
        #expect(abs((squares / Double(train.images.count) - mean * mean).squareRoot() - 1) < 1e-4)
        // Fashion-MNIST's well-known constants: mean 0.2860, std 0.3530 of pixels in [0, 1].
        #expect(abs(train.normalization.mean[0] - 0.2860) < 1e-3)
        #expect(abs(train.normalization.std[0] - 0.3530) < 1e-3)
    }

    @Test func trainLimitDrawsASeededSubsetWithFullSetConstants() throws {
        let first = try DatasetLoader.load(.fashionMNIST, dataDirectory: Self.directory, trainLimit: 500, seed: 7)
        let again = try DatasetLoader.load(.fashionMNIST, dataDirectory: Self.directory, trainLimit: 500, seed: 7)
        let other = try DatasetLoader.load(.fashionMNIST, dataDirectory: Self.directory, trainLimit: 500, seed: 8)
        #expect(first.train.count == 500)
        #expect(first.test.count == 10000)
        #expect(first.train.labels == again.train.labels && first.train.images == again.train.images)
        #expect(first.train.images != other.train.images)
        #expect(abs(first.train.normalization.mean[0] - 0.2860) < 1e-3)
        #expect(datasetError { try DatasetLoader.load(.fashionMNIST, dataDirectory: nil, trainLimit: 60001) }
            == .invalidSetting("asked for 60001 training images but Fashion-MNIST has 60000"))
        #expect(datasetError { try DatasetLoader.load(.synthetic, dataDirectory: nil, trainLimit: 0) }
            == .invalidSetting("the training set size must be positive, not 0"))
    }

    @Test func missingDataSetsTellWhatToDo() throws {
        let empty = try TemporaryDirectory()
        let fashionError = datasetError { try DatasetLoader.load(.fashionMNIST, dataDirectory: empty.path) }
        #expect(fashionError?.description.hasPrefix(
            "Fashion-MNIST not found in \(empty.path) (missing train-images-idx3-ubyte[.gz]") == true)
        #expect(fashionError?.description.contains("make setup") == true)
        #expect(DatasetError.notFound(kind: .fashionMNIST, directory: Self.directory, missing: []).description
            == "Fashion-MNIST not found in /usr/share/datasets/fashion-mnist: run `make setup` (installs Debian's"
            + " dataset-fashion-mnist) or pass --data-dir DIR")
        #expect(datasetError { try DatasetLoader.load(.mnist, dataDirectory: empty.path) }?.description
            == "MNIST not found in \(empty.path): expected train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],"
            + " t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]; pass --data-dir DIR")
        #expect(datasetError { try DatasetLoader.load(.mnist, dataDirectory: nil) }?.description.hasPrefix(
            "MNIST needs --data-dir DIR: a directory with train-images-idx3-ubyte[.gz]") == true)
        #expect(datasetError { try DatasetLoader.load(.cifar10, dataDirectory: empty.path + "/nowhere") }?.description
            .hasPrefix("CIFAR-10 not found in \(empty.path)/nowhere") == true)
    }

    @Test func splitGivesDisjointSeededHalves() throws {
        let train = try SyntheticDataset.splits(trainCount: 200, testCount: 10).train
        var rng = SeededRNG(seed: 3)
        let (weights, architecture) = try train.split(first: 120, second: 80, rng: &rng)
        #expect(weights.count == 120 && architecture.count == 80)
        // Each synthetic image is distinct noise, so images identify their source index.
        let rows = Dictionary(uniqueKeysWithValues: (0..<train.count).map { (image(train, $0), $0) })
        let firstIndices = (0..<weights.count).compactMap { rows[image(weights, $0)] }
        let secondIndices = (0..<architecture.count).compactMap { rows[image(architecture, $0)] }
        #expect(firstIndices.count == 120 && secondIndices.count == 80)
        #expect(Set(firstIndices).isDisjoint(with: secondIndices))
        #expect(firstIndices == firstIndices.sorted())
        #expect(weights.labels == firstIndices.map { train.labels[$0] })
        var same = SeededRNG(seed: 3)
        #expect(try train.split(first: 120, second: 80, rng: &same).0.images == weights.images)
        #expect(datasetError { try train.split(first: 150, second: 51, rng: &rng) }
            == .invalidSetting("cannot split synthetic/train into 150 + 51 images: it has 200"))
    }

    @Test func subsetKeepsTheGivenOrder() throws {
        let train = try SyntheticDataset.splits(trainCount: 20, testCount: 10).train
        let picked = train.subset([5, 2, 5])
        #expect(picked.count == 3)
        #expect(image(picked, 0) == image(train, 5) && image(picked, 1) == image(train, 2))
        #expect(picked.labels == [train.labels[5], train.labels[2], train.labels[5]])
        #expect(picked.normalization == train.normalization)
    }
}

/// Image `index` of a data set, as an array to compare or hash.
func image(_ dataset: Dataset, _ index: Int) -> [Float] {
    Array(dataset.images[(index * dataset.imageSize)..<((index + 1) * dataset.imageSize)])
}
