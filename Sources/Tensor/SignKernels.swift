/// The derivative that stands in for sign's in the backward pass (`--sign-gradient`,
/// docs/algorithms.md#react-flavour). Each is the derivative of a surrogate function F that meets
/// sign at |x| >= 1, which is what the gradient checks compare against.
public enum SignGradient: String, Codable, CaseIterable, Sendable {
    /// The straight-through estimator: 1 where |x| <= 1, else 0 (F = hard tanh, clamp(x, -1, 1)).
    case ste
    /// ApproxSign (Bi-Real Net): 2 + 2x on [-1, 0), 2 - 2x on [0, 1), 0 elsewhere, computed as
    /// max(0, 2 - 2|x|) (F = 2x + x^2 on [-1, 0), 2x - x^2 on [0, 1), sign(x) elsewhere).
    case approx

    /// The derivative at x, as the kernels compute it.
    @inlinable
    public func derivative(_ x: Float) -> Float {
        switch self {
        case .ste: return abs(x) <= 1 ? 1 : 0
        case .approx: return SignKernels.approxSlope(x)
        }
    }

    /// The surrogate F whose derivative this is (for gradient checks).
    public func surrogate(_ x: Float) -> Float {
        switch self {
        case .ste: return min(1, max(-1, x))
        case .approx: return abs(x) >= 1 ? (x < 0 ? -1 : 1) : (x < 0 ? 2 * x + x * x : 2 * x - x * x)
        }
    }
}

/// The element loops of sign activations (docs/algorithms.md#binarisation: sign(x) with sign(0) = +1, and the
/// straight-through estimator, which passes the gradient where |x| <= 1), for `signSTE` and the
/// convolutions that read sign(x) themselves. 16 lanes at a time; a row's last vector ends flush
/// with the row (overlapping the one before, which it rewrites with the same values). Rows
/// narrower than 16 (the small planes of the last cells) run 8 lanes, or the scalar loop below 8.
/// The vector steps are written per concrete type on purpose: one generic block over `V: SIMD`
/// compiled its lane comparisons to a scalar loop per lane (docs/performance.md#simd-idioms).
public enum SignKernels {
    /// sign of each lane, +1 at 0.
    @inlinable @inline(__always)
    public static func sign(_ v: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16<Float>(repeating: -1).replacing(with: 1, where: v .>= 0)
    }

    /// sign(v - threshold) of each lane (RSign), as the compare v >= threshold: the same for finite
    /// values, with no subtraction.
    @inlinable @inline(__always)
    public static func sign(_ v: SIMD16<Float>, threshold: Float) -> SIMD16<Float> {
        SIMD16<Float>(repeating: -1).replacing(with: 1, where: v .>= threshold)
    }

    /// dy where |x| <= 1, else 0, lane by lane.
    @inlinable @inline(__always)
    public static func straightThrough(_ x: SIMD16<Float>, _ dy: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16<Float>(repeating: 0).replacing(with: dy, where: (x .>= -1) .& (x .<= 1))
    }

    /// dy * max(0, 2 - 2|x|) lane by lane: ApproxSign's derivative (`SignGradient.approx`), in the
    /// steps of `approxSlope`, with selects as `straightThrough` has them.
    @inlinable @inline(__always)
    public static func approxSign(_ x: SIMD16<Float>, _ dy: SIMD16<Float>) -> SIMD16<Float> {
        let slope = 2 - 2 * x.replacing(with: -x, where: x .< 0)
        return dy * slope.replacing(with: 0, where: slope .< 0)
    }

    /// max(0, 2 - 2|x|), ApproxSign's derivative at one value, in the lanes' steps.
    @inlinable @inline(__always)
    public static func approxSlope(_ x: Float) -> Float {
        let slope = 2 - 2 * (x < 0 ? -x : x)
        return slope < 0 ? 0 : slope
    }

    /// dy times sign's derivative at x under `gradient`, lane by lane.
    @inlinable @inline(__always)
    public static func passed(_ gradient: SignGradient, _ x: SIMD16<Float>, _ dy: SIMD16<Float>) -> SIMD16<Float> {
        gradient == .ste ? straightThrough(x, dy) : approxSign(x, dy)
    }

    /// y[i] = x[i] >= 0 ? 1 : -1.
    @inlinable @inline(__always)
    public static func signs(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 16 {
            var i = 0
            while i < count {
                let at = min(i, count - 16)
                let v = UnsafeRawPointer(x + at).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(y + at).storeBytes(of: sign(v), as: SIMD16<Float>.self)
                i += 16
            }
        } else if count >= 8 {
            for at in [0, count - 8] {
                let v = UnsafeRawPointer(x + at).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(y + at).storeBytes(of: SIMD8<Float>(repeating: -1).replacing(with: 1, where: v .>= 0), as: SIMD8<Float>.self)
            }
        } else {
            for i in 0..<count { y[i] = x[i] >= 0 ? 1 : -1 }
        }
    }

    /// dx[i] = |x[i]| <= 1 ? dy[i] : 0.
    @inlinable @inline(__always)
    public static func straightThrough(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 16 {
            var i = 0
            while i < count {
                let at = min(i, count - 16)
                let v = UnsafeRawPointer(x + at).loadUnaligned(as: SIMD16<Float>.self)
                let upstream = UnsafeRawPointer(dy + at).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(dx + at).storeBytes(of: straightThrough(v, upstream), as: SIMD16<Float>.self)
                i += 16
            }
        } else if count >= 8 {
            for at in [0, count - 8] {
                let v = UnsafeRawPointer(x + at).loadUnaligned(as: SIMD8<Float>.self)
                let upstream = UnsafeRawPointer(dy + at).loadUnaligned(as: SIMD8<Float>.self)
                let passed = SIMD8<Float>(repeating: 0).replacing(with: upstream, where: (v .>= -1) .& (v .<= 1))
                UnsafeMutableRawPointer(dx + at).storeBytes(of: passed, as: SIMD8<Float>.self)
            }
        } else {
            for i in 0..<count { dx[i] = abs(x[i]) <= 1 ? dy[i] : 0 }
        }
    }

    /// dx[i] = dy[i] times sign's derivative at x[i] under `gradient` (`dx` may be `dy`).
    @inlinable @inline(__always)
    public static func passed(_ gradient: SignGradient, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                              into dx: UnsafeMutablePointer<Float>, count: Int) {
        guard gradient == .approx else { return straightThrough(x, dy, into: dx, count: count) }
        // Whole vectors, then a scalar tail: an overlapping last vector would scale an element of an
        // in-place dx twice. The scalar steps are the vector ones, so every element gets the same bits.
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let upstream = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dx + i).storeBytes(of: approxSign(v, upstream), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            dx[i] = dy[i] * approxSlope(x[i])
            i += 1
        }
    }
}
