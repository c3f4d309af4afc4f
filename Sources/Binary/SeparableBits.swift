import Dispatch
import Tensor

/// A binarized depthwise convolution followed by a binarized 1x1 convolution of its signs (the
/// `dil_conv` block at inference; `sep_conv` is two of them), on bits from end to end: the depthwise
/// outputs are never written as floats. Only their signs feed the 1x1 convolution, and a depthwise
/// output scale * (k*k - 2 * count) is negative for a range of mismatch counts that its channel's
/// scale fixes (`DepthwiseBits.SignRule`), so the bit-sliced counts become sign bits directly.
///
/// Each worker takes whole images through every stage. For one image and stage:
/// ```
/// planes (C x H x W floats) --DepthwiseBits, sign rule-->  negatives[c][oy], bit ox   (one word per output row)
///        --64 x 64 bit transposes-->  runs[oy * W' + ox], bit c                     (the 1x1 convolution's B, channels-last)
///        --XNOR GEMM with the 1x1 kernel's bits, scales and batch norm in its store-->  output image (O x H' x W' floats)
/// ```
/// The output image of a stage before the last stays in the worker's buffer, in cache, as the next
/// stage's input, so a `sep_conv` writes no tensor between its halves. Only its signs are read next,
/// and each channel's are a threshold on the 1x1 popcount (the scale and batch norm are monotone),
/// so the GEMM stores sign bits there, one stream per channel, instead of floats. The outputs have
/// the bits of the convolutions and batch norms run one after the other (tested).
public enum SeparableBits {
    /// One depthwise -> 1x1 -> batch norm stage.
    public struct Stage: Sendable {
        public let depthwise: ConvGeometry
        public let depthwiseKernel: BinaryKernel
        public let pointwise: ConvGeometry
        public let pointwiseKernel: BinaryKernel
        /// The thresholds of the depthwise convolution's input signs, sign(x - a_c) (the ReAct
        /// flavour's RSign), compared as its planes are packed; nil for sign(x). Only a first stage
        /// has them: a later one reads the signs the stage before it stored.
        public let depthwiseThresholds: [Float]?
        /// The thresholds of the 1x1 convolution's input signs, sign(y - a_c) of the depthwise output y,
        /// in the depthwise sign rules; nil for sign(y).
        public let pointwiseThresholds: [Float]?
        /// The batch norm after the 1x1 convolution, at inference, or nil.
        public let affine: ChannelAffine?

        public init(depthwise: ConvGeometry, depthwiseKernel: BinaryKernel, pointwise: ConvGeometry, pointwiseKernel: BinaryKernel,
                    depthwiseThresholds: [Float]? = nil, pointwiseThresholds: [Float]? = nil, affine: ChannelAffine?) {
            precondition(depthwiseThresholds.map { $0.count == depthwise.inChannels } ?? true, "SeparableBits: thresholds do not fit the depthwise input")
            precondition(pointwiseThresholds.map { $0.count == pointwise.inChannels } ?? true, "SeparableBits: thresholds do not fit the 1x1 input")
            self.depthwise = depthwise; self.depthwiseKernel = depthwiseKernel
            self.pointwise = pointwise; self.pointwiseKernel = pointwiseKernel
            self.depthwiseThresholds = depthwiseThresholds
            self.pointwiseThresholds = pointwiseThresholds
            self.affine = affine
        }
    }

    /// Whether the pair runs here: a depthwise convolution `DepthwiseBits` takes, then a 1x1 stride-1
    /// dense convolution of its outputs deep enough for the bit GEMM.
    public static func fits(depthwise d: ConvGeometry, pointwise p: ConvGeometry) -> Bool {
        DepthwiseBits.fits(d) && p.isPointwise && p.groups == 1 && p.batch == d.batch && p.inChannels == d.outChannels
            && p.height == d.outHeight && p.width == d.outWidth && p.inChannels >= BinaryConvolution.minimumBitDepth
    }

