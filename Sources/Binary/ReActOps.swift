import Tensor

/// The per-channel ops of the ReAct flavour (docs/algorithms.md#react-flavour) on NCHW tensors, each
/// forward beside its backward: RSign's shift before a sign, and RPReLU (with the shortcut) after a
/// batch norm. Planes run
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

    /// RPReLU: y = v - gamma_c + zeta_c where v > gamma_c, beta_c (v - gamma_c) + zeta_c elsewhere, a
    /// PReLU whose kink moves to (gamma_c, zeta_c), of v = x, or with `shortcut` of v = x + shortcut (a
    /// block's real-valued shortcut added first, in the same pass; the same bits as adding first). It
    /// computes d = v - gamma_c once and tests d > 0, which is v > gamma_c for floats.
    public func rprelu(gamma: Tensor, beta: Tensor, zeta: Tensor, adding shortcut: Tensor? = nil) -> Tensor {
        let (batch, channels, plane) = channelLayout(gamma)
        precondition(beta.shape == gamma.shape && zeta.shape == gamma.shape, "rprelu: parameters of shapes \(gamma.shape), \(beta.shape), \(zeta.shape)")
        precondition(shortcut.map { $0.shape == shape } ?? true, "rprelu: a shortcut of shape \(shortcut?.shape ?? []) onto \(shape)")
        let added = shortcut?.data ?? []
        let output = [Float](unsafeUninitializedCapacity: count) { y, initialized in
            rpreluForward(gamma: gamma, beta: beta, zeta: zeta, adding: shortcut, into: y.baseAddress!, imageStride: count / batch, accumulate: false)
            initialized = count
        }
        let parents = [self, gamma, beta, zeta] + (shortcut.map { [$0] } ?? [])
        return Tensor.result(shape: shape, data: output, parents: parents) { [self] out in
            // Per plane: dv (the gradient of x and of the shortcut), and the sums of dy * dy/dgamma,
            // dy * (v - gamma) below the kink, and dy.
            let wantInput = requiresGrad || (shortcut?.requiresGrad ?? false)
            var inputGrad = [Float](repeating: 0, count: wantInput ? count : 0)
            let sums = data.withUnsafeBufferPointer { x in added.withUnsafeBufferPointer { s in out.grad.withUnsafeBufferPointer { dy in
                inputGrad.withUnsafeMutableBufferPointer { dx in
                    Self.planeSums(batch * channels, plane, width: 3) { p, sums in
                        let c = p % channels
                        let (g, b) = (gamma.data[c], beta.data[c])
                        let (source, upstream, target) = (x.baseAddress! + p * plane, dy.baseAddress! + p * plane, dx.baseAddress.map { $0 + p * plane })
                        let other = shortcut == nil ? nil : s.baseAddress.map { $0 + p * plane }
                        // 16 lanes of each sum, then the scalar tail, added in that order.
                        var (shift, slope, offset) = (Lane(), Lane(), Lane())
                        var i = 0
                        while i + Lane.scalarCount <= plane {
                            let v = other.map { Self.load(source + i) + Self.load($0 + i) } ?? Self.load(source + i)
                            let d = v - g, dyLanes = Self.load(upstream + i)
                            let above = d .> 0
                            let passed = (b * dyLanes).replacing(with: dyLanes, where: above)
                            if wantInput, let target { Self.store(passed, target + i) }
                            shift -= passed
                            slope += (dyLanes * d).replacing(with: 0, where: above)
                            offset += dyLanes
                            i += Lane.scalarCount
                        }
                        var tail: (shift: Float, slope: Float, offset: Float) = (0, 0, 0)
                        while i < plane {
                            let d = (other.map { source[i] + $0[i] } ?? source[i]) - g
                            let passed = d > 0 ? upstream[i] : b * upstream[i]
                            if wantInput, let target { target[i] = passed }
                            tail.shift -= passed
                            if !(d > 0) { tail.slope += upstream[i] * d }
                            tail.offset += upstream[i]
                            i += 1
                        }
                        (sums[0], sums[1], sums[2]) = (shift.sum() + tail.shift, slope.sum() + tail.slope, offset.sum() + tail.offset)
                    }
                }
            } } }
            if requiresGrad { accumulateGrad(from: inputGrad) }
            if let shortcut, shortcut.requiresGrad { shortcut.accumulateGrad(from: inputGrad) }
            for (index, parameter) in [gamma, beta, zeta].enumerated() where parameter.requiresGrad {
                let column = stride(from: index, to: sums.count, by: 3).map { sums[$0] }
                parameter.accumulateGrad(from: Self.channelTotals(column, batch: batch, channels: channels))
            }
        }
    }

    /// `rprelu(gamma:beta:zeta:adding:)` of this [N, C, H, W] batch, image n written at
    /// `target + n * imageStride` (a block of channels of a cell's output at inference), or with
    /// `accumulate` added to the values there (`Tensor.sum`'s rounding: the value there plus this one),
    /// with no tensor of its own. No gradient is recorded.
    public func rprelu(gamma: Tensor, beta: Tensor, zeta: Tensor, adding shortcut: Tensor?, into target: UnsafeMutablePointer<Float>,
                       imageStride: Int, accumulate: Bool) {
        _ = channelLayout(gamma)
        precondition(shortcut.map { $0.shape == shape } ?? true, "rprelu: a shortcut of shape \(shortcut?.shape ?? []) onto \(shape)")
        precondition(imageStride >= count / shape[0], "rprelu: images \(imageStride) values apart overlap")
        rpreluForward(gamma: gamma, beta: beta, zeta: zeta, adding: shortcut, into: target, imageStride: imageStride, accumulate: accumulate)
    }

    /// The forward of both `rprelu`s, plane by plane on the workers.
    private func rpreluForward(gamma: Tensor, beta: Tensor, zeta: Tensor, adding shortcut: Tensor?, into y: UnsafeMutablePointer<Float>,
                               imageStride: Int, accumulate: Bool) {
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let added = shortcut?.data ?? []
        data.withUnsafeBufferPointer { x in added.withUnsafeBufferPointer { s in
            Parallelism.forEachChunk(batch * channels, valuesEach: plane) { planes in
                for p in planes {
                    let c = p % channels
                    let (g, b, z) = (gamma.data[c], beta.data[c], zeta.data[c])
                    let (source, target) = (x.baseAddress! + p * plane, y + (p / channels) * imageStride + c * plane)
                    let other = shortcut == nil ? nil : s.baseAddress.map { $0 + p * plane }
                    @inline(__always) func f(_ d: Float) -> Float { (d > 0 ? d : b * d) + z }
                    switch (other, accumulate) {
                    case (let other?, false): for i in 0..<plane { target[i] = f((source[i] + other[i]) - g) }
                    case (let other?, true): for i in 0..<plane { target[i] = target[i] + f((source[i] + other[i]) - g) }
                    case (nil, false): for i in 0..<plane { target[i] = f(source[i] - g) }
                    case (nil, true): for i in 0..<plane { target[i] = target[i] + f(source[i] - g) }
                    }
                }
            }
        } }
    }

    private typealias Lane = SIMD16<Float>

    @inline(__always) private static func load(_ pointer: UnsafePointer<Float>) -> Lane {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lane.self)
    }

    @inline(__always) private static func store(_ value: Lane, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Lane.self)
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
