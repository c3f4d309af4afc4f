/// Dense 1x1 stride-1 convolutions that read sign(x) (docs/algorithms.md#binarisation: sign(0) = +1, gradient through
/// the straight-through estimator), as direct vector loops over 16 pixels at a time. They serve the
/// pointwise convolutions with too few input channels for bit packing to pay (a separable or dilated
/// op's 1x1 on C/K channels, 2 to 8 in the default search) and the backward pass of every pointwise
/// sign convolution. The GEMM route they replace took a sign pass over x, one small sgemm per image
/// and a scale pass forward, and a sign pass, per-image sgemms and an estimator pass backward; here
/// each pass reads x and dy once and writes its result once.
///
/// ```
/// forward   y[n, o, p]  = scales[o] * sum_c signs[o, c] * sign(x[n, c, p])
/// backward  dx[n, c, p] = 1{|x[n, c, p]| <= 1} * sum_o w[o, c] * dy[n, o, p]          (o in order from 0)
///           dw[o, c]   += sum_n sum_p dy[n, o, p] * sign(x[n, c, p])
/// ```
/// The forward sums of ±1 products are exact integers in Float32 and the scale rounds once, so its
/// output has the bits of the float and the bit paths. The weight gradient is summed in fixed blocks of
/// images (each in 16 lanes plus a tail) added in block order, so its bits do not depend on the
/// thread count.
public enum SignPointwise {
    /// Whether the loops handle this geometry: a dense 1x1 convolution with stride 1 and no padding.
    public static func fits(_ g: ConvGeometry) -> Bool { g.isPointwise && g.groups == 1 }

    /// Whether `g` is a dense 1x1 convolution at a stride above 1 without padding (FactorizedReduce's
    /// halves): it reads only the pixels (stride * i, stride * j), so it is the stride-1 convolution
    /// of those pixels (`sampled`), and its input gradient is zero everywhere else (`unsampled`).
    public static func fitsStrided(_ g: ConvGeometry) -> Bool {
        g.kernel == 1 && g.stride > 1 && g.padding == 0 && g.groups == 1
    }

    /// The pixels a `fitsStrided` convolution reads, as NCHW planes of outHeight x outWidth, and the
    /// stride-1 geometry over them. For a 1x1 convolution without padding, an image's im2col
    /// column matrix is exactly its sampled planes.
    public static func sampled(_ g: ConvGeometry, _ input: [Float]) -> (ConvGeometry, [Float]) {
        precondition(fitsStrided(g), "SignPointwise.sampled: not a dense 1x1 convolution at a stride above 1")
        let geometry = ConvGeometry(input: [g.batch, g.inChannels, g.outHeight, g.outWidth], weight: [g.outChannels, g.inChannels, 1, 1],
                                    stride: 1, padding: 0, dilation: 1, groups: 1)
        let (image, sampledImage) = (g.inChannels * g.height * g.width, g.inChannels * g.outPixels)
        let values = input.withUnsafeBufferPointer { x in
            makeFloats(g.batch * sampledImage) { y in
                Parallelism.forEachChunk(g.batch, valuesEach: image) { images in
                    for n in images { Im2col.expand(g, image: x.baseAddress! + n * image, into: y + n * sampledImage) }
                }
            }
        }
        return (geometry, values)
    }

    /// The input gradient of a `fitsStrided` convolution from that of its sampled pixels: zero at
    /// the pixels it does not read (col2im into zeros).
    public static func unsampled(_ g: ConvGeometry, _ sampledGrad: [Float]) -> [Float] {
        precondition(fitsStrided(g) && sampledGrad.count == g.batch * g.inChannels * g.outPixels, "SignPointwise.unsampled: wrong geometry")
        let (image, sampledImage) = (g.inChannels * g.height * g.width, g.inChannels * g.outPixels)
        return sampledGrad.withUnsafeBufferPointer { dxs in
            makeFloats(g.batch * image) { dx in
                Parallelism.forEachChunk(g.batch, valuesEach: image) { images in
                    for n in images {
                        (dx + n * image).update(repeating: 0, count: image)
                        Im2col.accumulate(g, columns: dxs.baseAddress! + n * sampledImage, into: dx + n * image)
                    }
                }
            }
        }
    }

    /// Output channels, and input channels in the input gradient, per register block.
    static let block = 4
    typealias Lane = SIMD16<Float>