    /// Whether every stage fits, each takes the previous one's output, and only the first has depthwise thresholds.
    public static func fits(_ stages: [Stage]) -> Bool {
        !stages.isEmpty && stages.allSatisfy { fits(depthwise: $0.depthwise, pointwise: $0.pointwise) }
            && stages.dropFirst().allSatisfy { $0.depthwiseThresholds == nil }
            && zip(stages, stages.dropFirst()).allSatisfy { previous, next in
                let (p, d) = (previous.pointwise, next.depthwise)
                return d.batch == p.batch && d.inChannels == p.outChannels && d.height == p.outHeight && d.width == p.outWidth
            }
    }

    /// A stage's operands, copied once for the whole batch.
    struct Prepared {
        let stage: Stage
        /// The depthwise weight bit of each channel and tap spread over a word.
        let masks: [UInt64]
        let rules: [DepthwiseBits.SignRule]
        let rowStride, runWords, tiles: Int
        /// For a stage another one follows, which 1x1 popcounts make each output channel negative
        /// after the scale and batch norm, so that the XNOR GEMM writes the next stage's input signs
        /// instead of floats; nil for the last stage.
        let outputRules: [DepthwiseBits.SignRule]?

        /// nil where a stage before the last has a channel whose signs are no threshold on the count
        /// (`outputRules`).
        init?(_ stage: Stage, path: KernelPath, last: Bool) {
            let d = stage.depthwise, taps = stage.depthwise.kernel * stage.depthwise.kernel
            self.stage = stage
            masks = (0..<d.inChannels * taps).map { index in
                stage.depthwiseKernel.bits.isNegative(row: index / taps, bit: index % taps) ? ~0 : 0
            }
            rules = stage.depthwiseKernel.weights.scales.enumerated().map { channel, scale in
                DepthwiseBits.SignRule(taps: taps, scale: scale, threshold: stage.pointwiseThresholds?[channel] ?? 0)
            }
            rowStride = (d.outHeight + DepthwiseBits.rowsPerStep - 1) / DepthwiseBits.rowsPerStep * DepthwiseBits.rowsPerStep
            runWords = stage.pointwiseKernel.bits.wordsPerRow
            tiles = (stage.pointwise.outPixels + XNORKernels.tileColumns(path) - 1) / XNORKernels.tileColumns(path)
            if last {
                outputRules = nil
            } else {
                guard let rules = Self.outputRules(stage) else { return nil }
                outputRules = rules
            }
        }

        /// The rules of `outputRules`, read off the store's own float operations
        /// (`XNORKernels.RowValues`: Float(K - 2 count) * scale, then * norm scale + norm shift, each
        /// rounded). Each operation is monotone, and a NaN (an infinity times 0, or infinities of
        /// opposite signs added) can only arise where the values on one side of it are not negative,
        /// so with IEEE rounding the rules always exist; nil would send the stages back to the layers
        /// one after the other.
        static func outputRules(_ stage: Stage) -> [DepthwiseBits.SignRule]? {
            let (k, scales) = (stage.pointwiseKernel.bits.bitsPerRow, stage.pointwiseKernel.weights.scales)
            var rules: [DepthwiseBits.SignRule] = []
            for channel in scales.indices {
                let values = XNORKernels.RowValues(k: k, scale: scales[channel],
                                                   norm: stage.affine.map { ($0.scale[channel], $0.shift[channel]) })
                guard let rule = DepthwiseBits.SignRule(counts: k, negative: { values(count: $0) < 0 }) else { return nil }
                rules.append(rule)
            }
            return rules
        }

        /// Words of one channel's sign stream in a stage's output when `outputRules` is set: the
        /// channel's pixels, one bit each, and one word more for the row packer to read past them.
        var signWords: Int { PackedMatrix.wordCount(bits: stage.pointwise.outPixels) + 1 }
    }

    /// A stage's input image: the NCHW planes of the batch's input, or sign streams (one per channel,
    /// `rowWords` apart): the previous stage's GEMM's, or the input's own (`SignStreams`).
    enum Image {
        case planes(UnsafePointer<Float>)
        case signs(UnsafePointer<UInt64>, rowWords: Int)
    }

