import Tensor

/// One epoch of minibatches over a data set. The order (a seeded shuffle, or file order) and the augmentation
/// are fixed by `seed` and `epoch`: the same pair always yields the same batches, and the order does not
/// depend on whether augmentation is on.
///
///     for batch in BatchIterator(dataset: train, batchSize: 64, seed: seed, epoch: epoch) { ... }
public struct BatchIterator: Sequence, IteratorProtocol {
    public let dataset: Dataset
    public let batchSize: Int
    public let dropLast: Bool
    public let augmentation: Augmentation
    /// The dataset indices in the order this epoch visits them.
    public let order: [Int]
    private var position = 0
    private var augmentationRNG: SeededRNG
    private var scratch: [Float] = []
    private let padding: [Float]

    /// `batchSize` must be positive. With `dropLast`, a final batch smaller than `batchSize` is skipped.
    public init(
        dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
        augmentation: Augmentation = .none, seed: UInt64 = 0, epoch: Int = 0
    ) {
        precondition(batchSize > 0, "batch size must be positive")
        self.dataset = dataset
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.augmentation = augmentation
        var streams = SeededRNG(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0xD1B5_4A32_D192_ED03))
        var orderRNG = SeededRNG(seed: streams.next())
        augmentationRNG = SeededRNG(seed: streams.next())
        var order = Array(0..<dataset.count)
        if shuffle { orderRNG.shuffle(&order) }
        self.order = order
        padding = (0..<dataset.channels).map { dataset.normalization.normalize(0, channel: $0) }
    }

    /// The number of batches this epoch yields.
    public var batchCount: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    public mutating func next() -> Batch? {
        let end = Swift.min(position + batchSize, order.count)
        guard end > position, !(dropLast && end - position < batchSize) else { return nil }
        let indices = Array(order[position..<end])
        position = end
        var images = gatherImages(dataset.images, imageSize: dataset.imageSize, indices: indices)
        if !augmentation.isNone {
            let size = dataset.imageSize
            images.withUnsafeMutableBufferPointer { images in
                for slot in indices.indices {
                    augmentation.apply(
                        to: UnsafeMutableBufferPointer(rebasing: images[(slot * size)..<((slot + 1) * size)]),
                        channels: dataset.channels, height: dataset.height, width: dataset.width,
                        padding: padding, scratch: &scratch, rng: &augmentationRNG)
                }
            }
        }
        return Batch(
            images: images, labels: indices.map { dataset.labels[$0] }, indices: indices,
            channels: dataset.channels, height: dataset.height, width: dataset.width)
    }
}
