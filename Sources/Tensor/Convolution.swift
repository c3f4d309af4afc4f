/// 2-d convolution (no bias; a BN follows every convolution in this search space) over NCHW input
/// with weight [outChannels, inChannels/groups, k, k]. Grouped and dense convolutions go through
/// im2col + OpenBLAS sgemm per image; depthwise convolutions (one input channel per group) run a
/// direct loop, which beats a GEMM with a single-row operand.
extension Tensor {
    public func conv2d(_ weight: Tensor, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
        let geometry = ConvGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let input = self
        let output = Convolution.forward(geometry, input: data, weight: weight.data)
        let outShape = [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth]
        return Tensor.result(shape: outShape, data: output, parents: [self, weight]) { out in
            Convolution.backward(geometry, input: input, weight: weight, outputGrad: out.grad)
        }
    }
}

/// The convolution kernels behind `Tensor.conv2d`, public so that benchmarks can time them alone.
public enum Convolution {
    /// Both kernels store every output (sgemm with beta 0 does not read C), so the output starts uninitialised.
    public static func forward(_ g: ConvGeometry, input: [Float], weight: [Float]) -> [Float] {
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                makeFloats(g.batch * g.outChannels * g.outPixels) { y in
                    if g.isDepthwise {
                        depthwiseForward(g, x.baseAddress!, w.baseAddress!, y)
                    } else {
                        gemmForward(g, x.baseAddress!, w.baseAddress!, y)
                    }
                }
            }
        }
    }

    static func backward(_ g: ConvGeometry, input: Tensor, weight: Tensor, outputGrad: [Float]) {
        let (inputGrad, weightGrad) = gradients(g, input: input.data, weight: weight.data, outputGrad: outputGrad,
                                                wantInput: input.requiresGrad, wantWeight: weight.requiresGrad)
        if let inputGrad { input.accumulateGrad(from: inputGrad) }
        if let weightGrad { weight.accumulateGrad(from: weightGrad) }
    }

    /// The gradients of a convolution with respect to its input and/or weight, for ops built on a
    /// convolution (the binarized ones) that derive their own gradients from these. With
    /// `signOfInput` the convolution reads sign(input) padded with +1 (docs/algorithms.md#bit-kernels) instead of
    /// input padded with zeros, and the input gradient passes sign's straight-through estimator
    /// (only where |input| <= 1): the gradients of conv(signSTE(input) padded with +1) with no
    /// sign tensor stored. Dense convolutions take it without padding only.
    /// `signGradient` is the derivative the input gradient passes in place of sign's.
    public static func gradients(_ g: ConvGeometry, input: [Float], weight: [Float], outputGrad: [Float],
                                 wantInput: Bool = true, wantWeight: Bool = true, signOfInput: Bool = false,
                                 signGradient: SignGradient = .ste) -> (input: [Float]?, weight: [Float]?) {
        gradients(g, input: input, weight: weight, outputGrad: outputGrad, wantInput: wantInput, wantWeight: wantWeight,
                  signOfInput: signOfInput, signGradient: signGradient, path: .fastest)
    }

    /// `gradients` with the choice of loops: a dense 1x1 convolution of sign(input) takes `SignPointwise`'s
    /// direct loops on `.fastest` (at a stride above 1, on the pixels the stride reads) and the sign
    /// pass, sgemms and estimator pass on `.generic`.
    static func gradients(_ g: ConvGeometry, input: [Float], weight: [Float], outputGrad: [Float],
                          wantInput: Bool, wantWeight: Bool, signOfInput: Bool, signGradient: SignGradient = .ste,
                          path: LoopPath) -> (input: [Float]?, weight: [Float]?) {
        precondition(!signOfInput || g.isDepthwise || g.padding == 0, "Convolution.gradients: a dense convolution of sign(input) needs padding 0")
        if signOfInput && path == .fastest && SignPointwise.fitsStrided(g) {
            let (sampledGeometry, sampled) = SignPointwise.sampled(g, input)
            let result = gradients(sampledGeometry, input: sampled, weight: weight, outputGrad: outputGrad, wantInput: wantInput,
                                   wantWeight: wantWeight, signOfInput: true, signGradient: signGradient, path: path)
            return (result.input.map { SignPointwise.unsampled(g, $0) }, result.weight)
        }
        // The direct loops (depthwise, and 1x1 of sign(x)) take the signs as they read x and write
        // every element of dx (no zero fill); the GEMMs need the signs as a matrix and add into dx.
        let direct = g.isDepthwise || (signOfInput && path == .fastest && SignPointwise.fits(g))
        var inputGrad = !wantInput ? [] : direct
            ? [Float](unsafeUninitializedCapacity: input.count) { _, count in count = input.count } : [Float](repeating: 0, count: input.count)
        var weightGrad = wantWeight ? [Float](repeating: 0, count: weight.count) : []
        let dense = signOfInput && !direct
        let operand = dense ? input.withUnsafeBufferPointer { x in makeFloats(x.count) { SignKernels.signs(x.baseAddress!, into: $0, count: x.count) } } : input
        inputGrad.withUnsafeMutableBufferPointer { dx in
            weightGrad.withUnsafeMutableBufferPointer { dw in
                run(g, input: operand, weight: weight, outputGrad: outputGrad,
                    inputGrad: wantInput ? dx.baseAddress : nil, weightGrad: wantWeight ? dw.baseAddress : nil, signOfInput: signOfInput && !dense,
                    signGradient: signGradient)
                if dense && wantInput, let dx = dx.baseAddress {
                    input.withUnsafeBufferPointer { x in SignKernels.passed(signGradient, x.baseAddress!, dx, into: dx, count: x.count) }
                }
            }
        }
        return (wantInput ? inputGrad : nil, wantWeight ? weightGrad : nil)
    }

    /// Adds the input and/or weight gradients into the given buffers (nil = not wanted); a depthwise
    /// convolution, and a dense one with `signOfInput` (a 1x1, `SignPointwise`), writes its input
    /// gradient instead.
    private static func run(_ g: ConvGeometry, input: [Float], weight: [Float], outputGrad: [Float],
                            inputGrad: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>?, signOfInput: Bool,
                            signGradient: SignGradient) {
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                outputGrad.withUnsafeBufferPointer { dy in
                    if g.isDepthwise {
                        depthwiseBackward(g, x.baseAddress!, w.baseAddress!, dy.baseAddress!, inputGrad, weightGrad, signOfInput: signOfInput,
                                          signGradient: signGradient)
                    } else if signOfInput {
                        SignPointwise.backward(g, x.baseAddress!, weight: w.baseAddress!, dy.baseAddress!, inputGrad: inputGrad, weightGrad: weightGrad,
                                               signGradient: signGradient)
                    } else {
                        gemmBackward(g, x.baseAddress!, w.baseAddress!, dy.baseAddress!, inputGrad, weightGrad)
                    }
                }
            }
        }
    }

    // MARK: im2col + GEMM

    static func gemmForward(_ g: ConvGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let inPlane = g.height * g.width
        Parallelism.forEachChunk(g.batch) { images in
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: g.isPointwise ? 1 : g.patchSize * g.outPixels)
            defer { columns.deallocate() }
            for n in images {
                for group in 0..<g.groups {
                    let image = x + (n * g.inChannels + group * g.channelsPerGroup) * inPlane
                    let operand: UnsafePointer<Float>
                    if g.isPointwise { operand = image } else { Im2col.expand(g, image: image, into: columns); operand = UnsafePointer(columns) }
                    GEMM.multiply(
                        m: g.outChannelsPerGroup, n: g.outPixels, k: g.patchSize,
                        a: w + group * g.outChannelsPerGroup * g.patchSize, lda: g.patchSize,
                        b: operand, ldb: g.outPixels,
                        c: y + (n * g.outChannels + group * g.outChannelsPerGroup) * g.outPixels, ldc: g.outPixels)
                }
            }
        }
    }

    /// The images of a batch in at most 8 fixed blocks for a weight gradient: each block sums into
    /// a buffer of its own and the blocks are added in order, so the bits of the sum do not depend
    /// on the thread count.
    static func weightGradientBlocks(batch: Int) -> (imagesPerBlock: Int, blocks: Int) {
        let imagesPerBlock = max(1, (batch + 7) / 8)
        return (imagesPerBlock, (batch + imagesPerBlock - 1) / imagesPerBlock)
    }

    /// dW = sum_n dY_n col_n^T, dX_n = col2im(W^T dY_n). Each block of images sums its dW into a
    /// buffer of its own and the blocks are added in order; the blocks do not depend on the thread
    /// count, so neither do the bits of dW.
    static func gemmBackward(
        _ g: ConvGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?
    ) {
        let inPlane = g.height * g.width
        let weightCount = g.outChannels * g.patchSize
        let (imagesPerBlock, blocks) = weightGradientBlocks(batch: g.batch)
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: dw == nil ? 1 : blocks * weightCount)
        defer { partials.deallocate() }
        if dw != nil { partials.initialize(repeating: 0, count: blocks * weightCount) }
        Parallelism.forEachChunk(blocks) { blockRange in
            let scratch = g.isPointwise ? 1 : g.patchSize * g.outPixels
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
            let columnGrad = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
            defer { columns.deallocate(); columnGrad.deallocate() }
            for n in blockRange.lowerBound * imagesPerBlock..<min(g.batch, blockRange.upperBound * imagesPerBlock) {
                let block = n / imagesPerBlock
                for group in 0..<g.groups {
                    let imageOffset = (n * g.inChannels + group * g.channelsPerGroup) * inPlane
                    let weightGroup = w + group * g.outChannelsPerGroup * g.patchSize
                    let outGrad = dy + (n * g.outChannels + group * g.outChannelsPerGroup) * g.outPixels
                    if dw != nil {
                        let operand: UnsafePointer<Float>
                        if g.isPointwise { operand = x + imageOffset } else { Im2col.expand(g, image: x + imageOffset, into: columns); operand = UnsafePointer(columns) }
                        GEMM.multiply(
                            transposeB: true, m: g.outChannelsPerGroup, n: g.patchSize, k: g.outPixels,
                            a: outGrad, lda: g.outPixels, b: operand, ldb: g.outPixels, beta: 1,
                            c: partials + block * weightCount + group * g.outChannelsPerGroup * g.patchSize, ldc: g.patchSize)
                    }
                    if let dx {
                        if g.isPointwise {
                            GEMM.multiply(
                                transposeA: true, m: g.patchSize, n: g.outPixels, k: g.outChannelsPerGroup,
                                a: weightGroup, lda: g.patchSize, b: outGrad, ldb: g.outPixels, beta: 1,
                                c: dx + imageOffset, ldc: g.outPixels)
                        } else {
                            GEMM.multiply(
                                transposeA: true, m: g.patchSize, n: g.outPixels, k: g.outChannelsPerGroup,
                                a: weightGroup, lda: g.patchSize, b: outGrad, ldb: g.outPixels,
                                c: columnGrad, ldc: g.outPixels)
                            Im2col.accumulate(g, columns: columnGrad, into: dx + imageOffset)
                        }
                    }
                }
            }
        }
        if let dw {
            for block in 0..<blocks {
                let partial = partials + block * weightCount
                for i in 0..<weightCount { dw[i] += partial[i] }
            }
        }
    }
}
