import Tensor

/// Depthwise convolution (weight [C, 1, k, k]) of sign(x) padded with +1 (docs/algorithms.md#bit-kernels) with a ±1
/// kernel on bits, for any stride s, dilation d and padding p.
///
/// Each plane (image n, channel c) is packed into words of one padded input row each (padding bits 0,
/// i.e. +1), split by the phase of the row and of the column modulo s, so that the taps of consecutive
/// output pixels are consecutive bits and the taps of consecutive output rows are consecutive words:
/// ```
/// rows[((xPhase * s + yPhase) * rowsPerPhase + j], bit i  =  1 where padded[j * s + yPhase, i * s + xPhase] < 0
///                                                       (padded[Y, X] = input[n, c, Y - p, X - p], +1 outside)
/// tap (ky, kx), output row oy   ->   rows[((kx*d % s) * s + ky*d % s) * rowsPerPhase + oy + ky*d / s] >> (kx*d / s)
///                                    (bit ox of that word is the input under tap (ky, kx) of output pixel (oy, ox))
/// ```
/// (`rows` also holds the blocks shifted by each kx*d / s, so that a tap is a load; see `Plane`.)
/// A tap's word XOR the tap's weight bit spread over a word (0 or all ones) marks the output pixels where
/// input and weight differ. A bit-sliced counter adds these marks over the k*k taps, eight output rows at
/// once in the lanes of SIMD8<UInt64>: bit ox of counter word i is bit i of pixel ox's count of
/// mismatches. Then y = scales[c] * (k*k - 2 * count), the dot product of the ±1 values, rounded once.
enum DepthwiseBits {
    /// Counter bits: counts up to 63 mismatches (kernels up to 7x7).
    static let counterBits = 6
    /// Output rows per step (the lanes of the counters).
    static let rowsPerStep = 8

    /// Whether the bit kernel handles this geometry: depthwise, padded rows of at most 64 pixels.
    static func fits(_ g: ConvGeometry) -> Bool {
        g.isDepthwise && g.width + 2 * g.padding <= 64 && g.kernel * g.kernel < 1 << counterBits
    }

