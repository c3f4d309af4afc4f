import Tensor

/// Random training-time changes to images, applied in this order (as in the DARTS CIFAR-10 pipeline):
/// a random crop of the image padded on every side, a horizontal flip with probability 1/2, and cutout
/// (DeVries & Taylor 2017) of one square at a random centre (clipped at the borders).
///
/// They work on normalised images: the crop pads with the normalised value of a black pixel (as padding
/// the 8-bit image with zeros before normalising would), and cutout writes 0, the channel mean, exactly as
/// cutout after normalisation does in DARTS. Flipping digits makes little sense; that is the caller's choice.
public struct Augmentation: Sendable, Equatable {
    /// Pixels of padding on each side before a random crop back to the original size (0 = off).
    public var cropPadding: Int
    /// Mirror left-right with probability 1/2.
    public var horizontalFlip: Bool
    /// Side of the square set to zero (0 = off).
    public var cutout: Int

    public init(cropPadding: Int = 0, horizontalFlip: Bool = false, cutout: Int = 0) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.cutout = cutout
    }

    /// No augmentation.
    public static let none = Augmentation()

    /// True when nothing is changed.
    public var isNone: Bool { cropPadding <= 0 && !horizontalFlip && cutout <= 0 }

    /// Augments one CHW image in place. `padding` holds one value per channel for pixels shifted in by the
    /// crop; `scratch` is reused working memory.
    func apply(
        to image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int,
        padding: [Float], scratch: inout [Float], rng: inout SeededRNG
    ) {
        if cropPadding > 0 {
            let shiftY = rng.nextInt(below: 2 * cropPadding + 1) - cropPadding
            let shiftX = rng.nextInt(below: 2 * cropPadding + 1) - cropPadding
            if shiftY != 0 || shiftX != 0 {
                shift(image, channels: channels, height: height, width: width, by: (shiftY, shiftX),
                      padding: padding, scratch: &scratch)
            }
        }
        if horizontalFlip && rng.next() & 1 == 1 {
            for row in 0..<(channels * height) {
                let start = row * width
                var (left, right) = (start, start + width - 1)
                while left < right {
                    image.swapAt(left, right)
                    left += 1
                    right -= 1
                }
            }
        }
        if cutout > 0 {
            let top = rng.nextInt(below: height) - cutout / 2
            let left = rng.nextInt(below: width) - cutout / 2
            let rows = max(0, top)..<min(height, top + cutout)
            let columns = max(0, left)..<min(width, left + cutout)
            for channel in 0..<channels {
                for y in rows {
                    for x in columns { image[(channel * height + y) * width + x] = 0 }
                }
            }
        }
    }

    /// output(y, x) = input(y + shiftY, x + shiftX), or the channel's padding value outside the image.
    private func shift(
        _ image: UnsafeMutableBufferPointer<Float>, channels: Int, height: Int, width: Int, by shift: (Int, Int),
        padding: [Float], scratch: inout [Float]
    ) {
        if scratch.count < image.count { scratch = [Float](repeating: 0, count: image.count) }
        scratch.withUnsafeMutableBufferPointer { source in
            _ = source.update(fromContentsOf: image)
            for channel in 0..<channels {
                for y in 0..<height {
                    let sourceY = y + shift.0
                    for x in 0..<width {
                        let sourceX = x + shift.1
                        let inside = sourceY >= 0 && sourceY < height && sourceX >= 0 && sourceX < width
                        image[(channel * height + y) * width + x] =
                            inside ? source[(channel * height + sourceY) * width + sourceX] : padding[channel]
                    }
                }
            }
        }
    }
}
