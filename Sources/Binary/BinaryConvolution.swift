import Dispatch
import Tensor

/// The convolution of an input with a binarized kernel, y[o] = scales[o] * conv(x, signs)[o], on the
/// bit kernels when the input is ±1 too.
public enum BinaryConvolution {
    private static let floatKernelsOnly = ThreadFlag("bnas.floatKernelsOnly")

    /// Whether ±1 inputs go to the bit kernels on this thread: yes, except inside `onFloatKernels`.
    public static var usesBitKernels: Bool { !floatKernelsOnly.isSet }

    /// Runs `body` with ±1 inputs on the float kernels, on this thread only (`bnas eval` times the
    /// float path so). The choice is the calling thread's, like `GradMode`: a convolution reads it
    /// where it is called, and a network evaluated for `bnas eval` calls its convolutions from one
    /// thread (their kernels then split the work over the cores); tests that compare the two paths
    /// while other tests run cannot switch each other's kernels.
    public static func onFloatKernels<T>(_ body: () throws -> T) rethrows -> T {
        try floatKernelsOnly.with(true, body)
    }

    /// Runs `body` on the bit kernels (`bits`) or on the float kernels.
    public static func onKernels<T>(bits: Bool, _ body: () throws -> T) rethrows -> T {
        bits ? try body() : try onFloatKernels(body)
    }

    /// Dense dot products shorter than this many bits stay on the float kernels: packing a handful of
    /// signs into a 64-bit word costs more than the multiply-adds it saves (the supernet's 1x1
    /// convolutions on C/K channels have 2 to 8). 16 is where the bit path starts to beat
    /// `SignPointwise`'s float loops (`bnas bench conv`, docs/performance.md#the-1x1-bit-depth).
    public static let minimumBitDepth = 16

    /// scales[o] * conv(x, signs)[o], NCHW. With `binaryInput`, x is sign(input) padded with +1
    /// (docs/algorithms.md#bit-kernels; for an input of ±1 values without padding, the input itself): dense
    /// convolutions run as packed im2col + XNOR GEMM and depthwise ones as k*k-bit XNOR-popcounts
    /// (`DepthwiseBits`), both reading the signs straight from `input`. Otherwise, and for other
    /// groupings, x is `input` zero-padded, or the float signs padded with +1, through the float kernels
    /// (the whole float path, signs and scales included, is counted as float work). Both give the same bits: the float kernels sum ±1
    /// products in Float32 without rounding, and either path rounds once, when it multiplies by the scale.
    ///
    /// `affine`, a batch norm at inference that follows the convolution, is applied to each image as
    /// soon as it is written (after the integer GEMM on bits), with the same bits as the batch norm
    /// run on the whole output afterwards.
    public static func forward(_ g: ConvGeometry, input: [Float], kernel: BinaryKernel, binaryInput: Bool,
                               normalisedBy affine: ChannelAffine? = nil,
                               path: KernelPath = .best, counters: KernelCounters = .current) -> [Float] {
        forward(g, input: input, kernel: kernel, binaryInput: binaryInput, normalisedBy: affine, thresholds: nil, runs: nil, path: path,
                counters: counters)
    }

    /// `forward` of sign(input) for a tensor: a 1x1 convolution on the XNOR GEMM reads the tensor's
    /// channels-last runs (`ChannelRuns`), packed once and kept with it, so that the 1x1
    /// convolutions reading the same tensor (the stem's output is read by three cells'
    /// preprocessing) pack it once.
    ///
    /// With `thresholds` (RSign's a_c, the ReAct flavour) it is the convolution of sign(input - a_c),
    /// the signs of `Tensor.subtractingChannels`, as in training. The bit kernels' packers and the
    /// direct 1x1 loops compare each value with its channel's threshold as they read it (the same
    /// signs for finite values, with no pass over the input; the runs of x - a_c are the
    /// convolution's own, not shared through the tensor); the float kernels (the float path's
    /// depthwise and kxk convolutions) read the subtraction, made first.
    public static func forward(_ g: ConvGeometry, input: Tensor, kernel: BinaryKernel, normalisedBy affine: ChannelAffine? = nil,
                               thresholds: [Float]? = nil, path: KernelPath = .best, counters: KernelCounters = .current) -> [Float] {
        precondition(thresholds.map { $0.count == g.inChannels } ?? true, "BinaryConvolution: thresholds do not fit the input channels")
        if let thresholds, !route(g, binaryInput: true).comparesThresholds {
            let shifted = input.subtractingChannels(Tensor(shape: [thresholds.count], data: thresholds))
            return forward(g, input: shifted, kernel: kernel, normalisedBy: affine, path: path, counters: counters)
        }
        return forward(g, input: input.data, kernel: kernel, binaryInput: true, normalisedBy: affine, thresholds: thresholds,
                       runs: { input.derived(ChannelRuns.self) { ChannelRuns(input, counters: counters) } }, path: path, counters: counters)
    }

