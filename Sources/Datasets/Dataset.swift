import Tensor

/// A labelled image set held in memory: normalised Float32 pixels in NCHW order, one class index per image.
public struct Dataset: Sendable {
    /// Data set and split, e.g. "fashion-mnist/train".
    public let name: String
    /// `count * channels * height * width` normalised pixels (see `normalization`).
    public let images: [Float]
    /// One class index in `0..<classes` per image.
    public let labels: [Int32]
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// The number of classes (`classNames.count`).
    public let classes: Int
    public let classNames: [String]
    /// The constants that turned 8-bit pixels into `images` (fitted on the training split).
    public let normalization: Normalization

    /// The number of values in one image.
    public var imageSize: Int { channels * height * width }

    /// A data set from normalised pixels; `images.count` must be `labels.count * channels * height * width`.
    public init(
        name: String, images: [Float], labels: [Int32], channels: Int, height: Int, width: Int,
        classNames: [String], normalization: Normalization? = nil
    ) {
        precondition(
            images.count == labels.count * channels * height * width, "images must hold labels.count CxHxW images")
        self.name = name
        self.images = images
        self.labels = labels
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.classes = classNames.count
        self.classNames = classNames
        self.normalization = normalization ?? .identity(channels: channels)
    }

    /// Normalises raw 8-bit images with `normalization`.
    init(name: String, raw: RawImageSet, classNames: [String], normalization: Normalization) {
        self.init(
            name: name, images: normalization.apply(raw), labels: raw.labels, channels: raw.channels,
            height: raw.height, width: raw.width, classNames: classNames, normalization: normalization)
    }

    /// The images at `indices` (each in `0..<count`), in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        for index in indices { precondition(index >= 0 && index < count, "subset index \(index) outside 0..<\(count)") }
        return Dataset(
            name: name, images: gatherImages(images, imageSize: imageSize, indices: indices),
            labels: indices.map { labels[$0] }, channels: channels, height: height, width: width,
            classNames: classNames, normalization: normalization)
    }

    /// Two disjoint random subsets of `first` and `second` images (the search trains the weights on one and
    /// the architecture on the other). Each keeps the original order of its images.
    /// Throws `DatasetError.invalidSetting` when `first + second` exceeds `count` or either is negative.
    public func split(first: Int, second: Int, rng: inout SeededRNG) throws -> (Dataset, Dataset) {
        guard first >= 0, second >= 0, first <= count - second else {
            throw DatasetError.invalidSetting(
                "cannot split \(name) into \(first) + \(second) images: it has \(count)")
        }
        var order = Array(0..<count)
        rng.shuffle(&order)
        return (subset(order[0..<first].sorted()), subset(order[first..<(first + second)].sorted()))
    }

    /// How many images each class has.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }
}

/// The training and test splits of one data set, normalised with the same constants.
public struct DatasetSplits: Sendable {
    public let train: Dataset
    public let test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }
}
