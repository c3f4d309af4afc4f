/// Running statistics of a batch-norm layer (PyTorch semantics: momentum 0.1, unbiased running variance).
public final class BatchNormStatistics {
    public var mean: [Float]
    public var variance: [Float]
    public let momentum: Float
    public let epsilon: Float

    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        mean = [Float](repeating: 0, count: channels)
        variance = [Float](repeating: 1, count: channels)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// 1 / sqrt(variance + epsilon) per channel, from the running variance.
    public var inverseStd: [Float] { variance.map { 1 / ($0 + epsilon).squareRoot() } }

    /// The normalisation with the running statistics as y = x * scale + shift (inference).
    public func inferenceAffine(gamma: [Float]?, beta: [Float]?) -> ChannelAffine {
        ChannelAffine(mean: mean, inverseStd: inverseStd, gamma: gamma, beta: beta)
    }
}

extension Tensor {
    /// Batch normalisation over (N, H, W) per channel. Training normalises with the batch's own
    /// statistics and updates `statistics`; inference uses the running ones. `gamma`/`beta` ([C]) are
    /// optional (affine=False in the DARTS search cells).
    public func batchNorm(gamma: Tensor?, beta: Tensor?, statistics: BatchNormStatistics, training: Bool) -> Tensor {
        precondition(rank == 4 || rank == 2, "batchNorm expects NCHW or NC, got \(shape)")
        let (batch, channels) = (shape[0], shape[1])
        let spatial = rank == 4 ? shape[2] * shape[3] : 1
        let reduced = batch * spatial
        precondition(!training || reduced > 1, "batchNorm in training needs more than one value per channel")
        // Work goes to the workers in chunks of at least 2^15 values (smaller ones finish sooner alone).
        let planesPerChunk = max(1, (1 << 15) / max(1, spatial))
        let channelsPerChunk = max(1, (1 << 15) / max(1, reduced))
        var mean = [Float](repeating: 0, count: channels)
        var inverseStd = [Float](repeating: 0, count: channels)
        var unbiasedVariance = [Float](repeating: 0, count: channels)
        if training {
            data.withUnsafeBufferPointer { x in
                mean.withUnsafeMutableBufferPointer { m in inverseStd.withUnsafeMutableBufferPointer { s in unbiasedVariance.withUnsafeMutableBufferPointer { u in
                    Parallelism.forEachChunk(channels, minimumChunk: channelsPerChunk) { range in
                        for c in range {
                            var total: Double = 0
                            for n in 0..<batch {
                                total += Double(VectorKernels.sum(x.baseAddress! + (n * channels + c) * spatial, count: spatial))
                            }
                            let average = Float(total / Double(reduced))
                            var squares: Double = 0
                            for n in 0..<batch {
                                squares += Double(VectorKernels.squaredDeviation(x.baseAddress! + (n * channels + c) * spatial, center: average, count: spatial))
                            }
                            m[c] = average
                            s[c] = Float(1 / (squares / Double(reduced) + Double(statistics.epsilon)).squareRoot())
                            u[c] = Float(squares / Double(reduced - 1))
                        }
                    }
                } } }
            }
            for c in 0..<channels {
                statistics.mean[c] += statistics.momentum * (mean[c] - statistics.mean[c])
                statistics.variance[c] += statistics.momentum * (unbiasedVariance[c] - statistics.variance[c])
            }
        } else {
            mean = statistics.mean
            inverseStd = statistics.inverseStd
        }
        let affine = ChannelAffine(mean: mean, inverseStd: inverseStd, gamma: gamma?.data, beta: beta?.data)
        let scale = affine.scale
        let output = data.withUnsafeBufferPointer { x in
            makeFloats(count) { y in
                affine.apply(x.baseAddress!, into: y, batch: batch, pixels: spatial)
            }
        }
        let parents = [self] + [gamma, beta].compactMap { $0 }
        return Tensor.result(shape: shape, data: output, parents: parents) { [self] out in
            // Per channel: sum(dy) and sum(dy * xhat), with xhat = (x - mean) * invstd.
            var sumDy = [Float](repeating: 0, count: channels)
            var sumDyXhat = [Float](repeating: 0, count: channels)
            data.withUnsafeBufferPointer { x in out.grad.withUnsafeBufferPointer { dy in
                sumDy.withUnsafeMutableBufferPointer { sd in sumDyXhat.withUnsafeMutableBufferPointer { sdx in
                    Parallelism.forEachChunk(channels, minimumChunk: channelsPerChunk) { range in
                        for c in range {
                            var (a, b): (Double, Double) = (0, 0)
                            for n in 0..<batch {
                                let base = (n * channels + c) * spatial
                                a += Double(VectorKernels.sum(dy.baseAddress! + base, count: spatial))
                                b += Double(VectorKernels.centeredDot(dy.baseAddress! + base, x.baseAddress! + base, center: mean[c], count: spatial))
                            }
                            sd[c] = Float(a)
                            sdx[c] = Float(b) * inverseStd[c]
                        }
                    }
                } }
            } }
            if requiresGrad {
                data.withUnsafeBufferPointer { x in out.grad.withUnsafeBufferPointer { dy in contributeGrad { dx, add in
                    Parallelism.forEachChunk(batch * channels, minimumChunk: planesPerChunk) { planes in
                        for plane in planes {
                            let c = plane % channels
                            let base = plane * spatial
                            let (x, dy, dx) = (x.baseAddress! + base, dy.baseAddress! + base, dx + base)
                            let gain = scale[c]
                            if training {
                                // dx = gamma * invstd * (dy - (sum dy + xhat * sum(dy xhat)) / M)
                                let meanDy = sumDy[c] / Float(reduced)
                                let slope = sumDyXhat[c] * inverseStd[c] / Float(reduced)
                                let center = mean[c]
                                if add {
                                    for i in 0..<spatial { dx[i] += gain * (dy[i] - meanDy - (x[i] - center) * slope) }
                                } else {
                                    for i in 0..<spatial { dx[i] = gain * (dy[i] - meanDy - (x[i] - center) * slope) }
                                }
                            } else {
                                if add {
                                    for i in 0..<spatial { dx[i] += gain * dy[i] }
                                } else {
                                    for i in 0..<spatial { dx[i] = gain * dy[i] }
                                }
                            }
                        }
                    }
                } } }
            }
            if let gamma, gamma.requiresGrad { gamma.accumulateGrad(from: sumDyXhat) }
            if let beta, beta.requiresGrad { beta.accumulateGrad(from: sumDy) }
        }
    }
}
