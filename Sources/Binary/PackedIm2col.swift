import Tensor

/// im2col straight to bits: one packed row per output pixel of an NCHW batch, without a float
/// column matrix in between.
///
/// ```
/// row   (n * outHeight + oy) * outWidth + ox                      (image, then output pixel, row-major)
/// bit   (ky * kernel + kx) * Cg + c                              (kernel tap, then channel: channels fastest)
/// value sign(input[n, group * Cg + c, oy * stride - padding + ky * dilation, ox * stride - padding + kx * dilation])
///       or +1 (bit 0) where that position lies in the padding
/// ```
/// with Cg = channels per group, so a row has kernel * kernel * Cg bits and matches the rows of
/// `BitPacking.packWeights` for the group's weights.
///
/// Each image is first packed channels-last (one run of ceil(Cg / 64) words per input pixel, reading
/// each plane once), then every row is assembled from the runs of its taps, tap by tap along an output row:
/// whole-word copies when Cg is a multiple of 64, shifted ORs otherwise.
extension BitPacking {
    /// The packed im2col of `input` (NCHW, `geometry`'s shape) for one group of input channels.
    public static func packedIm2col(
        input: UnsafePointer<Float>, geometry g: ConvGeometry, group: Int = 0, counters: KernelCounters = .current
    ) -> PackedMatrix {
        precondition(group >= 0 && group < g.groups, "packedIm2col: group \(group) of \(g.groups)")
        let channels = g.channelsPerGroup
        let (matrix, nanoseconds) = KernelCounters.timed {
            PackedMatrix(rows: g.batch * g.outPixels, bitsPerRow: g.kernel * g.kernel * channels) { words in
                let wordsPerRow = PackedMatrix.wordCount(bits: g.kernel * g.kernel * channels)
                guard let output = words.baseAddress, wordsPerRow > 0 else { return }
                Parallelism.forEachChunk(g.batch) { images in
                    let scratch = Im2colScratch(g)
                    defer { scratch.deallocate() }
                    for n in images {
                        scratch.packImage(input, n, group: group, into: output + n * g.outPixels * wordsPerRow)
                    }
                }
            }
        }
        counters.recordPacking(bits: matrix.rows * matrix.bitsPerRow, nanoseconds: nanoseconds)
        return matrix
    }

