/// Images as 8-bit pixels (NCHW) with their labels, as read from a file or made by the synthetic
/// generator, before normalisation turns them into a `Dataset`.
struct RawImageSet: Sendable {
    var pixels: [UInt8]
    var labels: [Int32]
    var count: Int
    var channels: Int
    var height: Int
    var width: Int

    var imageSize: Int { channels * height * width }

    /// "60000 images of 28x28" or "50000 images of 3x32x32": for messages.
    var shapeDescription: String {
        let size = channels == 1 ? "\(height)x\(width)" : "\(channels)x\(height)x\(width)"
        return "\(count) images of \(size)"
    }

    /// The images at `indices`, in that order.
    func subset(_ indices: [Int]) -> RawImageSet {
        RawImageSet(
            pixels: gatherImages(pixels, imageSize: imageSize, indices: indices), labels: indices.map { labels[$0] },
            count: indices.count, channels: channels, height: height, width: width)
    }

    /// Appends another set of the same image shape.
    mutating func append(_ other: RawImageSet) {
        pixels.append(contentsOf: other.pixels)
        labels.append(contentsOf: other.labels)
        count += other.count
    }
}
