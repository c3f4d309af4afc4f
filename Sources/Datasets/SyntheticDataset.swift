import Tensor

/// A small, seeded, learnable image set for tests and smoke runs. Each of the ten classes is a fixed pattern
/// of 4x4 blocks (rows 1...10 of the 16x16 Walsh-Hadamard matrix, so any two classes differ in exactly half
/// of the blocks), drawn dark (0.25) or bright (0.75) and overlaid with Gaussian pixel noise. The patterns do
/// not depend on the seed, so the training and test splits share them; the noise and label order do.
public enum SyntheticDataset {
    public static let classes = 10
    public static let classNames = (0..<classes).map { "pattern \($0)" }
    /// Image sides the generator accepts.
    public static let sides = 4...64

    /// Training and test splits of `channels` x `side` x `side` images (channels 1 or 3), ten classes as evenly
    /// filled as the counts allow, normalised with the training split's constants.
    public static func splits(
        trainCount: Int, testCount: Int, channels: Int = 1, side: Int = 16, noise: Float = 0.2, seed: UInt64 = 0
    ) throws -> DatasetSplits {
        let train = try images(count: trainCount, channels: channels, side: side, noise: noise, seed: seed)
        let test = try images(count: testCount, channels: channels, side: side, noise: noise, seed: ~seed)
        let normalization = Normalization.fit(train)
        return DatasetSplits(
            train: Dataset(name: "synthetic/train", raw: train, classNames: classNames, normalization: normalization),
            test: Dataset(name: "synthetic/test", raw: test, classNames: classNames, normalization: normalization))
    }

    /// `count` raw images: labels cycle through the classes and are then shuffled.
    static func images(count: Int, channels: Int, side: Int, noise: Float, seed: UInt64) throws -> RawImageSet {
        guard count > 0 else {
            throw DatasetError.invalidSetting("synthetic data set: count must be positive, not \(count)")
        }
        guard channels == 1 || channels == 3 else {
            throw DatasetError.invalidSetting("synthetic data set: channels must be 1 or 3, not \(channels)")
        }
        guard sides.contains(side) else {
            throw DatasetError.invalidSetting("synthetic data set: side must be in \(sides), not \(side)")
        }
        var rng = SeededRNG(seed: seed)
        var labels = (0..<count).map { Int32($0 % classes) }
        rng.shuffle(&labels)
        let plane = side * side
        var pixels = [UInt8](repeating: 0, count: count * channels * plane)
        pixels.withUnsafeMutableBufferPointer { pixels in
            for image in 0..<count {
                for channel in 0..<channels {
                    let start = (image * channels + channel) * plane
                    for y in 0..<side {
                        for x in 0..<side {
                            let block = (y * 4 / side) * 4 + x * 4 / side
                            let bright = isBright(label: Int(labels[image]), channel: channel, block: block)
                            let value = (bright ? 0.75 : 0.25) + noise * rng.nextNormal()
                            pixels[start + y * side + x] = UInt8((min(max(value, 0), 1) * 255).rounded())
                        }
                    }
                }
            }
        }
        return RawImageSet(pixels: pixels, labels: labels, count: count, channels: channels, height: side, width: side)
    }

    /// Walsh-Hadamard entry (row, block): bright when the parity of `row & block` is odd. Channel c of a
    /// class uses the next row along, so colour images carry three patterns.
    static func isBright(label: Int, channel: Int, block: Int) -> Bool {
        let row = 1 + (label + channel) % 15
        return (row & block).nonzeroBitCount % 2 == 1
    }
}
