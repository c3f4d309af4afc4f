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

    /// dy where |x| <= 1, else 0, lane by lane.
    @inlinable @inline(__always)
    public static func straightThrough(_ x: SIMD16<Float>, _ dy: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16<Float>(repeating: 0).replacing(with: dy, where: (x .>= -1) .& (x .<= 1))
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
}