    /// The kernels a convolution runs on (`forward`), from its geometry, its input and this thread's choice.
    private enum Route {
        /// Packed im2col (or channels-last runs) and the XNOR GEMM.
        case denseBits
        /// `DepthwiseBits`.
        case depthwiseBits
        /// `SignPointwise`'s direct 1x1 loops, at stride 1 or on the pixels a stride reads.
        case signPointwise, signPointwiseStrided
        /// Signs (or real inputs) through the float convolution.
        case floatKernels

        /// Whether the route takes RSign's thresholds as it reads the input.
        var comparesThresholds: Bool { self != .floatKernels }
    }

    private static func route(_ g: ConvGeometry, binaryInput: Bool) -> Route {
        let bitPath = binaryInput && usesBitKernels
            && (g.groups == 1 ? g.channelsPerGroup * g.kernel * g.kernel >= minimumBitDepth : DepthwiseBits.fits(g))
        if bitPath { return g.groups == 1 ? .denseBits : .depthwiseBits }
        if binaryInput && SignPointwise.fits(g) { return .signPointwise }
        if binaryInput && SignPointwise.fitsStrided(g) { return .signPointwiseStrided }
        return .floatKernels
    }

    /// `thresholds` only on a route that compares them (`Route.comparesThresholds`).
    private static func forward(_ g: ConvGeometry, input: [Float], kernel: BinaryKernel, binaryInput: Bool, normalisedBy affine: ChannelAffine?,
                                thresholds: [Float]?, runs: (() -> ChannelRuns)?, path: KernelPath, counters: KernelCounters) -> [Float] {
        precondition(kernel.weights.outChannels == g.outChannels && kernel.channelsPerGroup == g.channelsPerGroup
                     && kernel.kernel == g.kernel, "BinaryConvolution: the kernel does not fit the geometry")
        precondition(affine.map { $0.channels == g.outChannels } ?? true, "BinaryConvolution: the affine does not fit the output channels")
        precondition(input.count == g.batch * g.inChannels * g.height * g.width, "BinaryConvolution: \(input.count) inputs for the geometry")
        let route = route(g, binaryInput: binaryInput)
        precondition(thresholds == nil || route.comparesThresholds, "BinaryConvolution: thresholds on a route that does not compare them")
        guard route == .denseBits || route == .depthwiseBits else {
            return counters.countingFloat(flops: 2 * g.macs) {
                switch route {
                case .signPointwise:
                    return pointwise(g, input: input, kernel: kernel, normalisedBy: affine, thresholds: thresholds)
                case .signPointwiseStrided:
                    let (sampledGeometry, sampled) = SignPointwise.sampled(g, input)
                    return pointwise(sampledGeometry, input: sampled, kernel: kernel, normalisedBy: affine, thresholds: thresholds)
                case .denseBits, .depthwiseBits, .floatKernels:
                    let (geometry, x) = binaryInput ? signsPaddedWithOnes(g, input) : (g, input)
                    var output = Convolution.forward(geometry, input: x, weight: kernel.weights.signs)
                    applyScales(kernel.weights.scales, then: affine, to: &output, planeSize: g.outPixels)
                    return output
                }
            }
        }
        return [Float](unsafeUninitializedCapacity: g.batch * g.outChannels * g.outPixels) { buffer, count in
            input.withUnsafeBufferPointer { x in
                guard let x = x.baseAddress, let y = buffer.baseAddress else { return }
                if g.groups == 1 {
                    let shared = g.isPointwise && thresholds == nil ? runs?() : nil
                    precondition(shared.map { $0.runWords == kernel.bits.wordsPerRow && $0.imageWords == g.outPixels * $0.runWords } ?? true,
                                 "BinaryConvolution: the channels-last runs do not fit the geometry")
                    dense(g, input: x, kernel: kernel, output: y, normalisedBy: affine, runs: shared, thresholds: thresholds, path: path,
                          counters: counters)
                } else {
                    DepthwiseBits.forward(g, input: x, kernel: kernel, output: y, thresholds: thresholds, counters: counters)
                    affine?.apply(y, into: y, batch: g.batch, pixels: g.outPixels)
                }
            }
            count = buffer.count
        }
    }