    /// y = scales[o] * conv(sign(x), signs)[o] for the NCHW batch at `x`; `signs` is [O, C] of ±1. With
    /// `affine` (a batch norm at inference), each image's output is then normalised while in cache.
    /// With `thresholds` ([C]), of sign(x - thresholds[c]) (RSign), as the compare x >= thresholds[c].
    public static func forward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, signs: UnsafePointer<Float>, scales: UnsafePointer<Float>,
                               into y: UnsafeMutablePointer<Float>, normalisedBy affine: ChannelAffine? = nil,
                               thresholds: UnsafePointer<Float>? = nil) {
        precondition(affine.map { $0.channels == g.outChannels } ?? true, "SignPointwise: the affine does not fit the output channels")
        precondition(fits(g), "SignPointwise: not a dense 1x1 stride-1 convolution")
        let (channels, outChannels, pixels) = (g.inChannels, g.outChannels, g.outPixels)
        Parallelism.forEachChunk(g.batch) { images in
            let column = UnsafeMutablePointer<Lane>.allocate(capacity: channels)
            defer { column.deallocate() }
            for n in images {
                let image = x + n * channels * pixels, output = y + n * outChannels * pixels
                defer { affine?.apply(toImage: output, pixels: pixels) }
                guard pixels >= Lane.scalarCount else {
                    scalarForward(channels, outChannels, pixels, image, signs, scales, output, thresholds)
                    continue
                }
                var p = 0
                while p < pixels {
                    // The last vector ends flush with the plane, rewriting some outputs with the same values.
                    let at = min(p, pixels - Lane.scalarCount)
                    if let thresholds {
                        for c in 0..<channels { column[c] = SignKernels.sign(load(image + c * pixels + at), threshold: thresholds[c]) }
                    } else {
                        for c in 0..<channels { column[c] = SignKernels.sign(load(image + c * pixels + at)) }
                    }
                    var o = 0
                    while o + block <= outChannels {
                        var (a0, a1, a2, a3) = (Lane(), Lane(), Lane(), Lane())
                        let (w0, w1, w2, w3) = (signs + o * channels, signs + (o + 1) * channels, signs + (o + 2) * channels, signs + (o + 3) * channels)
                        for c in 0..<channels {
                            let s = column[c]
                            a0 += s * w0[c]; a1 += s * w1[c]; a2 += s * w2[c]; a3 += s * w3[c]
                        }
                        store(a0 * scales[o], output + o * pixels + at)
                        store(a1 * scales[o + 1], output + (o + 1) * pixels + at)
                        store(a2 * scales[o + 2], output + (o + 2) * pixels + at)
                        store(a3 * scales[o + 3], output + (o + 3) * pixels + at)
                        o += block
                    }
                    while o < outChannels {
                        var total = Lane()
                        for c in 0..<channels { total += column[c] * signs[o * channels + c] }
                        store(total * scales[o], output + o * pixels + at)
                        o += 1
                    }
                    p += Lane.scalarCount
                }
            }
        }
    }

    /// Writes the input gradient into `dx` (every element) and/or adds the weight gradient into `dw`
    /// ([O, C]); `weight` is the effective kernel [O, C] the forward pass multiplied by. The input
    /// gradient takes `signGradient` in place of the estimator above.
    public static func backward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                                inputGrad dx: UnsafeMutablePointer<Float>?, weightGrad dw: UnsafeMutablePointer<Float>?,
                                signGradient: SignGradient = .ste) {
        precondition(fits(g), "SignPointwise: not a dense 1x1 stride-1 convolution")
        let (channels, outChannels, pixels) = (g.inChannels, g.outChannels, g.outPixels)
        let pairs = outChannels * channels
        let (imagesPerBlock, blocks) = Convolution.weightGradientBlocks(batch: g.batch)
        // Per block, the lanes and the tail of each (o, c) sum over its images; reduced in block order at the end.
        let lanes = UnsafeMutablePointer<Lane>.allocate(capacity: dw == nil ? 1 : blocks * pairs)
        let tails = UnsafeMutablePointer<Float>.allocate(capacity: dw == nil ? 1 : blocks * pairs)
        defer { lanes.deallocate(); tails.deallocate() }
        if dw != nil {
            lanes.initialize(repeating: Lane(), count: blocks * pairs)
            tails.initialize(repeating: 0, count: blocks * pairs)
        }
        Parallelism.forEachChunk(blocks) { blockRange in
            let signPlanes = UnsafeMutablePointer<Float>.allocate(capacity: dw == nil ? 1 : channels * pixels)
            defer { signPlanes.deallocate() }
            for n in blockRange.lowerBound * imagesPerBlock..<min(g.batch, blockRange.upperBound * imagesPerBlock) {
                let image = x + n * channels * pixels, upstream = dy + n * outChannels * pixels
                if dw != nil {
                    let block = n / imagesPerBlock
                    SignKernels.signs(image, into: signPlanes, count: channels * pixels)
                    for o in 0..<outChannels {
                        for c in 0..<channels {
                            let (sum, tail) = VectorKernels.dotLanes(upstream + o * pixels, signPlanes + c * pixels, count: pixels)
                            lanes[block * pairs + o * channels + c] += sum
                            tails[block * pairs + o * channels + c] += tail
                        }
                    }
                }
                if let dx { inputGradient(channels, outChannels, pixels, image, weight, upstream, dx + n * channels * pixels, signGradient) }
            }
        }
        if let dw {
            for block in 0..<blocks {
                for i in 0..<pairs { dw[i] += lanes[block * pairs + i].sum() + tails[block * pairs + i] }
            }
        }
    }

    /// One image's dx[c, p] = 1{|x[c, p]| <= 1} * sum_o w[o, c] * dy[o, p] (or the sum times
    /// `signGradient`'s derivative at x[c, p]), four input channels at a time.
    @inline(__always)
    private static func inputGradient(_ channels: Int, _ outChannels: Int, _ pixels: Int, _ image: UnsafePointer<Float>,
                                      _ weight: UnsafePointer<Float>, _ upstream: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>,
                                      _ signGradient: SignGradient) {
        guard pixels >= Lane.scalarCount else {
            for c in 0..<channels {
                for p in 0..<pixels {
                    var total: Float = 0
                    for o in 0..<outChannels { total += weight[o * channels + c] * upstream[o * pixels + p] }
                    target[c * pixels + p] = total
                }
                SignKernels.passed(signGradient, image + c * pixels, target + c * pixels, into: target + c * pixels, count: pixels)
            }
            return
        }
        var p = 0
        while p < pixels {
            let at = min(p, pixels - Lane.scalarCount)
            var c = 0
            while c + block <= channels {
                var (a0, a1, a2, a3) = (Lane(), Lane(), Lane(), Lane())
                for o in 0..<outChannels {
                    let d = load(upstream + o * pixels + at), w = weight + o * channels + c
                    a0 += d * w[0]; a1 += d * w[1]; a2 += d * w[2]; a3 += d * w[3]
                }
                passed(a0, image + c * pixels + at, into: target + c * pixels + at, signGradient)
                passed(a1, image + (c + 1) * pixels + at, into: target + (c + 1) * pixels + at, signGradient)
                passed(a2, image + (c + 2) * pixels + at, into: target + (c + 2) * pixels + at, signGradient)
                passed(a3, image + (c + 3) * pixels + at, into: target + (c + 3) * pixels + at, signGradient)
                c += block
            }
            while c < channels {
                var total = Lane()
                for o in 0..<outChannels { total += load(upstream + o * pixels + at) * weight[o * channels + c] }
                passed(total, image + c * pixels + at, into: target + c * pixels + at, signGradient)
                c += 1
            }
            p += Lane.scalarCount
        }
    }

    private static func scalarForward(_ channels: Int, _ outChannels: Int, _ pixels: Int, _ image: UnsafePointer<Float>,
                                      _ signs: UnsafePointer<Float>, _ scales: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                      _ thresholds: UnsafePointer<Float>?) {
        for o in 0..<outChannels {
            for p in 0..<pixels {
                var total: Float = 0
                for c in 0..<channels { total += (image[c * pixels + p] >= (thresholds?[c] ?? 0) ? 1 : -1) * signs[o * channels + c] }
                output[o * pixels + p] = total * scales[o]
            }
        }
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> Lane { VectorKernels.load(p) }
    @inline(__always) private static func store(_ v: Lane, _ p: UnsafeMutablePointer<Float>) { VectorKernels.store(v, p) }
    /// Stores `gradient` times sign's derivative at x under `signGradient` (by default where |x| <= 1, and 0 elsewhere).
    @inline(__always) private static func passed(_ gradient: Lane, _ x: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
                                                 _ signGradient: SignGradient) {
        store(SignKernels.passed(signGradient, load(x), gradient), target)
    }
}
