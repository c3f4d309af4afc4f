/// The per-channel map from 8-bit pixels to network inputs: `x = (p / 255 - mean[c]) / std[c]`. The
/// constants are fitted on a training split and applied unchanged to its test split.
public struct Normalization: Sendable, Equatable {
    /// Per-channel mean of the pixels scaled to [0, 1].
    public let mean: [Float]
    /// Per-channel standard deviation of the pixels scaled to [0, 1] (1 for a constant channel).
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "one mean and one std per channel")
        self.mean = mean
        self.std = std
    }

    /// Pixels scaled to [0, 1] and nothing else.
    public static func identity(channels: Int) -> Normalization {
        Normalization(mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels))
    }

    /// The normalised value of an 8-bit `pixel` in `channel`.
    public func normalize(_ pixel: UInt8, channel: Int) -> Float {
        (Float(pixel) / 255 - mean[channel]) / std[channel]
    }

    /// Mean and standard deviation per channel over all images, computed exactly from pixel histograms.
    static func fit(_ raw: RawImageSet) -> Normalization {
        let plane = raw.height * raw.width
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: raw.channels)
        raw.pixels.withUnsafeBufferPointer { pixels in
            for channel in 0..<raw.channels {
                histograms[channel].withUnsafeMutableBufferPointer { histogram in
                    for image in 0..<raw.count {
                        let start = (image * raw.channels + channel) * plane
                        for offset in start..<(start + plane) {
                            histogram[Int(pixels[offset])] &+= 1
                        }
                    }
                }
            }
        }
        var means = [Float]()
        var stds = [Float]()
        for histogram in histograms {
            let total = Double(max(1, histogram.reduce(0, +)))
            let mean = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset) / 255 * Double($1.element) } / total
            let variance = histogram.enumerated().reduce(0.0) { sum, entry in
                let deviation = Double(entry.offset) / 255 - mean
                return sum + deviation * deviation * Double(entry.element)
            } / total
            means.append(Float(mean))
            stds.append(variance > 1e-12 ? Float(variance.squareRoot()) : 1)
        }
        return Normalization(mean: means, std: stds)
    }

    /// The raw images as normalised Float32, NCHW, through a 256-entry lookup table per channel.
    func apply(_ raw: RawImageSet) -> [Float] {
        let table = (0..<raw.channels).flatMap { channel in (0...255).map { normalize(UInt8($0), channel: channel) } }
        let plane = raw.height * raw.width
        return [Float](unsafeUninitializedCapacity: raw.pixels.count) { output, initialized in
            raw.pixels.withUnsafeBufferPointer { pixels in
                table.withUnsafeBufferPointer { table in
                    for image in 0..<raw.count {
                        for channel in 0..<raw.channels {
                            let start = (image * raw.channels + channel) * plane
                            let channelTable = channel * 256
                            for offset in start..<(start + plane) {
                                output[offset] = table[channelTable &+ Int(pixels[offset])]
                            }
                        }
                    }
                }
            }
            initialized = raw.pixels.count
        }
    }
}