    /// Depthwise -> 1x1 -> batch norm stages of sign activations (a `dil_conv` is one, a `sep_conv`
    /// two) on bits from end to end (`SeparableBits`: the depthwise outputs are never written as
    /// floats, nor a stage's output before the last) when every stage fits the bit kernels and this
    /// thread uses them; nil otherwise, for the caller to run the layers one after the other, with the
    /// same bits.
    public static func separable(_ stages: [SeparableBits.Stage], input: [Float], path: KernelPath = .best,
                                 counters: KernelCounters = .current) -> [Float]? {
        guard let prepared = prepareSeparable(stages, input: input, path: path) else { return nil }
        return separableOutput(stages) { y in
            input.withUnsafeBufferPointer { x in SeparableBits.forward(prepared, input: x.baseAddress!, output: y, path: path, counters: counters) }
        }
    }

    /// `separable` of a tensor whose sign streams (`SignStreams`) it keeps (`Tensor.derived`), so that
    /// every separable op reading the same cell state at inference packs its signs once.
    public static func separable(_ stages: [SeparableBits.Stage], input: Tensor, path: KernelPath = .best,
                                 counters: KernelCounters = .current) -> [Float]? {
        guard let prepared = prepareSeparable(stages, input: input.data, path: path) else { return nil }
        return separableOutput(stages) { y in
            run(prepared, input: input, into: y, imageStride: nil, accumulate: false, path: path, counters: counters)
        }
    }

    /// `separable(_:input:)` written into a caller's batch instead of a new one: output image n at
    /// `output + n * imageStride` (a block of channels of a larger NCHW batch, such as a cell's
    /// output), or added to the values there (`accumulate`: the second term of a node's sum, the add
    /// rounded as `Tensor.sum` rounds it). False, with nothing written, where `separable` would
    /// return nil.
    public static func separable(_ stages: [SeparableBits.Stage], input: Tensor, into output: UnsafeMutablePointer<Float>, imageStride: Int,
                                 accumulate: Bool, path: KernelPath = .best, counters: KernelCounters = .current) -> Bool {
        guard let prepared = prepareSeparable(stages, input: input.data, path: path) else { return false }
        let last = stages[stages.count - 1].pointwise
        precondition(imageStride >= last.outChannels * last.outPixels, "BinaryConvolution: images \(imageStride) values apart overlap")
        run(prepared, input: input, into: output, imageStride: imageStride, accumulate: accumulate, path: path, counters: counters)
        return true
    }

    /// The stages' operands when they run on bits here, else nil.
    private static func prepareSeparable(_ stages: [SeparableBits.Stage], input: [Float], path: KernelPath) -> [SeparableBits.Prepared]? {
        guard usesBitKernels && SeparableBits.fits(stages) else { return nil }
        for stage in stages {
            let (d, p) = (stage.depthwise, stage.pointwise)
            precondition(stage.depthwiseKernel.weights.outChannels == d.outChannels && stage.depthwiseKernel.kernel == d.kernel
                         && stage.depthwiseKernel.channelsPerGroup == 1, "BinaryConvolution: the depthwise kernel does not fit its geometry")
            precondition(stage.pointwiseKernel.weights.outChannels == p.outChannels && stage.pointwiseKernel.kernel == 1
                         && stage.pointwiseKernel.channelsPerGroup == p.inChannels, "BinaryConvolution: the 1x1 kernel does not fit its geometry")
            precondition(stage.affine.map { $0.channels == p.outChannels } ?? true, "BinaryConvolution: the affine does not fit the output channels")
        }
        let first = stages[0].depthwise
        precondition(input.count == first.batch * first.inChannels * first.height * first.width,
                     "BinaryConvolution: \(input.count) inputs for the geometry")
        return SeparableBits.prepare(stages, path: path)
    }

