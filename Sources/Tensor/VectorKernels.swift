/// Explicitly vectorised inner loops (16 floats a step). The compiler keeps float reductions in
/// order, so a plain `for` loop computing a dot product stays scalar; these use SIMD accumulators
/// and finish the tail element by element. The order of the additions is fixed, so results do
/// not depend on the thread count.
public enum VectorKernels {
    public typealias Lane = SIMD16<Float>

    /// A vector of any width (the pooling kernels use 4, 8 and 16 lanes) from unaligned memory.
    @inline(__always) static func load<Vector: SIMD>(_ pointer: UnsafePointer<Vector.Scalar>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store<Vector: SIMD>(_ value: Vector, _ pointer: UnsafeMutablePointer<Vector.Scalar>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
    }

    /// y[i] += a * x[i].
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let scale = Lane(repeating: a)
        var i = 0
        while i + Lane.scalarCount <= count {
            store(load(y + i) + scale * load(x + i), y + i)
            i += Lane.scalarCount
        }
        while i < count { y[i] += a * x[i]; i += 1 }
    }

    /// sum of x[i] * y[i].
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var accumulator = Lane()
        var i = 0
        while i + Lane.scalarCount <= count {
            accumulator += load(x + i) * load(y + i)
            i += Lane.scalarCount
        }
        var total = accumulator.sum()
        while i < count { total += x[i] * y[i]; i += 1 }
        return total
    }

    /// sum of x[i].
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var accumulator = Lane()
        var i = 0
        while i + Lane.scalarCount <= count {
            accumulator += load(x + i)
            i += Lane.scalarCount
        }
        var total = accumulator.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// sum of (x[i] - center)^2.
    @inline(__always)
    public static func squaredDeviation(_ x: UnsafePointer<Float>, center: Float, count: Int) -> Float {
        let shift = Lane(repeating: center)
        var accumulator = Lane()
        var i = 0
        while i + Lane.scalarCount <= count {
            let d = load(x + i) - shift
            accumulator += d * d
            i += Lane.scalarCount
        }
        var total = accumulator.sum()
        while i < count { let d = x[i] - center; total += d * d; i += 1 }
        return total
    }

    /// sum of y[i] * (x[i] - center).
    @inline(__always)
    public static func centeredDot(_ y: UnsafePointer<Float>, _ x: UnsafePointer<Float>, center: Float, count: Int) -> Float {
        let shift = Lane(repeating: center)
        var accumulator = Lane()
        var i = 0
        while i + Lane.scalarCount <= count {
            accumulator += load(y + i) * (load(x + i) - shift)
            i += Lane.scalarCount
        }
        var total = accumulator.sum()
        while i < count { total += y[i] * (x[i] - center); i += 1 }
        return total
    }
}
