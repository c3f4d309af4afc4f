/// The output of PC-DARTS's partial-channel mixed op (REFERENCE.md §2) as one op:
///
///     channel_shuffle(concat[mixed, weight[index] * bypass], groups)
///
/// where bypass = input channels partial..<C, max-pooled 2x2 at stride 2 when `poolsBypass`, and
/// partial = C / groups = mixed's channel count. Written as slice + pool + scale + concat + shuffle
/// it copies every value four times each way; here each output plane is written once from its
/// source, and backward sends each gradient plane once to where it came from.
///
/// Output channel j reads concat channel (j % groups) * partial + j / groups, so the channels with
/// j % groups == 0 come from `mixed` (channel j / groups) and the others from the bypass, whose
/// concat channel c is input channel c itself.
extension Tensor {
    public static func partialChannelOutput(mixed: Tensor, input: Tensor, weight: Tensor, at index: Int, groups: Int,
                                            poolsBypass: Bool) -> Tensor {
        let (batch, channels) = (input.shape[0], input.shape[1])
        let partial = channels / groups
        precondition(input.rank == 4 && mixed.rank == 4 && partial * groups == channels && mixed.shape[0] == batch
                     && mixed.shape[1] == partial, "partialChannelOutput: mixed \(mixed.shape) does not fit input \(input.shape) in \(groups) groups")
        let pool = poolsBypass ? PoolGeometry([1, 1, input.shape[2], input.shape[3]], kernel: 2, stride: 2, padding: 0) : nil
        let (height, width) = pool.map { ($0.outHeight, $0.outWidth) } ?? (input.shape[2], input.shape[3])
        precondition(mixed.shape[2] == height && mixed.shape[3] == width, "partialChannelOutput: mixed \(mixed.shape) against a bypass of \(height)x\(width)")
        let (inPlane, plane) = (input.shape[2] * input.shape[3], height * width)
        let factor = weight.data[index]
        /// The concat channel that output channel j reads.
        func source(_ j: Int) -> Int { (j % groups) * partial + j / groups }
        // Per bypass plane (image-major), the input position each pooled output came from.
        var winners: [Int32] = []
        if let pool { winners = [Int32](repeating: 0, count: batch * (channels - partial) * plane) }
        let output = makeFloats(batch * channels * plane) { y in
            input.data.withUnsafeBufferPointer { x in mixed.data.withUnsafeBufferPointer { m in winners.withUnsafeMutableBufferPointer { w in
                let (x, m, w) = (x.baseAddress!, m.baseAddress!, pool == nil ? nil : w.baseAddress)
                forEachImageChunk(batch, values: channels * plane) { images in
                    for n in images {
                        for j in 0..<channels {
                            let (c, target) = (source(j), y + (n * channels + j) * plane)
                            if c < partial {
                                target.update(from: m + (n * partial + c) * plane, count: plane)
                            } else if let pool, let w {
                                PoolingKernels.maxForward(pool, x + (n * channels + c) * inPlane, target,
                                                          w + (n * (channels - partial) + c - partial) * plane, planes: 0..<1)
                                for i in 0..<plane { target[i] *= factor }
                            } else {
                                let from = x + (n * channels + c) * plane
                                for i in 0..<plane { target[i] = from[i] * factor }
                            }
                        }
                    }
                }
            } } }
        }
        return Tensor.result(shape: [batch, channels, height, width], data: output, parents: [mixed, input, weight]) { [winners] out in
            out.grad.withUnsafeBufferPointer { dy in winners.withUnsafeBufferPointer { w in
                // An empty array may still have a base address: only a pooled bypass has winners.
                let (dy, w) = (dy.baseAddress!, pool == nil ? nil : w.baseAddress)
                if mixed.requiresGrad {
                    mixed.contributeGrad { dm, add in
                        forEachImageChunk(batch, values: partial * plane) { images in
                            for n in images {
                                for c in 0..<partial {
                                    copyOrAdd(dm + (n * partial + c) * plane, dy + (n * channels + c * groups) * plane, count: plane, add: add)
                                }
                            }
                        }
                    }
                }
                if input.requiresGrad {
                    input.contributeGrad { dx, add in
                        forEachImageChunk(batch, values: channels * inPlane) { images in
                            for n in images {
                                if !add { (dx + n * channels * inPlane).update(repeating: 0, count: partial * inPlane) }
                                for j in 0..<channels where j % groups != 0 {
                                    let (c, upstream) = (source(j), dy + (n * channels + j) * plane)
                                    let target = dx + (n * channels + c) * inPlane
                                    if let w {
                                        if !add { target.update(repeating: 0, count: inPlane) }
                                        let indices = w + (n * (channels - partial) + c - partial) * plane
                                        for i in 0..<plane { target[Int(indices[i])] += upstream[i] * factor }
                                    } else if add {
                                        accumulate(target, upstream, count: plane, factor: factor)
                                    } else {
                                        for i in 0..<plane { target[i] = upstream[i] * factor }
                                    }
                                }
                            }
                        }
                    }
                }
                guard weight.requiresGrad else { return }
                // d weight[index] = sum of dy * bypass over the bypass planes: one sum per image, added in image order.
                var perImage = [Float](repeating: 0, count: batch)
                input.data.withUnsafeBufferPointer { x in perImage.withUnsafeMutableBufferPointer { sums in
                    let (x, sums) = (x.baseAddress!, sums.baseAddress!)
                    forEachImageChunk(batch, values: channels * plane) { images in
                        for n in images {
                            var total: Float = 0
                            for j in 0..<channels where j % groups != 0 {
                                let (c, upstream) = (source(j), dy + (n * channels + j) * plane)
                                let from = x + (n * channels + c) * inPlane
                                if let w {
                                    let indices = w + (n * (channels - partial) + c - partial) * plane
                                    for i in 0..<plane { total += upstream[i] * from[Int(indices[i])] }
                                } else {
                                    total += VectorKernels.dot(upstream, from, count: plane)
                                }
                            }
                            sums[n] = total
                        }
                    }
                } }
                let dot = perImage.reduce(0, +)
                weight.accumulateGrad { g in g[index] += dot }
            } }
        }
    }
}

/// Splits images over the workers when the images hold enough values to pay for the hand-off.
@inline(__always)
func forEachImageChunk(_ batch: Int, values perImage: Int, _ body: (Range<Int>) -> Void) {
    Parallelism.forEachChunk(batch, minimumChunk: max(1, (1 << 15) / max(1, perImage)), body)
}