    /// `packedIm2col` over an array holding the whole NCHW batch.
    public static func packedIm2col(
        input: [Float], geometry: ConvGeometry, group: Int = 0, counters: KernelCounters = .current
    ) -> PackedMatrix {
        precondition(input.count == geometry.batch * geometry.inChannels * geometry.height * geometry.width,
                     "packedIm2col: \(input.count) values for the geometry's input")
        return input.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                return PackedMatrix(rows: geometry.batch * geometry.outPixels, bitsPerRow: geometry.kernel * geometry.kernel * geometry.channelsPerGroup)
            }
            return packedIm2col(input: base, geometry: geometry, group: group, counters: counters)
        }
    }

    /// One worker's buffers for packing images one at a time: the channels-last runs of an image and
    /// the scratch of `packChannelsLast`.
    struct Im2colScratch {
        let geometry: ConvGeometry
        let runs: UnsafeMutablePointer<UInt64>
        let halves: UnsafeMutablePointer<UInt32>
        /// Words per run (one input pixel's channels) and per packed row (one output pixel's patch).
        let runWords, wordsPerRow: Int

        init(_ g: ConvGeometry) {
            geometry = g
            runWords = PackedMatrix.wordCount(bits: g.channelsPerGroup)
            wordsPerRow = PackedMatrix.wordCount(bits: g.kernel * g.kernel * g.channelsPerGroup)
            let pixels = g.height * g.width
            runs = .allocate(capacity: max(1, pixels * runWords))
            halves = .allocate(capacity: max(1, 2 * pixels))
            halves.initialize(repeating: 0, count: max(1, 2 * pixels))
        }

        func deallocate() { runs.deallocate(); halves.deallocate() }

        /// Packs image `n`'s channels of `group` (of the NCHW batch at `input`) into `runs`, with
        /// `thresholds` (one per input channel of the batch) the signs of x - thresholds[c].
        func packRuns(_ input: UnsafePointer<Float>, _ n: Int, group: Int, thresholds: UnsafePointer<Float>? = nil) {
            let g = geometry
            let pixels = g.height * g.width
            let image = input + (n * g.inChannels + group * g.channelsPerGroup) * pixels
            packChannelsLast(image, channels: g.channelsPerGroup, pixels: pixels, into: runs, halves: halves,
                             thresholds: thresholds.map { $0 + group * g.channelsPerGroup })
        }

        /// Writes image `n`'s outPixels packed rows (wordsPerRow words each) to `rows`.
        func packImage(_ input: UnsafePointer<Float>, _ n: Int, group: Int, into rows: UnsafeMutablePointer<UInt64>,
                       thresholds: UnsafePointer<Float>? = nil) {
            packRuns(input, n, group: group, thresholds: thresholds)
            rows.initialize(repeating: 0, count: geometry.outPixels * wordsPerRow)
            assembleRows(geometry, runs: runs, into: rows, wordsPerRow: wordsPerRow)
        }
    }

    /// Packs `channels` planes of `pixels` values into runs of ceil(channels / 64) words per pixel:
    /// bit c of pixel p's run is the sign of plane c at p. Each plane is read once, front to back, 16
    /// pixels at a time, its bit ORed into `halves` (scratch for 2 * pixels values: the low and high 32
    /// channels of the current block of 64). With `thresholds` ([channels]), bit c is the sign of
    /// plane c minus thresholds[c] (RSign), compared as in `packSigns`.
    static func packChannelsLast(
        _ planes: UnsafePointer<Float>, channels: Int, pixels: Int, into runs: UnsafeMutablePointer<UInt64>,
        halves: UnsafeMutablePointer<UInt32>, thresholds: UnsafePointer<Float>? = nil
    ) {
        let runWords = PackedMatrix.wordCount(bits: channels)
        let vectorPixels = pixels & ~15
        for block in 0..<runWords {
            halves.update(repeating: 0, count: 2 * pixels)
            for channel in 0..<min(64, channels - block * 64) {
                let plane = planes + (block * 64 + channel) * pixels
                let half = halves + (channel >> 5) * pixels
                let bit = UInt32(1) << UInt32(channel & 31)
                let threshold = thresholds?[block * 64 + channel] ?? 0
                var pixel = 0
                while pixel < vectorPixels {
                    let values = UnsafeRawPointer(plane + pixel).loadUnaligned(as: SIMD16<Float>.self)
                    let target = UnsafeMutableRawPointer(half + pixel)
                    var bits = target.loadUnaligned(as: SIMD16<UInt32>.self)
                    bits.replace(with: bits | bit, where: values .< threshold)
                    target.storeBytes(of: bits, as: SIMD16<UInt32>.self)
                    pixel += 16
                }
                for pixel in vectorPixels..<pixels where plane[pixel] < threshold { half[pixel] |= bit }
            }
            for pixel in 0..<pixels {
                runs[pixel * runWords + block] = UInt64(halves[pixel]) | UInt64(halves[pixels + pixel]) << 32
            }
        }
    }

    /// Writes one image's rows (zeroed just before, while they are in cache) from its channels-last
    /// runs; taps in the padding stay 0.
    /// Loops run tap by tap over the output pixels of a row whose tap lands inside the image.
    static func assembleRows(_ g: ConvGeometry, runs: UnsafePointer<UInt64>, into rows: UnsafeMutablePointer<UInt64>, wordsPerRow: Int) {
        let channels = g.channelsPerGroup
        let runWords = PackedMatrix.wordCount(bits: channels)
        let sourceStride = g.stride &* runWords
        // Output columns whose tap kx lands inside the image: the same on every output row.
        let validColumns = (0..<g.kernel).map { kx in
            ConvGeometry.validRange(outputs: g.outWidth, size: g.width, stride: g.stride, offset: kx &* g.dilation &- g.padding)
        }
        for oy in 0..<g.outHeight {
            let outputRow = rows + oy &* g.outWidth &* wordsPerRow
            for ky in 0..<g.kernel {
                let iy = oy &* g.stride &- g.padding &+ ky &* g.dilation
                guard iy >= 0 && iy < g.height else { continue }
                for kx in 0..<g.kernel {
                    let xOffset = kx &* g.dilation &- g.padding
                    let valid = validColumns[kx]
                    guard !valid.isEmpty else { continue }
                    let tap = ky &* g.kernel &+ kx
                    // Output pixel ox reads input pixel (iy, ox * stride + xOffset).
                    let source = runs + (iy &* g.width &+ xOffset) &* runWords
                    if channels == 64 {
                        let target = outputRow + tap
                        for ox in valid { target[ox &* wordsPerRow] = source[ox &* sourceStride] }
                    } else if channels & 63 == 0 {
                        let target = outputRow + tap &* runWords
                        for ox in valid {
                            for word in 0..<runWords { target[ox &* wordsPerRow &+ word] = source[ox &* sourceStride &+ word] }
                        }
                    } else {
                        for ox in valid {
                            appendBits(source + ox &* sourceStride, words: runWords, into: outputRow + ox &* wordsPerRow,
                                       rowWords: wordsPerRow, at: tap &* channels)
                        }
                    }
                }
            }
        }
    }

    /// ORs `words` words of bits into `row` starting at bit `offset`. The source's bits past the run's
    /// length are 0, so nothing lands past the run.
    @inline(__always)
    static func appendBits(_ source: UnsafePointer<UInt64>, words: Int, into row: UnsafeMutablePointer<UInt64>, rowWords: Int, at offset: Int) {
        for index in 0..<words {
            let value = source[index]
            guard value != 0 else { continue }
            let position = offset &+ index &* 64
            let (word, shift) = (position >> 6, UInt64(position & 63))
            row[word] |= value << shift
            if shift != 0 && word &+ 1 < rowWords { row[word &+ 1] |= value >> (64 &- shift) }
        }
    }
}

