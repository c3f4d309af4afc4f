/// Depthwise convolution (one input channel per group, weight [C, 1, k, k]) as direct loops.
///
/// Stride 1 (every depthwise conv of a normal cell) works on a zero-padded copy of each plane,
/// (H + 2p) x (W + 2p), and computes the output at the padded row pitch: each kernel tap is then a
/// fixed offset into the plane, so 16 outputs at a time gather all their taps in registers, and
/// the columns past the output width are dropped at the end. Other strides (and the generic path
/// that tests compare against) loop over output rows of the padded plane.
extension Convolution {
    /// Scratch geometry of the padded stride-1 path.
    private struct PaddedPlane {
        let pitch: Int, rows: Int, span: Int
        /// rows * pitch plus the tail that the dropped columns of the last output row read past the end.
        let capacity: Int
        init(_ g: ConvGeometry) {
            pitch = g.width + 2 * g.padding
            rows = g.height + 2 * g.padding
            span = g.outHeight * pitch
            capacity = rows * pitch + (g.kernel - 1) * g.dilation
        }
        /// Offset of tap (ky, kx) in the padded plane.
        @inline(__always) func offset(_ g: ConvGeometry, _ ky: Int, _ kx: Int) -> Int { ky * g.dilation * pitch + kx * g.dilation }

        /// The plane padded with zeros or, with `signs`, its signs padded with +1 (the tail past the
        /// last row stays 0 either way: only dropped columns read it).
        func pad(_ g: ConvGeometry, _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, signs: Bool = false) {
            guard signs else {
                target.update(repeating: 0, count: capacity)
                for y in 0..<g.height { (target + (y + g.padding) * pitch + g.padding).update(from: source + y * g.width, count: g.width) }
                return
            }
            target.update(repeating: 1, count: rows * pitch)
            (target + rows * pitch).update(repeating: 0, count: capacity - rows * pitch)
            for y in 0..<g.height { SignKernels.signs(source + y * g.width, into: target + (y + g.padding) * pitch + g.padding, count: g.width) }
        }

        /// Writes one input row's gradient from the padded rows' gradient, through sign's
        /// straight-through estimator with `signs`.
        @inline(__always)
        func storeRow(_ g: ConvGeometry, _ rowGrad: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
                      input: UnsafePointer<Float>, signs: Bool, signGradient: SignGradient) {
            if signs {
                SignKernels.passed(signGradient, input, rowGrad + g.padding, into: target, count: g.width)
            } else {
                target.update(from: rowGrad + g.padding, count: g.width)
            }
        }
    }

