/// A minibatch: `count` images in NCHW order with their labels.
public struct Batch: Sendable {
    /// `count * channels * height * width` normalised (and possibly augmented) pixels.
    public let images: [Float]
    public let labels: [Int32]
    /// Which images of the source data set these are, in batch order.
    public let indices: [Int]
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int

    public init(images: [Float], labels: [Int32], indices: [Int], channels: Int, height: Int, width: Int) {
        precondition(
            images.count == labels.count * channels * height * width, "images must hold labels.count CxHxW images")
        precondition(indices.count == labels.count, "one index per label")
        self.images = images
        self.labels = labels
        self.indices = indices
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
    }
}
