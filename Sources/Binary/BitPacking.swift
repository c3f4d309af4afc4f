import Tensor

/// Packs the signs of Float values into `PackedMatrix` rows (layout documented on `PackedMatrix`).
///
/// The sign convention is `BitPacking.sign`: +1 for x >= 0 (zero, -0.0 and NaN included), -1 for
/// x < 0; a packed bit is 1 exactly where the sign is -1. Convolution rows and weights are packed in
/// the order (ky, kx, channel), channels fastest: bit (ky * k + kx) * C + c of a row is channel c of
/// kernel tap (ky, kx). Zero padding cannot be a sign, so a tap in the padding is +1 (bit 0), the
/// "one padding" of docs/algorithms.md#bit-kernels; the float path must pad with +1 too.
public enum BitPacking {
    /// The sign the packers use: -1 for x < 0, else +1.
    @inlinable
    public static func sign(_ x: Float) -> Float { x < 0 ? -1 : 1 }

    /// Packs `rows` rows of `k` consecutive values each (row-major `rows x k`) along the rows.
    public static func packRows(values: UnsafePointer<Float>, rows: Int, k: Int, counters: KernelCounters = .current) -> PackedMatrix {
        precondition(rows >= 0 && k >= 0, "packRows: negative size \(rows) x \(k)")
        let wordsPerRow = PackedMatrix.wordCount(bits: k)
        let (matrix, nanoseconds) = KernelCounters.timed {
            PackedMatrix(rows: rows, bitsPerRow: k) { words in
                guard let base = words.baseAddress else { return }
                Parallelism.forEachChunk(rows, minimumChunk: max(1, 1 << 16 / max(1, k))) { range in
                    for row in range {
                        packSigns(values + row * k, count: k, into: base + row * wordsPerRow)
                    }
                }
            }
        }
        counters.recordPacking(bits: rows * k, nanoseconds: nanoseconds)
        return matrix
    }

    /// `packRows` over an array of `rows * k` values.
    public static func packRows(values: [Float], rows: Int, k: Int, counters: KernelCounters = .current) -> PackedMatrix {
        precondition(values.count == rows * k, "packRows: \(values.count) values for \(rows) x \(k)")
        return values.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return PackedMatrix(rows: rows, bitsPerRow: k) }
            return packRows(values: base, rows: rows, k: k, counters: counters)
        }
    }

    /// Packs a convolution weight [outChannels, inChannels, kernel, kernel] into `outChannels` rows of
    /// kernel * kernel * inChannels bits in the (ky, kx, channel) order of `packedIm2col`.
    public static func packWeights(weight: [Float], outChannels: Int, inChannels: Int, kernel: Int, counters: KernelCounters = .current) -> PackedMatrix {
        precondition(outChannels >= 0 && inChannels >= 0 && kernel >= 0, "packWeights: negative size")
        precondition(weight.count == outChannels * inChannels * kernel * kernel,
                     "packWeights: \(weight.count) values for [\(outChannels), \(inChannels), \(kernel), \(kernel)]")
        let taps = kernel * kernel
        var matrix = PackedMatrix(rows: outChannels, bitsPerRow: taps * inChannels)
        let (_, nanoseconds) = KernelCounters.timed {
            let wordsPerRow = matrix.wordsPerRow
            weight.withUnsafeBufferPointer { values in
                matrix.words.withUnsafeMutableBufferPointer { words in
                    for output in 0..<outChannels {
                        for channel in 0..<inChannels {
                            let source = (output * inChannels + channel) * taps
                            for tap in 0..<taps {
                                let bit = tap * inChannels + channel
                                let negative: UInt64 = values[source + tap] < 0 ? 1 : 0
                                words[output * wordsPerRow + bit >> 6] |= negative << UInt64(bit & 63)
                            }
                        }
                    }
                }
            }
        }
        counters.recordPacking(bits: weight.count, nanoseconds: nanoseconds)
        return matrix
    }

    /// Writes the sign bits of `count` values to ceil(count / 64) words (every word; the padding bits 0).
    /// With a `threshold` a (RSign's, of the values' channel) the bits are those of sign(x - a): the
    /// compare x < a, which is (x - a) < 0 for every pair of floats, so the subtraction never runs.
    static func packSigns(_ values: UnsafePointer<Float>, count: Int, into words: UnsafeMutablePointer<UInt64>, threshold: Float = 0) {
        let fullWords = count >> 6
        for word in 0..<fullWords {
            let chunk = UnsafeRawPointer(values + word * 64)
            var bits: UInt64 = 0
            for quarter in 0..<4 {
                bits |= negativeBits(chunk.loadUnaligned(fromByteOffset: quarter * 64, as: SIMD16<Float>.self), below: threshold) << UInt64(quarter * 16)
            }
            words[word] = bits
        }
        if count & 63 != 0 {
            var bits: UInt64 = 0
            let tail = values + fullWords * 64
            let quarters = (count & 63) >> 4
            for quarter in 0..<quarters {
                bits |= negativeBits(UnsafeRawPointer(tail).loadUnaligned(fromByteOffset: quarter * 64, as: SIMD16<Float>.self), below: threshold)
                    << UInt64(quarter * 16)
            }
            for index in quarters * 16..<(count & 63) where tail[index] < threshold { bits |= 1 << UInt64(index) }
            words[fullWords] = bits
        }
    }

    /// Bit i (0 ..< 16) set where lane i is negative (-0.0 and NaN are not), or with `threshold` where
    /// it is below it: the lanes' 0/1 flags become bytes, gathered eight at a time by `flagBits`.
    @inline(__always)
    static func negativeBits(_ lanes: SIMD16<Float>, below threshold: Float = 0) -> UInt64 {
        let flags = SIMD16<UInt8>(truncatingIfNeeded: SIMD16<UInt32>().replacing(with: 1, where: lanes .< threshold))
        return flagBits(flags.lowHalf) | flagBits(flags.highHalf) << 8
    }

    /// Bit i set where byte i is 1 (bytes 0 or 1): a multiply by 0x0102040810204080 gathers the eight
    /// flag bytes into the top byte. Swift has no mask-to-bits operation, and summing lanes of 1 << i
    /// over the mask was slower (docs/performance.md#simd-idioms).
    @inline(__always)
    static func flagBits(_ flags: SIMD8<UInt8>) -> UInt64 {
        (withUnsafeBytes(of: flags) { $0.load(as: UInt64.self) } &* 0x0102_0408_1020_4080) >> 56
    }
}