/// The channels-last runs of a whole NCHW batch (`BitPacking.packChannelsLast` of each image, image n
/// at `words + n * imageWords`): a 1x1 convolution's B operand on the XNOR GEMM, packed once per
/// tensor for every 1x1 convolution that reads it (`BinaryConvolution.forward(_:input:kernel:)` with a
/// tensor).
public final class ChannelRuns {
    let runWords, imageWords: Int
    let words: UnsafeMutablePointer<UInt64>

    init(_ x: Tensor, counters: KernelCounters) {
        precondition(x.rank == 4, "ChannelRuns: a batch of shape \(x.shape)")
        let (batch, channels, pixels) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let runWords = PackedMatrix.wordCount(bits: channels)
        let imageWords = pixels * runWords
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, batch * imageWords))
        (self.runWords, self.imageWords, self.words) = (runWords, imageWords, words)
        let (_, nanoseconds) = KernelCounters.timed {
            x.data.withUnsafeBufferPointer { values in
                guard let base = values.baseAddress else { return }
                Parallelism.forEachChunk(batch, valuesEach: channels * pixels) { images in
                    let halves = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, 2 * pixels))
                    defer { halves.deallocate() }
                    for n in images {
                        BitPacking.packChannelsLast(base + n * channels * pixels, channels: channels, pixels: pixels,
                                                    into: words + n * imageWords, halves: halves)
                    }
                }
            }
        }
        counters.recordPacking(bits: batch * channels * pixels, nanoseconds: nanoseconds)
    }

    deinit { words.deallocate() }
}