    static func depthwiseForward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                 path: LoopPath = .fastest) {
        let (k, h, wd, ho, wo) = (g.kernel, g.height, g.width, g.outHeight, g.outWidth)
        Parallelism.forEachChunk(g.batch * g.inChannels, minimumChunk: 4) { planes in
            if g.stride == 1 && path == .fastest {
                let layout = PaddedPlane(g)
                let padded = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
                let wide = UnsafeMutablePointer<Float>.allocate(capacity: layout.span)
                let taps = UnsafeMutablePointer<(weight: Float, offset: Int)>.allocate(capacity: k * k)
                defer { padded.deallocate(); wide.deallocate(); taps.deallocate() }
                for plane in planes {
                    let channel = plane % g.inChannels
                    for t in 0..<k * k { taps[t] = (w[channel * k * k + t], layout.offset(g, t / k, t % k)) }
                    layout.pad(g, x + plane * h * wd, into: padded)
                    depthwiseGather(padded, taps, tapCount: k * k, into: wide, count: layout.span)
                    let target = y + plane * ho * wo
                    for oy in 0..<ho { (target + oy * wo).update(from: wide + oy * layout.pitch, count: wo) }
                }
                return
            }
            let layout = PaddedPlane(g)
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
            defer { padded.deallocate() }
            for plane in planes {
                let channel = plane % g.inChannels
                layout.pad(g, x + plane * h * wd, into: padded)
                let target = y + plane * ho * wo
                target.update(repeating: 0, count: ho * wo)
                for ky in 0..<k {
                    for kx in 0..<k {
                        let tap = w[(channel * k + ky) * k + kx]
                        let tapOffset = layout.offset(g, ky, kx)
                        for oy in 0..<ho {
                            let row = padded + (tapOffset &+ oy &* g.stride &* layout.pitch)
                            let out = target + oy &* wo
                            for ox in 0..<wo { out[ox] = out[ox].addingProduct(tap, row[ox &* g.stride]) }
                        }
                    }
                }
            }
        }
    }

    /// Split over channels: each worker owns its channels' weight gradients and input planes. The
    /// generic path is the strided loop; the fast one takes dots and a gather at stride 1. A larger
    /// stride s goes through the stride-1 loops too: its output (oy, ox) is the stride-1 output
    /// (s*oy, s*ox), so dy spread onto the stride-1 grid, zero elsewhere, gives the same gradients
    /// (the zeros add nothing) on vector loops instead of scalar strided ones. The weight gradient
    /// of a tap stays in vector lanes over the whole batch and is reduced once per channel.
    /// `signOfInput`: the convolution's input is sign(x) padded with +1 (see `gradients`), whose
    /// derivative the input gradient takes as `signGradient` says. The input
    /// gradient is written into `dx` (every element once, so `dx` may be uninitialised); the weight
    /// gradient is added into `dw`.
    static func depthwiseBackward(
        _ g: ConvGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?, signOfInput: Bool = false, signGradient: SignGradient = .ste,
        path: LoopPath = .fastest
    ) {
        let (k, h, wd, ho, wo, s) = (g.kernel, g.height, g.width, g.outHeight, g.outWidth, g.stride)
        Parallelism.forEachChunk(g.inChannels) { channels in
            if path == .fastest {
                let unit = s == 1 ? g : ConvGeometry(input: [g.batch, g.inChannels, h, wd], weight: [g.inChannels, 1, k, k], stride: 1,
                                                     padding: g.padding, dilation: g.dilation, groups: g.groups)
                let layout = PaddedPlane(unit)
                // dy at the padded pitch, zero in the dropped columns, between zero margins as long as
                // the farthest tap's offset: the input gradient at padded position q then gathers
                // sum_t w_t * dy[q - offset_t] over every tap without bounds checks.
                let margin = layout.offset(g, k - 1, k - 1)
                // The gather runs whole vectors: up to one vector more than the rows, read from a
                // zero vector after the margin and dropped with the columns past the width.
                let lanes = VectorKernels.Lane.scalarCount
                let gathered = (h * layout.pitch + lanes - 1) / lanes * lanes
                let extent = margin + layout.span + margin + lanes
                let extended = UnsafeMutablePointer<Float>.allocate(capacity: extent)
                let padded = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity + lanes)
                let rowsGrad = UnsafeMutablePointer<Float>.allocate(capacity: gathered)
                let taps = UnsafeMutablePointer<(weight: Float, offset: Int)>.allocate(capacity: k * k)
                // Per tap, the channel's weight gradient over the batch so far: lanes and tail of `tapRowDots`.
                let tapLanes = UnsafeMutablePointer<VectorKernels.Lane>.allocate(capacity: k * k)
                let tapTails = UnsafeMutablePointer<Float>.allocate(capacity: k * k)
                defer {
                    extended.deallocate(); padded.deallocate(); rowsGrad.deallocate(); taps.deallocate()
                    tapLanes.deallocate(); tapTails.deallocate()
                }
                let wideGrad = extended + margin
                // Every plane writes dy to the same positions of `extended` (the output pixels, at the
                // stride-1 grid and padded pitch) and nothing else, so the margins, the dropped columns
                // and, at a larger stride, the skipped positions stay zero once cleared here.
                extended.initialize(repeating: 0, count: extent)
                // The weight gradient's dots run whole vectors: past the span they read zeros of dy
                // (the margin) times these zeros past the padded plane, which `pad` never writes.
                (padded + layout.capacity).initialize(repeating: 0, count: lanes)
                let dotCount = (layout.span + lanes - 1) / lanes * lanes
                for channel in channels {
                    for t in 0..<k * k { taps[t] = (w[channel * k * k + t], -layout.offset(g, t / k, t % k)) }
                    tapLanes.initialize(repeating: VectorKernels.Lane(), count: k * k)
                    tapTails.initialize(repeating: 0, count: k * k)
                    for n in 0..<g.batch {
                        let plane = n * g.inChannels + channel
                        let upstream = dy + plane * ho * wo
                        if s == 1 {
                            for oy in 0..<ho { (wideGrad + oy * layout.pitch).update(from: upstream + oy * wo, count: wo) }
                        } else {
                            for oy in 0..<ho {
                                let row = wideGrad + s * oy * layout.pitch
                                for ox in 0..<wo { row[s * ox] = upstream[oy * wo + ox] }
                            }
                        }
                        if dw != nil {
                            layout.pad(g, x + plane * h * wd, into: padded, signs: signOfInput)
                            for ky in 0..<k {
                                tapRowDots(wideGrad, padded + layout.offset(g, ky, 0), step: g.dilation, taps: k, count: dotCount,
                                           lanes: tapLanes + ky * k, tails: tapTails + ky * k)
                            }
                        }
                        if let dx {
                            // The input rows' gradient at the padded pitch, taps added in order from 0.
                            let first = wideGrad + g.padding * layout.pitch
                            depthwiseGather(first, taps, tapCount: k * k, into: rowsGrad, count: gathered)
                            let target = dx + plane * h * wd
                            for y in 0..<h {
                                layout.storeRow(g, rowsGrad + y * layout.pitch, into: target + y * wd, input: x + plane * h * wd + y * wd,
                                                signs: signOfInput, signGradient: signGradient)
                            }
                        }
                    }
                    if let dw {
                        for t in 0..<k * k { dw[channel * k * k + t] += tapLanes[t].sum() + tapTails[t] }
                    }
                }
                return
            }
            let layout = PaddedPlane(g)
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
            let paddedGrad = UnsafeMutablePointer<Float>.allocate(capacity: layout.capacity)
            defer { padded.deallocate(); paddedGrad.deallocate() }
            for channel in channels {
                for n in 0..<g.batch {
                    let plane = n * g.inChannels + channel
                    let outGrad = dy + plane * ho * wo
                    if dw != nil { layout.pad(g, x + plane * h * wd, into: padded, signs: signOfInput) }
                    if dx != nil { paddedGrad.update(repeating: 0, count: layout.capacity) }
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let tapIndex = (channel * k + ky) * k + kx
                            let tap = w[tapIndex]
                            var tapGrad: Float = 0
                            let tapOffset = layout.offset(g, ky, kx)
                            for oy in 0..<ho {
                                let rowOffset = tapOffset &+ oy &* g.stride &* layout.pitch
                                let upstream = outGrad + oy &* wo
                                if dw != nil {
                                    let row = padded + rowOffset
                                    for ox in 0..<wo { tapGrad += upstream[ox] * row[ox &* g.stride] }
                                }
                                if dx != nil {
                                    let row = paddedGrad + rowOffset
                                    for ox in 0..<wo { row[ox &* g.stride] = row[ox &* g.stride].addingProduct(tap, upstream[ox]) }
                                }
                            }
                            if let dw { dw[tapIndex] += tapGrad }
                        }
                    }
                    if let dx {
                        let target = dx + plane * h * wd
                        for y in 0..<h {
                            layout.storeRow(g, paddedGrad + (y + g.padding) * layout.pitch, into: target + y * wd,
                                            input: x + plane * h * wd + y * wd, signs: signOfInput, signGradient: signGradient)
                        }
                    }
                }
            }
        }
    }

    /// lanes[j] and tails[j] += the dot product of dy with row + j * step over `count` values, for the
    /// `taps` taps of one kernel row (their weight gradients at the padded pitch): per 16-element block,
    /// dy is loaded once for all of a row's taps, and two blocks run on separate fused multiply-add
    /// accumulators (added at the end), so the loads, not the add latency, set the pace. The elements
    /// past the last whole block go to the tails. Other kernel sizes than 3 and 5 take one dot per tap.
    @inline(__always)
    static func tapRowDots(_ dy: UnsafePointer<Float>, _ row: UnsafePointer<Float>, step: Int, taps: Int, count: Int,
                           lanes: UnsafeMutablePointer<VectorKernels.Lane>, tails: UnsafeMutablePointer<Float>) {
        typealias Lane = VectorKernels.Lane
        let width = Lane.scalarCount
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> Lane { VectorKernels.load(p) }
        var i = 0
        switch taps {
        case 3:
            var (a0, a1, a2) = (Lane(), Lane(), Lane())
            var (b0, b1, b2) = (Lane(), Lane(), Lane())
            while i + 2 * width <= count {
                let (d, e) = (load(dy + i), load(dy + i + width))
                let (r, q) = (row + i, row + i + width)
                a0 = a0.addingProduct(d, load(r)); a1 = a1.addingProduct(d, load(r + step)); a2 = a2.addingProduct(d, load(r + 2 * step))
                b0 = b0.addingProduct(e, load(q)); b1 = b1.addingProduct(e, load(q + step)); b2 = b2.addingProduct(e, load(q + 2 * step))
                i += 2 * width
            }
            if i + width <= count {
                let (d, r) = (load(dy + i), row + i)
                a0 = a0.addingProduct(d, load(r)); a1 = a1.addingProduct(d, load(r + step)); a2 = a2.addingProduct(d, load(r + 2 * step))
                i += width
            }
            lanes[0] += a0 + b0; lanes[1] += a1 + b1; lanes[2] += a2 + b2
        case 5:
            var (a0, a1, a2, a3, a4) = (Lane(), Lane(), Lane(), Lane(), Lane())
            var (b0, b1, b2, b3, b4) = (Lane(), Lane(), Lane(), Lane(), Lane())
            while i + 2 * width <= count {
                let (d, e) = (load(dy + i), load(dy + i + width))
                let (r, q) = (row + i, row + i + width)
                a0 = a0.addingProduct(d, load(r)); a1 = a1.addingProduct(d, load(r + step)); a2 = a2.addingProduct(d, load(r + 2 * step))
                a3 = a3.addingProduct(d, load(r + 3 * step)); a4 = a4.addingProduct(d, load(r + 4 * step))
                b0 = b0.addingProduct(e, load(q)); b1 = b1.addingProduct(e, load(q + step)); b2 = b2.addingProduct(e, load(q + 2 * step))
                b3 = b3.addingProduct(e, load(q + 3 * step)); b4 = b4.addingProduct(e, load(q + 4 * step))
                i += 2 * width
            }
            if i + width <= count {
                let (d, r) = (load(dy + i), row + i)
                a0 = a0.addingProduct(d, load(r)); a1 = a1.addingProduct(d, load(r + step)); a2 = a2.addingProduct(d, load(r + 2 * step))
                a3 = a3.addingProduct(d, load(r + 3 * step)); a4 = a4.addingProduct(d, load(r + 4 * step))
                i += width
            }
            lanes[0] += a0 + b0; lanes[1] += a1 + b1; lanes[2] += a2 + b2; lanes[3] += a3 + b3; lanes[4] += a4 + b4
        default:
            for j in 0..<taps {
                let (sum, tail) = VectorKernels.dotLanes(dy, row + j * step, count: count)
                lanes[j] += sum
                tails[j] += tail
            }
            return
        }
        while i < count {
            for j in 0..<taps { tails[j] += dy[i] * row[i + j * step] }
            i += 1
        }
    }

    /// target[i] = sum over taps, in order from 0, of weight * source[i + offset], each tap one fused
    /// multiply-add (as in the generic loops, so both give the same bits): the stride-1
    /// depthwise conv at the padded pitch (offsets of the taps) and its input gradient (the negated
    /// offsets, with dy between zero margins).
    @inline(__always)
    static func depthwiseGather(_ source: UnsafePointer<Float>, _ taps: UnsafePointer<(weight: Float, offset: Int)>, tapCount: Int,
                                into target: UnsafeMutablePointer<Float>, count: Int) {
        typealias Lane = VectorKernels.Lane
        let width = Lane.scalarCount
        var i = 0
        // Four vectors at a time: each tap's weight is broadcast once for all four, and the four
        // running sums are independent, so their multiply-adds overlap. Each element still adds
        // its taps in order from 0.
        while i + 4 * width <= count {
            var (t0, t1, t2, t3) = (Lane(), Lane(), Lane(), Lane())
            for t in 0..<tapCount {
                let (weight, from) = (Lane(repeating: taps[t].weight), source + i + taps[t].offset)
                t0 = t0.addingProduct(weight, VectorKernels.load(from))
                t1 = t1.addingProduct(weight, VectorKernels.load(from + width))
                t2 = t2.addingProduct(weight, VectorKernels.load(from + 2 * width))
                t3 = t3.addingProduct(weight, VectorKernels.load(from + 3 * width))
            }
            VectorKernels.store(t0, target + i)
            VectorKernels.store(t1, target + i + width)
            VectorKernels.store(t2, target + i + 2 * width)
            VectorKernels.store(t3, target + i + 3 * width)
            i += 4 * width
        }
        while i + Lane.scalarCount <= count {
            var total = Lane()
            for t in 0..<tapCount { total = total.addingProduct(Lane(repeating: taps[t].weight), VectorKernels.load(source + i + taps[t].offset)) }
            VectorKernels.store(total, target + i)
            i += Lane.scalarCount
        }
        while i < count {
            var total: Float = 0
            for t in 0..<tapCount { total = total.addingProduct(taps[t].weight, source[i + taps[t].offset]) }
            target[i] = total
            i += 1
        }
    }
}
