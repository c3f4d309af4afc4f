/// The element loops of sign activations (REFERENCE.md §5: sign(x) with sign(0) = +1, and the
/// straight-through estimator, which passes the gradient where |x| <= 1), for `signSTE` and the
/// convolutions that read sign(x) themselves. 16 lanes at a time; a row's last vector ends flush
/// with the row (overlapping the one before, which it rewrites with the same values). Rows
/// narrower than 16 (the small planes of the last cells) run 8 lanes, or the scalar loop below 8.
public enum SignKernels {
    /// y[i] = x[i] >= 0 ? 1 : -1.
    @inlinable @inline(__always)
    public static func signs(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 16 {
            var i = 0
            while i < count {
                let at = min(i, count - 16)
                let v = UnsafeRawPointer(x + at).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(y + at).storeBytes(of: SIMD16<Float>(repeating: -1).replacing(with: 1, where: v .>= 0), as: SIMD16<Float>.self)
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
                let passed = SIMD16<Float>(repeating: 0).replacing(with: upstream, where: (v .>= -1) .& (v .<= 1))
                UnsafeMutableRawPointer(dx + at).storeBytes(of: passed, as: SIMD16<Float>.self)
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

    /// dx[i] += |x[i]| <= 1 ? dy[i] : 0 (adds, so no block may overlap another).
    /// The three vector steps are spelled out per concrete type on purpose: one generic block over
    /// `V: SIMD` compiled its lane comparisons to a scalar loop per lane, which made the depthwise
    /// backward (which calls this for every input row) 3-4x slower (seen in `perf`, reverted).
    @inlinable @inline(__always)
    public static func addStraightThrough(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let upstream = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD16<Float>.self)
            let sum = UnsafeRawPointer(dx + i).loadUnaligned(as: SIMD16<Float>.self)
                + SIMD16<Float>(repeating: 0).replacing(with: upstream, where: (v .>= -1) .& (v .<= 1))
            UnsafeMutableRawPointer(dx + i).storeBytes(of: sum, as: SIMD16<Float>.self)
            i += 16
        }
        // The rows of the small planes (28, 14 and 7 wide) end in 8 and 4 lanes before any scalar.
        if i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let upstream = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
            let sum = UnsafeRawPointer(dx + i).loadUnaligned(as: SIMD8<Float>.self)
                + SIMD8<Float>(repeating: 0).replacing(with: upstream, where: (v .>= -1) .& (v .<= 1))
            UnsafeMutableRawPointer(dx + i).storeBytes(of: sum, as: SIMD8<Float>.self)
            i += 8
        }
        if i + 4 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD4<Float>.self)
            let upstream = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD4<Float>.self)
            let sum = UnsafeRawPointer(dx + i).loadUnaligned(as: SIMD4<Float>.self)
                + SIMD4<Float>(repeating: 0).replacing(with: upstream, where: (v .>= -1) .& (v .<= 1))
            UnsafeMutableRawPointer(dx + i).storeBytes(of: sum, as: SIMD4<Float>.self)
            i += 4
        }
        while i < count { dx[i] += abs(x[i]) <= 1 ? dy[i] : 0; i += 1 }
    }
}