    /// One worker's buffers for one stage.
    struct Scratch {
        let plane: DepthwiseBits.Plane
        let negatives, runs, block: UnsafeMutablePointer<UInt64>
        /// The stage's output image when another stage follows (nil for the last): one sign stream
        /// per channel, `Prepared.signWords` apart.
        let signs: UnsafeMutablePointer<UInt64>?

        init(_ p: Prepared) {
            let (d, pw) = (p.stage.depthwise, p.stage.pointwise)
            plane = DepthwiseBits.Plane(d)
            negatives = .allocate(capacity: d.inChannels * p.rowStride)
            runs = .allocate(capacity: max(1, pw.outPixels * p.runWords))
            block = .allocate(capacity: 64)
            signs = p.outputRules == nil ? nil : .allocate(capacity: pw.outChannels * p.signWords)
            signs?.initialize(repeating: 0, count: pw.outChannels * p.signWords)
        }

        func deallocate() { plane.deallocate(); negatives.deallocate(); runs.deallocate(); block.deallocate(); signs?.deallocate() }
    }

    /// The stages' operands for `forward`, or nil where `Prepared` declines one.
    static func prepare(_ stages: [Stage], path: KernelPath) -> [Prepared]? {
        precondition(fits(stages), "SeparableBits: unsupported geometries")
        var prepared: [Prepared] = []
        for (index, stage) in stages.enumerated() {
            guard let operands = Prepared(stage, path: path, last: index == stages.count - 1) else { return nil }
            prepared.append(operands)
        }
        return prepared
    }

    /// The stages applied one after the other to the NCHW batch at `input` (or its `signs`), the last
    /// one's output image n written at `output + n * imageStride` (by default the output's own size:
    /// an NCHW batch), or added to the values there (`accumulate`).
    static func forward(_ prepared: [Prepared], input: UnsafePointer<Float>, signs: SignStreams? = nil, output: UnsafeMutablePointer<Float>,
                        imageStride: Int? = nil, accumulate: Bool = false, path: KernelPath, counters: KernelCounters) {
        let stages = prepared.map(\.stage)
        precondition(signs == nil || stages[0].depthwiseThresholds == nil, "SeparableBits: sign streams of x, but thresholds to compare x with")
        let batch = stages[0].depthwise.batch
        let workers = Parallelism.workerCount(batch)
        // Nanoseconds each worker spent on each stage's depthwise and 1x1 convolutions.
        var busy = [Int](repeating: 0, count: 2 * stages.count * workers)
        let start = DispatchTime.now().uptimeNanoseconds
        busy.withUnsafeMutableBufferPointer { busy in
            Parallelism.forEachWorkerChunk(batch) { worker, images in
                let scratch = prepared.map(Scratch.init)
                defer { scratch.forEach { $0.deallocate() } }
                for n in images {
                    let first = stages[0].depthwise
                    var source = signs.map { Image.signs($0.words + n * first.inChannels * $0.planeWords, rowWords: $0.planeWords) }
                        ?? .planes(input + n * first.inChannels * first.height * first.width)
                    for (index, stage) in prepared.enumerated() {
                        let pw = stage.stage.pointwise
                        let buffers = scratch[index]
                        let times = run(stage, buffers, image: source, into: output + n * (imageStride ?? pw.outChannels * pw.outPixels),
                                        accumulate: accumulate, path: path)
                        busy[(worker * stages.count + index) * 2] += times.depthwise
                        busy[(worker * stages.count + index) * 2 + 1] += times.pointwise
                        if let signs = buffers.signs { source = .signs(signs, rowWords: stage.signWords) }
                    }
                }
            }
        }
        let wall = Int(DispatchTime.now().uptimeNanoseconds - start)
        let total = max(1, busy.reduce(0, +))
        for (index, stage) in stages.enumerated() {
            let shares = (0..<2).map { part in
                (0..<workers).reduce(0) { $0 + busy[($1 * stages.count + index) * 2 + part] }
            }
            counters.recordBinary(macs: stage.depthwise.macs, nanoseconds: wall * shares[0] / total)
            counters.recordBinary(macs: stage.pointwise.macs, nanoseconds: wall * shares[1] / total)
        }
    }

