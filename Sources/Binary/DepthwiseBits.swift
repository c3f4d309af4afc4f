import Tensor

/// Depthwise convolution (weight [C, 1, k, k]) of sign(x) padded with +1 (REFERENCE.md §5) with a ±1
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

    /// y = scales[c] * conv(sign(x) padded with +1, signs)[c] for the NCHW batch at `input`, written to `output`.
    static func forward(_ g: ConvGeometry, input: UnsafePointer<Float>, kernel: BinaryKernel, output: UnsafeMutablePointer<Float>,
                        counters: KernelCounters) {
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
                        plane.pack(input + index * g.height * g.width)
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
        /// Per tap (ky, kx), in order: the word of `rows` that holds it for output row 0, and the shift
        /// that brings output pixel 0's input to bit 0 (the mapping in the type's comment).
        let tapWords: UnsafeMutablePointer<Int>
        let tapShifts: UnsafeMutablePointer<UInt64>

        init(_ g: ConvGeometry) {
            self.g = g
            rowsPerPhase = (g.height + 2 * g.padding + g.stride - 1) / g.stride + DepthwiseBits.rowsPerStep
            rows = .allocate(capacity: g.stride * g.stride * rowsPerPhase)
            stream = .allocate(capacity: PackedMatrix.wordCount(bits: g.height * g.width) + 1)
            counts = .allocate(capacity: DepthwiseBits.counterBits * DepthwiseBits.rowsPerStep)
            let (k, s, d) = (g.kernel, g.stride, g.dilation)
            tapWords = .allocate(capacity: k * k)
            tapShifts = .allocate(capacity: k * k)
            for ky in 0..<k {
                for kx in 0..<k {
                    tapWords[ky * k + kx] = ((kx * d % s) * s + ky * d % s) * rowsPerPhase + ky * d / s
                    tapShifts[ky * k + kx] = UInt64(kx * d / s)
                }
            }
        }

        func deallocate() { rows.deallocate(); stream.deallocate(); counts.deallocate(); tapWords.deallocate(); tapShifts.deallocate() }

        /// Packs the signs of one height x width plane, at row and column offset `padding`: the whole
        /// plane into one bit stream first (64 values at a time), then each row's width bits from it.
        func pack(_ plane: UnsafePointer<Float>) {
            let (s, p, width) = (g.stride, g.padding, g.width)
            rows.initialize(repeating: 0, count: s * s * rowsPerPhase)
            let streamWords = PackedMatrix.wordCount(bits: g.height * width)
            BitPacking.packSigns(plane, count: g.height * width, into: stream)
            stream[streamWords] = 0
            let rowMask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
            for y in 0..<g.height {
                let (word, shift) = ((y * width) >> 6, UInt64((y * width) & 63))
                let high = shift == 0 ? 0 : stream[word + 1] << (64 - shift)
                var bits = (stream[word] >> shift | high) & rowMask
                let yBlock = ((y + p) % s) * rowsPerPhase + (y + p) / s
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
        }

        /// The plane's outHeight x outWidth outputs, `rowsPerStep` output rows at a time.
        func convolve(masks: UnsafePointer<UInt64>, scale: Float, into output: UnsafeMutablePointer<Float>) {
            let taps = g.kernel * g.kernel
            var oy = 0
            while oy < g.outHeight {
                var c0 = SIMD8<UInt64>(), c1 = SIMD8<UInt64>(), c2 = SIMD8<UInt64>()
                var c3 = SIMD8<UInt64>(), c4 = SIMD8<UInt64>(), c5 = SIMD8<UInt64>()
                let first = rows + oy
                for t in 0..<taps {
                    let words = UnsafeRawPointer(first + tapWords[t]).loadUnaligned(as: SIMD8<UInt64>.self) &>> tapShifts[t]
                    // Ripple-add the mismatch marks into the bit-sliced counter.
                    var carry = words ^ SIMD8(repeating: masks[t])
                    var next = c0 & carry; c0 ^= carry; carry = next
                    next = c1 & carry; c1 ^= carry; carry = next
                    next = c2 & carry; c2 ^= carry; carry = next
                    next = c3 & carry; c3 ^= carry; carry = next
                    next = c4 & carry; c4 ^= carry; carry = next
                    c5 ^= carry
                }
                let counters = UnsafeMutableRawPointer(counts), stride = MemoryLayout<SIMD8<UInt64>>.stride
                counters.storeBytes(of: c0, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c1, toByteOffset: stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c2, toByteOffset: 2 * stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c3, toByteOffset: 3 * stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c4, toByteOffset: 4 * stride, as: SIMD8<UInt64>.self)
                counters.storeBytes(of: c5, toByteOffset: 5 * stride, as: SIMD8<UInt64>.self)
                for lane in 0..<min(DepthwiseBits.rowsPerStep, g.outHeight - oy) {
                    store(lane: lane, scale: scale, into: output + (oy + lane) * g.outWidth, room: (g.outHeight - oy - lane) * g.outWidth)
                }
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
                // `.!= 0`) ran ten times slower in a benchmark of this kernel.
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
}