    /// The stages on a tensor, from its sign streams (packed the first time a separable op reads it).
    private static func run(_ prepared: [SeparableBits.Prepared], input: Tensor, into output: UnsafeMutablePointer<Float>, imageStride: Int?,
                            accumulate: Bool, path: KernelPath, counters: KernelCounters) {
        let first = prepared[0].stage.depthwise
        precondition(input.shape == [first.batch, first.inChannels, first.height, first.width],
                     "BinaryConvolution: an input of shape \(input.shape) for the geometry")
        // Sign streams are the signs of x itself: a first stage with thresholds packs its planes as it compares them.
        let streams = prepared[0].stage.depthwiseThresholds != nil ? nil
            : input.derived(SignStreams.self) { SignStreams(input.data, planes: first.batch * first.inChannels, pixels: first.height * first.width, counters: counters) }
        input.data.withUnsafeBufferPointer { x in
            SeparableBits.forward(prepared, input: x.baseAddress!, signs: streams, output: output, imageStride: imageStride,
                                  accumulate: accumulate, path: path, counters: counters)
        }
    }

    /// A new NCHW batch of the last stage's output shape, filled by `fill`.
    private static func separableOutput(_ stages: [SeparableBits.Stage], _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let last = stages[stages.count - 1].pointwise
        return [Float](unsafeUninitializedCapacity: last.batch * last.outChannels * last.outPixels) { buffer, count in
            if let y = buffer.baseAddress { fill(y) }
            count = buffer.count
        }
    }

    /// A 1x1 convolution of sign(input) on the float kernels in one pass (`SignPointwise`): the same
    /// bits as the sign pass, sgemm and scale pass below. At a stride above 1 it runs on the pixels
    /// the stride reads, gathered first (`SignPointwise.sampled`).
    static func pointwise(_ g: ConvGeometry, input: [Float], kernel: BinaryKernel, normalisedBy affine: ChannelAffine?,
                          thresholds: [Float]? = nil) -> [Float] {
        [Float](unsafeUninitializedCapacity: g.batch * g.outChannels * g.outPixels) { buffer, count in
            input.withUnsafeBufferPointer { x in kernel.weights.signs.withUnsafeBufferPointer { signs in
                kernel.weights.scales.withUnsafeBufferPointer { scales in (thresholds ?? []).withUnsafeBufferPointer { thresholdValues in
                    guard let x = x.baseAddress, let y = buffer.baseAddress else { return }
                    SignPointwise.forward(g, x, signs: signs.baseAddress!, scales: scales.baseAddress!, into: y, normalisedBy: affine,
                                          thresholds: thresholds == nil ? nil : thresholdValues.baseAddress)
                } }
            } }
            count = buffer.count
        }
    }