    /// y = scales[c] * conv(sign(x) padded with +1, signs)[c] for the NCHW batch at `input`, written to
    /// `output`; with `thresholds`, of sign(x - thresholds[c]) (RSign), compared as the planes are packed.
    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, kernel: BinaryKernel, output: UnsafeMutablePointer<Float>,
                        thresholds: [Float]? = nil, counters: KernelCounters) {
        precondition(fits(g), "DepthwiseBits: unsupported geometry")
        let taps = g.kernel * g.kernel
        // The weight bit of each channel and tap spread over a word.
        let masks = (0..<g.inChannels * taps).map { index -> UInt64 in
            kernel.bits.isNegative(row: index / taps, bit: index % taps) ? ~0 : 0
        }
        let (_, nanoseconds) = KernelCounters.timed {
            masks.withUnsafeBufferPointer { masks in kernel.weights.scales.withUnsafeBufferPointer { scales in
                guard let masks = masks.baseAddress, let scales = scales.baseAddress else { return }
                Parallelism.forEachChunk(g.batch * g.inChannels, minimumChunk: 4) { planes in
                    let plane = Plane(g)
                    defer { plane.deallocate() }
                    for index in planes {
                        let channel = index % g.inChannels
                        plane.pack(input + index * g.height * g.width, threshold: thresholds?[channel] ?? 0)
                        plane.convolve(masks: masks + channel * taps, scale: scales[channel], into: output + index * g.outPixels)
                    }
                }
            } }
        }
        counters.recordBinary(macs: g.batch * g.inChannels * g.outPixels * taps, nanoseconds: nanoseconds)
    }

    /// Bits 0, 2, 4, ..., 62 of `x` moved to bits 0 ... 31 (the even columns of a stride-2 row).
    @inline(__always)
    static func evenBits(_ x: UInt64) -> UInt64 {
        var v = x & 0x5555_5555_5555_5555
        v = (v | v >> 1) & 0x3333_3333_3333_3333
        v = (v | v >> 2) & 0x0f0f_0f0f_0f0f_0f0f
        v = (v | v >> 4) & 0x00ff_00ff_00ff_00ff
        v = (v | v >> 8) & 0x0000_ffff_0000_ffff
        return (v | v >> 16) & 0x0000_0000_ffff_ffff
    }

    /// One worker's packed plane.
    struct Plane {
        let g: ConvGeometry
        let rows: UnsafeMutablePointer<UInt64>
        /// The plane's signs as one stream of height * width bits (scratch for `pack`).
        let stream: UnsafeMutablePointer<UInt64>
        /// The counters of one step, word [bit * rowsPerStep + lane] (scratch for `convolve`).
        let counts: UnsafeMutablePointer<UInt64>
        /// Words per (xPhase, yPhase) block: the padded plane's rows of that phase plus `rowsPerStep` zero
        /// words, which the lanes past the last output row read.
        let rowsPerPhase: Int
        /// Words of one copy of the phase blocks.
        let copyWords: Int
        /// The largest shift of a tap, kx*d / s: `rows` holds the phase blocks shifted right by 0 ...
        /// maxShift bits, one copy after the other, so that a tap is a plain load (a shift in the tap
        /// loop made the compiler assemble the loads from gathers).
        let maxShift: Int
        /// Per tap (ky, kx), in order: the word of `rows` that holds it for output row 0, in the copy
        /// shifted by kx*d / s, which brings output pixel 0's input to bit 0 (the mapping in the
        /// type's comment).
        let tapWords: UnsafeMutablePointer<Int>

        init(_ g: ConvGeometry) {
            self.g = g
            rowsPerPhase = (g.height + 2 * g.padding + g.stride - 1) / g.stride + DepthwiseBits.rowsPerStep
            copyWords = g.stride * g.stride * rowsPerPhase
            maxShift = (g.kernel - 1) * g.dilation / g.stride
            rows = .allocate(capacity: (maxShift + 1) * copyWords)
            stream = .allocate(capacity: PackedMatrix.wordCount(bits: g.height * g.width) + 1)
            counts = .allocate(capacity: DepthwiseBits.counterBits * DepthwiseBits.rowsPerStep)
            let (k, s, d) = (g.kernel, g.stride, g.dilation)
            tapWords = .allocate(capacity: k * k)
            for ky in 0..<k {
                for kx in 0..<k {
                    tapWords[ky * k + kx] = kx * d / s * copyWords + ((kx * d % s) * s + ky * d % s) * rowsPerPhase + ky * d / s
                }
            }
        }

        func deallocate() { rows.deallocate(); stream.deallocate(); counts.deallocate(); tapWords.deallocate() }

        /// Packs the signs of one height x width plane (of x - `threshold`, see `BitPacking.packSigns`),
        /// at row and column offset `padding`: the whole plane into one bit stream first (64 values at
        /// a time), then each row's width bits from it.
        func pack(_ plane: UnsafePointer<Float>, threshold: Float = 0) {
            BitPacking.packSigns(plane, count: g.height * g.width, into: stream, threshold: threshold)
            stream[PackedMatrix.wordCount(bits: g.height * g.width)] = 0
            pack(signs: stream)
        }

        /// Packs a plane whose signs are already one stream of height x width bits (bit y * width + x
        /// set where input (y, x) is negative) in `stream`, which must have one readable word past
        /// them; bits past the plane are ignored.
        func pack(signs stream: UnsafePointer<UInt64>) {
            let (s, p, width) = (g.stride, g.padding, g.width)
            rows.initialize(repeating: 0, count: copyWords)
            let rowMask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
            // Padded row y + p is row (y + p) / s of phase (y + p) % s, tracked without dividing.
            var (phase, phaseRow) = (p % s, p / s)
            for y in 0..<g.height {
                let (word, shift) = ((y &* width) >> 6, UInt64((y &* width) & 63))
                let high = shift == 0 ? 0 : stream[word &+ 1] << (64 &- shift)
                var bits = (stream[word] >> shift | high) & rowMask
                let yBlock = phase &* rowsPerPhase &+ phaseRow
                phase &+= 1
                if phase == s { phase = 0; phaseRow &+= 1 }
                switch s {
                case 1:
                    rows[yBlock] = bits << UInt64(p)
                    continue
                case 2:
                    let padded = bits << UInt64(p)
                    rows[yBlock] = DepthwiseBits.evenBits(padded)
                    rows[2 * rowsPerPhase + yBlock] = DepthwiseBits.evenBits(padded >> 1)
                    continue
                default:
                    break
                }
                while bits != 0 {
                    let x = bits.trailingZeroBitCount + p
                    rows[(x % s) * s * rowsPerPhase + yBlock] |= 1 << UInt64(x / s)
                    bits &= bits - 1
                }
            }
            if maxShift > 0 {
                for shift in 1...maxShift {
                    let copy = rows + shift * copyWords
                    for i in 0..<copyWords { copy[i] = rows[i] >> UInt64(shift) }
                }
            }
        }

        /// The bit-sliced mismatch counts of output rows oy ..< oy + rowsPerStep (one per lane), counter
        /// level i holding bit i of every pixel's count.
        @inline(__always)
        func counts(row oy: Int, masks: UnsafePointer<UInt64>) -> Counters {
            var c = Counters()
            let first = UnsafeRawPointer(rows + oy)
            let taps = g.kernel * g.kernel
            @inline(__always) func mark(_ t: Int) -> SIMD8<UInt64> {
                t < taps ? first.loadUnaligned(fromByteOffset: tapWords[t] &* 8, as: SIMD8<UInt64>.self) ^ SIMD8(repeating: masks[t]) : SIMD8()
            }
            // Nine taps at a time through the full-adder tree, each 4-bit sum then added into the counter.
            var t = 0
            while t < taps {
                let sum = DepthwiseBits.nineSum(mark(t), mark(t + 1), mark(t + 2), mark(t + 3), mark(t + 4), mark(t + 5),
                                                mark(t + 6), mark(t + 7), mark(t + 8))
                var carry = c.c0 & sum.c0; c.c0 ^= sum.c0
                var next = DepthwiseBits.majority(c.c1, sum.c1, carry); c.c1 ^= sum.c1 ^ carry; carry = next
                next = DepthwiseBits.majority(c.c2, sum.c2, carry); c.c2 ^= sum.c2 ^ carry; carry = next
                next = DepthwiseBits.majority(c.c3, sum.c3, carry); c.c3 ^= sum.c3 ^ carry; carry = next
                next = c.c4 & carry; c.c4 ^= carry; carry = next
                c.c5 ^= carry
                t += 9
            }
            return c
        }

        /// `convolveSigns` of a 3x3 kernel, the taps' words and masks read once per plane and the nine
        /// marks summed by one `nineSum`, instead of `counts(row:)` reading the taps per row
        /// (docs/performance.md#depthwise-and-separable-convolutions-on-bits).
        func nineTapSigns(masks: UnsafePointer<UInt64>, rule: SignRule, into negatives: UnsafeMutablePointer<UInt64>) {
            let w = (tapWords[0], tapWords[1], tapWords[2], tapWords[3], tapWords[4], tapWords[5], tapWords[6], tapWords[7], tapWords[8])
            let m = (masks[0], masks[1], masks[2], masks[3], masks[4], masks[5], masks[6], masks[7], masks[8])
            var oy = 0
            while oy < g.outHeight {
                let first = UnsafeRawPointer(rows + oy)
                @inline(__always) func mark(_ word: Int, _ mask: UInt64) -> SIMD8<UInt64> {
                    first.loadUnaligned(fromByteOffset: word &* 8, as: SIMD8<UInt64>.self) ^ SIMD8(repeating: mask)
                }
                let c = DepthwiseBits.nineSum(mark(w.0, m.0), mark(w.1, m.1), mark(w.2, m.2), mark(w.3, m.3), mark(w.4, m.4),
                                              mark(w.5, m.5), mark(w.6, m.6), mark(w.7, m.7), mark(w.8, m.8))
                UnsafeMutableRawPointer(negatives + oy).storeBytes(of: rule.negatives(c), as: SIMD8<UInt64>.self)
                oy += DepthwiseBits.rowsPerStep
            }
        }

        /// The plane's outHeight x outWidth outputs, `rowsPerStep` output rows at a time.
        func convolve(masks: UnsafePointer<UInt64>, scale: Float, into output: UnsafeMutablePointer<Float>) {
            var oy = 0
            while oy < g.outHeight {
                let c = counts(row: oy, masks: masks)
                let counters = UnsafeMutableRawPointer(counts), stride = MemoryLayout<SIMD8<UInt64>>.stride
                counters.storeBytes(of: c.c0, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c.c1, toByteOffset: stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c.c2, toByteOffset: 2 * stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c.c3, toByteOffset: 3 * stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c.c4, toByteOffset: 4 * stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c.c5, toByteOffset: 5 * stride, as: SIMD8<UInt64>.self)
                for lane in 0..<min(DepthwiseBits.rowsPerStep, g.outHeight - oy) {
                    store(lane: lane, scale: scale, into: output + (oy + lane) * g.outWidth, room: (g.outHeight - oy - lane) * g.outWidth)
                }
                oy += DepthwiseBits.rowsPerStep
            }
        }

        /// The signs of the plane's outputs, one word per output row (bit ox = 1 where output (oy, ox)
        /// is negative; bits past outWidth are undefined), written to `negatives[oy]`, which must have
        /// room for outHeight rounded up to `rowsPerStep` words.
        func convolveSigns(masks: UnsafePointer<UInt64>, rule: SignRule, into negatives: UnsafeMutablePointer<UInt64>) {
            if g.kernel == 3 { return nineTapSigns(masks: masks, rule: rule, into: negatives) }
            var oy = 0
            while oy < g.outHeight {
                let signs = rule.negatives(counts(row: oy, masks: masks))
                UnsafeMutableRawPointer(negatives + oy).storeBytes(of: signs, as: SIMD8<UInt64>.self)
                oy += DepthwiseBits.rowsPerStep
            }
        }

        /// Writes one output row from lane `lane` of the bit-sliced counts in `counts`, 16 pixels at a time. Rows are written in order, so a row's last vector may run into the next rows,
        /// which are written afterwards, as long as it stays within the `room` values left in the plane;
        /// otherwise the tail is stored lane by lane.
        @inline(__always)
        func store(lane: Int, scale: Float, into row: UnsafeMutablePointer<Float>, room: Int) {
            let taps = SIMD16<Float>(repeating: Float(g.kernel * g.kernel))
            let laneBits = SIMD16<UInt32>(1, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 7,
                                          1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15)
            let levels = Int.bitWidth - (g.kernel * g.kernel).leadingZeroBitCount
            var ox = 0
            while ox < g.outWidth {
                // k*k - 2 * count, taking 2^(bit+1) off the pixels whose count has that bit: every
                // intermediate value is an exact small integer; the scale rounds once, as on the float path.
                // Vector operands throughout: the same loop with scalar operands (`dots - Float(2 << bit)`,
                // `.!= 0`) was far slower (docs/performance.md#simd-idioms).
                var dots = taps
                for bit in 0..<levels {
                    let slice = SIMD16<UInt32>(repeating: UInt32(truncatingIfNeeded: counts[bit * DepthwiseBits.rowsPerStep + lane] >> UInt64(ox)))
                    let hit = (slice & laneBits) .!= SIMD16<UInt32>(repeating: 0)
                    dots = dots.replacing(with: dots - SIMD16<Float>(repeating: Float(2 << bit)), where: hit)
                }
                let values = dots * SIMD16<Float>(repeating: scale)
                let stored = min(16, g.outWidth - ox)
                if ox + 16 <= room {
                    UnsafeMutableRawPointer(row + ox).storeBytes(of: values, as: SIMD16<Float>.self)
                } else {
                    for lane in 0..<stored { row[ox + lane] = values[lane] }
                }
                ox += 16
            }
        }
    }

    /// The bit-sliced sum (levels c0 ... c3) of nine mark vectors: a tree of full adders, a 3-input
    /// add being two operations (parity and majority) where a ripple through the counter takes up to
    /// twelve per mark.
    @inline(__always)
    static func nineSum(_ x0: SIMD8<UInt64>, _ x1: SIMD8<UInt64>, _ x2: SIMD8<UInt64>, _ x3: SIMD8<UInt64>, _ x4: SIMD8<UInt64>,
                        _ x5: SIMD8<UInt64>, _ x6: SIMD8<UInt64>, _ x7: SIMD8<UInt64>, _ x8: SIMD8<UInt64>) -> Counters {
        let (ones0, twos0) = (x0 ^ x1 ^ x2, majority(x0, x1, x2))
        let (ones1, twos1) = (x3 ^ x4 ^ x5, majority(x3, x4, x5))
        let (ones2, twos2) = (x6 ^ x7 ^ x8, majority(x6, x7, x8))
        let (bit0, twos3) = (ones0 ^ ones1 ^ ones2, majority(ones0, ones1, ones2))
        let (twos, fours0) = (twos0 ^ twos1 ^ twos2, majority(twos0, twos1, twos2))
        let fours1 = twos & twos3
        var c = Counters()
        c.c0 = bit0
        c.c1 = twos ^ twos3
        c.c2 = fours0 ^ fours1
        c.c3 = fours0 & fours1
        return c
    }

    /// Lane-wise majority of three: the carry of a full adder.
    @inline(__always)
    static func majority(_ a: SIMD8<UInt64>, _ b: SIMD8<UInt64>, _ c: SIMD8<UInt64>) -> SIMD8<UInt64> {
        (a & b) | (c & (a ^ b))
    }

    /// The six bit-sliced counter levels of `rowsPerStep` output rows.
    struct Counters {
        var c0 = SIMD8<UInt64>(), c1 = SIMD8<UInt64>(), c2 = SIMD8<UInt64>()
        var c3 = SIMD8<UInt64>(), c4 = SIMD8<UInt64>(), c5 = SIMD8<UInt64>()
    }

    /// Which mismatch counts make an output negative, for one channel: the output is
    /// Float(taps - 2 * count) * scale, monotone in the count, so the negative ones are the counts from
    /// `threshold` on, or (`below`, a negative scale) the counts under it. A zero or NaN scale makes
    /// none negative (threshold past any count). The XNOR GEMM's sign store uses the same rule on its
    /// popcounts (`XNORKernels.Operands.signs`).
    struct SignRule: Equatable {
        let threshold: Int
        let below: Bool

        /// The rule of `taps`-tap outputs scaled by `scale`, read off the float products themselves, so
        /// that the bits are those of `y < 0` on the outputs the float path writes; with a `threshold`
        /// (the next sign's, RSign), those of `y - threshold < 0`, the float path's subtraction.
        init(taps: Int, scale: Float, threshold: Float = 0) {
            precondition(taps < 1 << DepthwiseBits.counterBits, "SignRule: \(taps) taps")
            guard let rule = SignRule(counts: taps, negative: { Float(taps - 2 * $0) * scale - threshold < 0 }) else {
                preconditionFailure("SignRule: the signs of \(scale) x (taps - 2 count) are not monotone")
            }
            self = rule
        }

        /// The rule of `negative` over the counts 0 ... counts, or nil when the negative counts are not
        /// those from one count on or those below one (`threshold` past the last count when none are).
        init?(counts: Int, negative: (Int) -> Bool) {
            let first = negative(0)
            below = first
            threshold = (1...max(1, counts)).first { negative($0) != first } ?? max(counts + 1, 1 << DepthwiseBits.counterBits)
            let rule = self
            guard (0...counts).allSatisfy({ negative($0) == rule.isNegative($0) }) else { return nil }
        }

        /// Whether `count` mismatches make the output negative.
        @inline(__always)
        func isNegative(_ count: Int) -> Bool { below ? count < threshold : count >= threshold }

        /// Bit ox of lane r: whether the count of pixel ox of row r is negative under the rule.
        @inline(__always)
        func negatives(_ c: Counters) -> SIMD8<UInt64> {
            // less = count < threshold, bit-sliced, from the lowest counter level up: where the
            // threshold's bit is 1, a 0 in the count makes it less and a 1 defers to the lower bits;
            // where it is 0, a 1 makes it greater.
            guard threshold < 1 << DepthwiseBits.counterBits else { return below ? SIMD8(repeating: ~0) : SIMD8() }
            var less = SIMD8<UInt64>()
            @inline(__always) func step(_ level: SIMD8<UInt64>, _ bit: Int) {
                less = threshold >> bit & 1 == 1 ? ~level | less : ~level & less
            }
            step(c.c0, 0); step(c.c1, 1); step(c.c2, 2); step(c.c3, 3); step(c.c4, 4); step(c.c5, 5)
            return below ? less : ~less
        }
    }
}
