import Tensor

/// Loads a data set's training and test splits from disk (or makes the synthetic one), normalised with
/// per-channel constants fitted on the whole training file.
public enum DatasetLoader {
    /// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST (`make setup` installs it).
    public static let defaultFashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    /// Images in the synthetic training split when no limit is given, and in its test split.
    public static let syntheticTrainCount = 2000
    public static let syntheticTestCount = 500
    /// Side of the synthetic images (single channel).
    public static let syntheticSide = 16

    /// Loads `kind` from `dataDirectory` (for Fashion-MNIST, nil means `defaultFashionMNISTDirectory`; MNIST
    /// and CIFAR-10 have no default). With `trainLimit`, the training split keeps that many images drawn at
    /// random (seeded by `seed`, kept in file order); the normalisation constants still come from the whole
    /// training file, so they do not depend on the limit. The test split is always complete.
    public static func load(
        _ kind: DatasetKind, dataDirectory: String?, trainLimit: Int? = nil, seed: UInt64 = 0
    ) throws -> DatasetSplits {
        if let trainLimit, trainLimit <= 0 {
            throw DatasetError.invalidSetting("the training set size must be positive, not \(trainLimit)")
        }
        let train: RawImageSet
        let test: RawImageSet
        switch kind {
        case .synthetic:
            return try SyntheticDataset.splits(
                trainCount: trainLimit ?? syntheticTrainCount, testCount: syntheticTestCount,
                side: syntheticSide, seed: seed)
        case .fashionMNIST:
            (train, test) = try loadIDX(kind, directory: dataDirectory ?? defaultFashionMNISTDirectory)
        case .mnist:
            guard let dataDirectory else {
                throw DatasetError.notFound(kind: kind, directory: nil, missing: idxFileNames)
            }
            (train, test) = try loadIDX(kind, directory: dataDirectory)
        case .cifar10:
            guard let dataDirectory else {
                throw DatasetError.notFound(
                    kind: kind, directory: nil, missing: CIFAR10Reader.trainFiles + CIFAR10Reader.testFiles)
            }
            (train, test) = try loadCIFAR10(directory: dataDirectory)
        }
        let normalization = Normalization.fit(train)
        var limited = train
        if let trainLimit, trainLimit < train.count {
            var rng = SeededRNG(seed: seed)
            var order = Array(0..<train.count)
            rng.shuffle(&order)
            limited = train.subset(order[0..<trainLimit].sorted())
        } else if let trainLimit, trainLimit > train.count {
            throw DatasetError.invalidSetting(
                "asked for \(trainLimit) training images but \(kind.displayName) has \(train.count)")
        }
        let names = kind.classNames
        return DatasetSplits(
            train: Dataset(name: "\(kind.rawValue)/train", raw: limited, classNames: names, normalization: normalization),
            test: Dataset(name: "\(kind.rawValue)/test", raw: test, classNames: names, normalization: normalization))
    }

    /// The four IDX files, by the name used in messages.
    static let idxFileNames = [
        "train-images-idx3-ubyte[.gz]", "train-labels-idx1-ubyte[.gz]",
        "t10k-images-idx3-ubyte[.gz]", "t10k-labels-idx1-ubyte[.gz]",
    ]

    /// Reads the MNIST-layout files `train-*` and `t10k-*` in `directory`.
    static func loadIDX(_ kind: DatasetKind, directory: String) throws -> (RawImageSet, RawImageSet) {
        let wanted = [
            ("train-images", "idx3"), ("train-labels", "idx1"), ("t10k-images", "idx3"), ("t10k-labels", "idx1"),
        ]
        let paths = wanted.map { IDXReader.locate($0.0, kind: $0.1, in: directory) }
        let missing = zip(paths, idxFileNames).filter { $0.0 == nil }.map(\.1)
        guard missing.isEmpty else { throw DatasetError.notFound(kind: kind, directory: directory, missing: missing) }
        let found = paths.compactMap { $0 }
        let classes = kind.classNames.count
        let train = try readIDXPair(images: found[0], labels: found[1], classes: classes)
        let test = try readIDXPair(images: found[2], labels: found[3], classes: classes)
        guard train.height == test.height, train.width == test.width else {
            throw DatasetError.shapeMismatch(
                trainPath: found[0], train: "\(train.height)x\(train.width)",
                testPath: found[2], test: "\(test.height)x\(test.width)")
        }
        return (train, test)
    }

    /// Reads an IDX image file and its label file, checking they hold the same number of examples.
    static func readIDXPair(images imagesPath: String, labels labelsPath: String, classes: Int) throws -> RawImageSet {
        var images = try IDXReader.readImages(atPath: imagesPath)
        let labels = try IDXReader.readLabels(atPath: labelsPath, classes: classes)
        guard labels.count == images.count else {
            throw DatasetError.countMismatch(
                imagesPath: imagesPath, images: images.count, labelsPath: labelsPath, labels: labels.count)
        }
        images.labels = labels
        return images
    }

    /// Reads the five training batches and the test batch from `directory` or its `cifar-10-batches-bin`.
    static func loadCIFAR10(directory: String) throws -> (RawImageSet, RawImageSet) {
        let batches = CIFAR10Reader.batchDirectory(in: directory)
        let names = CIFAR10Reader.trainFiles + CIFAR10Reader.testFiles
        let missing = names.filter { !FileReader.isFile(batches + "/" + $0) }
        guard missing.isEmpty else {
            throw DatasetError.notFound(kind: .cifar10, directory: directory, missing: missing)
        }
        var train = try CIFAR10Reader.readBatch(atPath: batches + "/" + CIFAR10Reader.trainFiles[0])
        for name in CIFAR10Reader.trainFiles.dropFirst() {
            train.append(try CIFAR10Reader.readBatch(atPath: batches + "/" + name))
        }
        let test = try CIFAR10Reader.readBatch(atPath: batches + "/" + CIFAR10Reader.testFiles[0])
        return (train, test)
    }
}