    /// sign(input) padded with +1, and the geometry of the convolution over it (padding 0).
    static func signsPaddedWithOnes(_ g: ConvGeometry, _ input: [Float]) -> (ConvGeometry, [Float]) {
        let signs = input.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: x.count) { y, initialized in
                if let x = x.baseAddress, let y = y.baseAddress { SignKernels.signs(x, into: y, count: input.count) }
                initialized = input.count
            }
        }
        guard g.padding > 0 else { return (g, signs) }
        let padded = Tensor(shape: [g.batch, g.inChannels, g.height, g.width], data: signs).padded(by: g.padding, value: 1)
        let geometry = ConvGeometry(input: padded.shape, weight: [g.outChannels, g.channelsPerGroup, g.kernel, g.kernel],
                                    stride: g.stride, padding: 0, dilation: g.dilation, groups: g.groups)
        return (geometry, padded.data)
    }

    /// y[n, o, :] *= scales[o], then y[n, o, :] = y[n, o, :] * affine.scale[o] + affine.shift[o].
    static func applyScales(_ scales: [Float], then affine: ChannelAffine?, to output: inout [Float], planeSize: Int) {
        guard planeSize > 0 else { return }
        for plane in 0..<output.count / planeSize {
            let scale = scales[plane % scales.count]
            for i in plane * planeSize..<(plane + 1) * planeSize { output[i] *= scale }
        }
        guard let affine else { return }
        output.withUnsafeMutableBufferPointer { y in
            affine.apply(y.baseAddress!, into: y.baseAddress!, batch: y.count / (planeSize * affine.channels), pixels: planeSize)
        }
    }

    /// A dense convolution one image at a time on each worker: the image's packed im2col (B, N = its
    /// output pixels; for a 1x1 stride-1 conv the channels-last runs are already the rows), then the
    /// XNOR GEMM of the kernel's bits (A, M = output channels) by it, each tile stored as
    /// Float(dot) * scales[o] straight into the image's NCHW planes (C = [o][pixel], ldc = pixels), and
    /// the image normalised by `affine` while it is in cache. With `thresholds`, of the signs of
    /// x - thresholds[c], compared as each image is packed (no `shared` runs then).
    static func dense(_ g: ConvGeometry, input: UnsafePointer<Float>, kernel: BinaryKernel, output: UnsafeMutablePointer<Float>,
                      normalisedBy affine: ChannelAffine? = nil, runs shared: ChannelRuns? = nil, thresholds: [Float]? = nil,
                      path: KernelPath, counters: KernelCounters) {
        precondition(shared == nil || thresholds == nil, "BinaryConvolution: shared runs of x, but thresholds to compare x with")
        let bits = kernel.bits
        let tiles = (g.outPixels + XNORKernels.tileColumns(path) - 1) / XNORKernels.tileColumns(path)
        let pointwise = g.isPointwise
        let workers = Parallelism.workerCount(g.batch)
        // Nanoseconds each worker spent packing and multiplying, to split the wall time between the counters.
        var busy = [Int](repeating: 0, count: 2 * workers)
        let start = DispatchTime.now().uptimeNanoseconds
        bits.words.withUnsafeBufferPointer { weightWords in kernel.weights.scales.withUnsafeBufferPointer { scales in
            busy.withUnsafeMutableBufferPointer { busy in XNORKernels.withNorm(affine) { norm in (thresholds ?? []).withUnsafeBufferPointer { thresholdValues in
                guard let weights = weightWords.baseAddress, let scales = scales.baseAddress else { return }
                let thresholds = thresholds == nil ? nil : thresholdValues.baseAddress
                Parallelism.forEachWorkerChunk(g.batch) { worker, images in
                    // Packed runs of the whole batch (`shared`), or this worker's packing of each image.
                    let scratch = shared == nil ? BitPacking.Im2colScratch(g) : nil
                    let rows = UnsafeMutablePointer<UInt64>.allocate(capacity: pointwise ? 1 : max(1, g.outPixels * (scratch?.wordsPerRow ?? 0)))
                    defer { scratch?.deallocate(); rows.deallocate() }
                    for n in images {
                        let packed = DispatchTime.now().uptimeNanoseconds
                        if let scratch {
                            if pointwise {
                                scratch.packRuns(input, n, group: 0, thresholds: thresholds)
                            } else {
                                scratch.packImage(input, n, group: 0, into: rows, thresholds: thresholds)
                            }
                        }
                        let multiplied = DispatchTime.now().uptimeNanoseconds
                        let b = shared.map { UnsafePointer($0.words + n * $0.imageWords) } ?? UnsafePointer(pointwise ? scratch!.runs : rows)
                        let operands = XNORKernels.Operands(
                            a: weights, b: b, m: g.outChannels, n: g.outPixels, words: bits.wordsPerRow,
                            k: bits.bitsPerRow, c: UnsafeMutableRawPointer(output + n * g.outChannels * g.outPixels), ldc: g.outPixels,
                            scales: scales, norm: norm)
                        XNORKernels.block(path, operands, rows: 0..<g.outChannels, tiles: 0..<tiles)
                        let done = DispatchTime.now().uptimeNanoseconds
                        busy[2 * worker] += Int(multiplied - packed)
                        busy[2 * worker + 1] += Int(done - multiplied)
                    }
                }
            } } }
        } }
        let wall = Int(DispatchTime.now().uptimeNanoseconds - start)
        let packing = busy.enumerated().filter { $0.offset % 2 == 0 }.reduce(0) { $0 + $1.element }
        let packingShare = wall * packing / max(1, busy.reduce(0, +))
        // Shared runs were counted when `ChannelRuns` packed them.
        if shared == nil { counters.recordPacking(bits: g.batch * g.outPixels * bits.bitsPerRow, nanoseconds: packingShare) }
        counters.recordBinary(macs: g.macs, nanoseconds: wall - packingShare)
    }
}