    /// One stage on one image: returns the nanoseconds of its two parts. The output goes to
    /// `scratch.signs` when another stage follows, else to `target`.
    @inline(__always)
    static func run(_ p: Prepared, _ scratch: Scratch, image: Image, into target: UnsafeMutablePointer<Float>, accumulate: Bool,
                    path: KernelPath) -> (depthwise: Int, pointwise: Int) {
        let (d, pw) = (p.stage.depthwise, p.stage.pointwise)
        let taps = d.kernel * d.kernel
        let started = DispatchTime.now().uptimeNanoseconds
        p.masks.withUnsafeBufferPointer { masks in
            for c in 0..<d.inChannels {
                switch image {
                case .planes(let planes): scratch.plane.pack(planes + c * d.height * d.width, threshold: p.stage.depthwiseThresholds?[c] ?? 0)
                case .signs(let streams, let rowWords): scratch.plane.pack(signs: streams + c * rowWords)
                }
                scratch.plane.convolveSigns(masks: masks.baseAddress! + c * taps, rule: p.rules[c], into: scratch.negatives + c * p.rowStride)
            }
        }
        transpose(scratch.negatives, channels: d.inChannels, rowStride: p.rowStride, height: d.outHeight, width: d.outWidth,
                  into: scratch.runs, runWords: p.runWords, block: scratch.block)
        let convolved = DispatchTime.now().uptimeNanoseconds
        let bits = p.stage.pointwiseKernel.bits
        bits.words.withUnsafeBufferPointer { weights in p.stage.pointwiseKernel.weights.scales.withUnsafeBufferPointer { scales in
            XNORKernels.withNorm(p.stage.affine) { norm in
                var operands = XNORKernels.Operands(
                    a: weights.baseAddress!, b: scratch.runs, m: pw.outChannels, n: pw.outPixels, words: p.runWords, k: bits.bitsPerRow,
                    c: UnsafeMutableRawPointer(target), ldc: pw.outPixels, scales: scales.baseAddress!, norm: norm)
                guard let rules = p.outputRules, let signs = scratch.signs else {
                    operands.accumulate = accumulate
                    return XNORKernels.block(path, operands, rows: 0..<pw.outChannels, tiles: 0..<p.tiles)
                }
                rules.withUnsafeBufferPointer { rules in
                    operands.signs = (rules.baseAddress!, signs, p.signWords)
                    XNORKernels.block(path, operands, rows: 0..<pw.outChannels, tiles: 0..<p.tiles)
                }
            }
        } }
        let done = DispatchTime.now().uptimeNanoseconds
        return (Int(convolved - started), Int(done - convolved))
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

/// The signs of a batch's planes as one bit stream each, `planeWords` apart: bit y * W + x of plane
/// p set where its value (y, x) is negative, then a zero word (the row packer reads one word past a
/// stream). The first stage of `SeparableBits` reads a tensor's planes in this form, packed once for
/// every separable op that reads the same tensor (`BinaryConvolution.separable(_:input:)` with a
/// tensor).
public final class SignStreams {
    let planes, pixels, planeWords: Int
    let words: UnsafeMutablePointer<UInt64>

    init(_ values: [Float], planes: Int, pixels: Int, counters: KernelCounters) {
        precondition(values.count == planes * pixels, "SignStreams: \(values.count) values for \(planes) planes of \(pixels)")
        (self.planes, self.pixels) = (planes, pixels)
        let planeWords = PackedMatrix.wordCount(bits: pixels) + 1
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, planes * planeWords))
        (self.planeWords, self.words) = (planeWords, words)
        let (_, nanoseconds) = KernelCounters.timed {
            values.withUnsafeBufferPointer { values in
                guard let base = values.baseAddress else { return }
                Parallelism.forEachChunk(planes, valuesEach: pixels) { range in
                    for plane in range {
                        BitPacking.packSigns(base + plane * pixels, count: pixels, into: words + plane * planeWords)
                        words[plane * planeWords + planeWords - 1] = 0
                    }
                }
            }
        }
        counters.recordPacking(bits: planes * pixels, nanoseconds: nanoseconds)
    }

    deinit { words.deallocate() }
}
