import Dispatch
import Tensor

/// A binarized depthwise convolution followed by a binarized 1x1 convolution of its signs (the
/// `dil_conv` and `sep_conv` blocks at inference), on bits from end to end: the depthwise outputs are
/// never written as floats. Only their signs feed the 1x1 convolution, and a depthwise output
/// scale * (k*k - 2 * count) is negative for a range of mismatch counts that its channel's scale fixes
/// (`DepthwiseBits.SignRule`), so the bit-sliced counts become sign bits directly.
///
/// Each worker takes whole images. For one image:
/// ```
/// planes (C x H x W floats) --DepthwiseBits, sign rule-->  negatives[c][oy], bit ox   (one word per output row)
///        --64 x 64 bit transposes-->  runs[oy * W' + ox], bit c                     (the 1x1 convolution's B, channels-last)
///        --XNOR GEMM with the 1x1 kernel's bits, scales, batch norm-->  output image (O x H' x W' floats)
/// ```
/// so an image's bits stay in the worker's cache between the two convolutions. The outputs have the
/// bits of the two convolutions run one after the other (tested).
public enum SeparableBits {
    /// Whether the pair runs here: a depthwise convolution `DepthwiseBits` takes, then a 1x1 stride-1
    /// dense convolution of its outputs deep enough for the bit GEMM.
    public static func fits(depthwise d: ConvGeometry, pointwise p: ConvGeometry) -> Bool {
        DepthwiseBits.fits(d) && p.isPointwise && p.groups == 1 && p.batch == d.batch && p.inChannels == d.outChannels
            && p.height == d.outHeight && p.width == d.outWidth && p.inChannels >= BinaryConvolution.minimumBitDepth
    }

