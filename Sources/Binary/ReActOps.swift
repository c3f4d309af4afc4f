import Tensor

/// The per-channel ops of the ReAct flavour (docs/algorithms.md#react-flavour) on NCHW tensors, each
/// forward beside its backward: RSign's shift before a sign, and RPReLU after a batch norm. Planes run
/// on the workers; a parameter's gradient is summed per plane, then over the images in order, so its
/// bits do not depend on the thread count.
extension Tensor {
    /// x[n, c, :] - thresholds[c]: the input of RSign, sign(x - a_c). The threshold's gradient is minus
    /// the sum of the channel's gradient, so that with sign's estimator after this op a_c gets minus
    /// the estimator's gradient summed over the channel. At inference both paths read this op's
    /// output: sign(x - a) is the compare x < a (x - a rounds to 0 only where x == a, and to -0 only
    /// for x = -0, a = +0, which sign maps to +1 as it maps x = -0 with no threshold).
    public func subtractingChannels(_ thresholds: Tensor) -> Tensor {
        let (batch, channels, plane) = channelLayout(thresholds)
        let output = data.withUnsafeBufferPointer { x in thresholds.data.withUnsafeBufferPointer { a in
            [Float](unsafeUninitializedCapacity: count) { y, initialized in
                Parallelism.forEachChunk(batch * channels, valuesEach: plane) { planes in
                    for p in planes {
                        let (source, target, threshold) = (x.baseAddress! + p * plane, y.baseAddress! + p * plane, a[p % channels])
                        for i in 0..<plane { target[i] = source[i] - threshold }
                    }
                }
                initialized = count
            }
        } }
        return Tensor.result(shape: shape, data: output, parents: [self, thresholds]) { [self] out in
            if requiresGrad { accumulateGrad(from: out.grad) }
            guard thresholds.requiresGrad else { return }
            let sums = out.grad.withUnsafeBufferPointer { dy in
                Self.planeSums(batch * channels, plane) { p in VectorKernels.sum(dy.baseAddress! + p * plane, count: plane) }
            }
            let gradient = Self.channelTotals(sums, batch: batch, channels: channels)
            thresholds.accumulateGrad(from: gradient, factor: -1)
        }
    }

    /// RPReLU: y = x - gamma_c + zeta_c where x > gamma_c, beta_c (x - gamma_c) + zeta_c elsewhere,
    /// a PReLU whose kink moves to (gamma_c, zeta_c). It computes d = x - gamma_c once and tests d > 0,
    /// which is x > gamma_c for floats.
    public func rprelu(gamma: Tensor, beta: Tensor, zeta: Tensor) -> Tensor {
        let (batch, channels, plane) = channelLayout(gamma)
        precondition(beta.shape == gamma.shape && zeta.shape == gamma.shape, "rprelu: parameters of shapes \(gamma.shape), \(beta.shape), \(zeta.shape)")
        let output = data.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: count) { y, initialized in
                Parallelism.forEachChunk(batch * channels, valuesEach: plane) { planes in
                    for p in planes {
                        let c = p % channels
                        let (g, b, z) = (gamma.data[c], beta.data[c], zeta.data[c])
                        let (source, target) = (x.baseAddress! + p * plane, y.baseAddress! + p * plane)
                        for i in 0..<plane {
                            let d = source[i] - g
                            target[i] = (d > 0 ? d : b * d) + z
                        }
                    }
                }
                initialized = count
            }
        }
        return Tensor.result(shape: shape, data: output, parents: [self, gamma, beta, zeta]) { [self] out in
            // Per plane: dx, and the sums of dy * dy/dgamma, dy * (x - gamma) below the kink, and dy.
            let wantInput = requiresGrad
            var inputGrad = [Float](repeating: 0, count: wantInput ? count : 0)
            let sums = data.withUnsafeBufferPointer { x in out.grad.withUnsafeBufferPointer { dy in
                inputGrad.withUnsafeMutableBufferPointer { dx in
                    Self.planeSums(batch * channels, plane, width: 3) { p, sums in
                        let c = p % channels
                        let (g, b) = (gamma.data[c], beta.data[c])
                        let (source, upstream) = (x.baseAddress! + p * plane, dy.baseAddress! + p * plane)
                        var (shift, slope, offset): (Float, Float, Float) = (0, 0, 0)
                        for i in 0..<plane {
                            let d = source[i] - g
                            let passed = d > 0 ? upstream[i] : b * upstream[i]
                            if wantInput { dx[p * plane + i] = passed }
                            shift -= passed
                            if d <= 0 { slope += upstream[i] * d }
                            offset += upstream[i]
                        }
                        (sums[0], sums[1], sums[2]) = (shift, slope, offset)
                    }
                }
            } }
            if wantInput { accumulateGrad(from: inputGrad) }
            for (index, parameter) in [gamma, beta, zeta].enumerated() where parameter.requiresGrad {
                let column = stride(from: index, to: sums.count, by: 3).map { sums[$0] }
                parameter.accumulateGrad(from: Self.channelTotals(column, batch: batch, channels: channels))
            }
        }
    }

    /// (batch, channels, plane size) of this NCHW tensor, checked against a per-channel parameter.
    private func channelLayout(_ parameter: Tensor) -> (Int, Int, Int) {
        precondition(rank == 4 && parameter.shape == [shape[1]], "a per-channel op of \(parameter.shape) on a tensor of shape \(shape)")
        return (shape[0], shape[1], shape[2] * shape[3])
    }

    /// `width` sums of each of `planes` planes, made by `sum` on the workers.
    private static func planeSums(_ planes: Int, _ plane: Int, width: Int, _ sum: (Int, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: planes * width) { sums, initialized in
            Parallelism.forEachChunk(planes, valuesEach: plane) { range in
                for p in range { sum(p, sums.baseAddress! + p * width) }
            }
            initialized = planes * width
        }
    }

    private static func planeSums(_ planes: Int, _ plane: Int, _ sum: (Int) -> Float) -> [Float] {
        planeSums(planes, plane, width: 1) { p, target in target[0] = sum(p) }
    }

    /// The sums of each channel's planes, image 0 first.
    private static func channelTotals(_ planeSums: [Float], batch: Int, channels: Int) -> [Float] {
        (0..<channels).map { c in (0..<batch).reduce(Float(0)) { $0 + planeSums[$1 * channels + c] } }
    }
}