    /// pointwise(sign(depthwise(sign(x) padded with +1))), scaled per output channel and, with
    /// `affine`, normalised, NCHW, written to `output`.
    static func forward(
        depthwise d: ConvGeometry, input: UnsafePointer<Float>, depthwiseKernel: BinaryKernel,
        pointwise p: ConvGeometry, pointwiseKernel: BinaryKernel, output: UnsafeMutablePointer<Float>,
        normalisedBy affine: ChannelAffine?, path: KernelPath, counters: KernelCounters
    ) {
        precondition(fits(depthwise: d, pointwise: p), "SeparableBits: unsupported geometries")
        let (channels, taps) = (d.inChannels, d.kernel * d.kernel)
        let masks = (0..<channels * taps).map { index -> UInt64 in
            depthwiseKernel.bits.isNegative(row: index / taps, bit: index % taps) ? ~0 : 0
        }
        let rules = depthwiseKernel.weights.scales.map { DepthwiseBits.SignRule(taps: taps, scale: $0) }
        let pointwiseBits = pointwiseKernel.bits
        let runWords = pointwiseBits.wordsPerRow
        let rowStride = (d.outHeight + DepthwiseBits.rowsPerStep - 1) / DepthwiseBits.rowsPerStep * DepthwiseBits.rowsPerStep
        let tiles = (p.outPixels + XNORKernels.tileColumns(path) - 1) / XNORKernels.tileColumns(path)
        let workers = Parallelism.workerCount(d.batch)
        // Nanoseconds each worker spent on the depthwise convolution and on the 1x1 one.
        var busy = [Int](repeating: 0, count: 2 * workers)
        let start = DispatchTime.now().uptimeNanoseconds
        masks.withUnsafeBufferPointer { masks in pointwiseBits.words.withUnsafeBufferPointer { weights in
            pointwiseKernel.weights.scales.withUnsafeBufferPointer { scales in busy.withUnsafeMutableBufferPointer { busy in
                guard let masks = masks.baseAddress, let weights = weights.baseAddress, let scales = scales.baseAddress else { return }
                Parallelism.forEachWorkerChunk(d.batch) { worker, images in
                    let plane = DepthwiseBits.Plane(d)
                    let negatives = UnsafeMutablePointer<UInt64>.allocate(capacity: channels * rowStride)
                    let runs = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, p.outPixels * runWords))
                    let block = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
                    defer { plane.deallocate(); negatives.deallocate(); runs.deallocate(); block.deallocate() }
                    for n in images {
                        let started = DispatchTime.now().uptimeNanoseconds
                        for c in 0..<channels {
                            plane.pack(input + (n * channels + c) * d.height * d.width)
                            plane.convolveSigns(masks: masks + c * taps, rule: rules[c], into: negatives + c * rowStride)
                        }
                        transpose(negatives, channels: channels, rowStride: rowStride, height: d.outHeight, width: d.outWidth,
                                  into: runs, runWords: runWords, block: block)
                        let convolved = DispatchTime.now().uptimeNanoseconds
                        let image = output + n * p.outChannels * p.outPixels
                        let operands = XNORKernels.Operands(
                            a: weights, b: runs, m: p.outChannels, n: p.outPixels, words: runWords, k: pointwiseBits.bitsPerRow,
                            c: UnsafeMutableRawPointer(image), ldc: p.outPixels, scales: scales)
                        XNORKernels.block(path, operands, rows: 0..<p.outChannels, tiles: 0..<tiles)
                        affine?.apply(toImage: image, pixels: p.outPixels)
                        let done = DispatchTime.now().uptimeNanoseconds
                        busy[2 * worker] += Int(convolved - started)
                        busy[2 * worker + 1] += Int(done - convolved)
                    }
                }
            } }
        } }
        let wall = Int(DispatchTime.now().uptimeNanoseconds - start)
        let depthwiseBusy = busy.enumerated().filter { $0.offset % 2 == 0 }.reduce(0) { $0 + $1.element }
        let depthwiseShare = wall * depthwiseBusy / max(1, busy.reduce(0, +))
        counters.recordBinary(macs: d.macs, nanoseconds: depthwiseShare)
        counters.recordBinary(macs: p.macs, nanoseconds: wall - depthwiseShare)
    }

    /// The channels-last runs of one image from its per-channel sign rows: run (oy, ox), bit c =
    /// bit ox of negatives[c * rowStride + oy]; bits past `channels` are 0. A 64 x 64 bit transpose
    /// per output row and block of 64 channels, in `block`.
    static func transpose(
        _ negatives: UnsafePointer<UInt64>, channels: Int, rowStride: Int, height: Int, width: Int,
        into runs: UnsafeMutablePointer<UInt64>, runWords: Int, block: UnsafeMutablePointer<UInt64>
    ) {
        for oy in 0..<height {
            for word in 0..<runWords {
                let count = min(64, channels - word * 64)
                for c in 0..<count { block[c] = negatives[(word * 64 + c) * rowStride + oy] }
                for c in count..<64 { block[c] = 0 }
                transpose64(block)
                let target = runs + oy * width * runWords + word
                for ox in 0..<width { target[ox * runWords] = block[ox] }
            }
        }
    }

    /// Transposes the 64 x 64 bit matrix of 64 words in place, bit i of word j <-> bit j of word i
    /// (least significant bit first): swap the off-diagonal 32 x 32 blocks, then within each
    /// diagonal block the 16 x 16 ones, and so on down to single bits. The words are eight vectors of
    /// eight: blocks of 32, 16 and 8 rows pair whole vectors, blocks of 4, 2 and 1 pair lanes of one.
    @inline(__always)
    static func transpose64(_ a: UnsafeMutablePointer<UInt64>) {
        let raw = UnsafeMutableRawPointer(a), stride = MemoryLayout<SIMD8<UInt64>>.stride
        @inline(__always) func load(_ r: Int) -> SIMD8<UInt64> { raw.loadUnaligned(fromByteOffset: r &* stride, as: SIMD8<UInt64>.self) }
        @inline(__always) func store(_ r: Int, _ value: SIMD8<UInt64>) { raw.storeBytes(of: value, toByteOffset: r &* stride, as: SIMD8<UInt64>.self) }
        // Rows i and i + size, i in the first half of each block of 2 * size rows: bits [size, 2 size)
        // of row i swap with bits [0, size) of row i + size.
        @inline(__always) func pair(_ first: Int, _ second: Int, _ size: UInt64, _ low: UInt64) {
            let (x, y) = (load(first), load(second))
            let swapped = (x &>> size ^ y) & SIMD8(repeating: low)
            store(first, x ^ swapped &<< size)
            store(second, y ^ swapped)
        }
        pair(0, 4, 32, 0x0000_0000_FFFF_FFFF); pair(1, 5, 32, 0x0000_0000_FFFF_FFFF)
        pair(2, 6, 32, 0x0000_0000_FFFF_FFFF); pair(3, 7, 32, 0x0000_0000_FFFF_FFFF)
        pair(0, 2, 16, 0x0000_FFFF_0000_FFFF); pair(1, 3, 16, 0x0000_FFFF_0000_FFFF)
        pair(4, 6, 16, 0x0000_FFFF_0000_FFFF); pair(5, 7, 16, 0x0000_FFFF_0000_FFFF)
        pair(0, 1, 8, 0x00FF_00FF_00FF_00FF); pair(2, 3, 8, 0x00FF_00FF_00FF_00FF)
        pair(4, 5, 8, 0x00FF_00FF_00FF_00FF); pair(6, 7, 8, 0x00FF_00FF_00FF_00FF)
        // Within a vector: lane l pairs with lane l ^ size (`partner`); `second` marks the lanes with
        // l & size != 0, whose rows take the low bits.
        let laneIndex = SIMD8<UInt64>(0, 1, 2, 3, 4, 5, 6, 7)
        @inline(__always) func lanes(_ size: UInt64, _ low: UInt64, _ partner: (SIMD8<UInt64>) -> SIMD8<UInt64>) {
            let second = laneIndex & size .!= 0
            for r in 0..<8 {
                let own = load(r), other = partner(own)
                let upper = own.replacing(with: other, where: second)
                let lower = other.replacing(with: own, where: second)
                let swapped = (upper &>> size ^ lower) & SIMD8(repeating: low)
                store(r, own ^ (swapped &<< size).replacing(with: swapped, where: second))
            }
        }
        lanes(4, 0x0F0F_0F0F_0F0F_0F0F) { SIMD8($0[4], $0[5], $0[6], $0[7], $0[0], $0[1], $0[2], $0[3]) }
        lanes(2, 0x3333_3333_3333_3333) { SIMD8($0[2], $0[3], $0[0], $0[1], $0[6], $0[7], $0[4], $0[5]) }
        lanes(1, 0x5555_5555_5555_5555) { SIMD8($0[1], $0[0], $0[3], $0[2], $0[5], $0[4], $0[7], $0[6]) }
    }
}
