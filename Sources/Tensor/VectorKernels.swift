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

    /// factor * x[i] as a new array (`Array.map` with a closure appends one element at a time).
    public static func scaled(_ x: [Float], by factor: Float) -> [Float] {
        x.withUnsafeBufferPointer { source in
            makeFloats(source.count) { y in
                let (x, scale) = (source.baseAddress!, Lane(repeating: factor))
                var i = 0
                while i + Lane.scalarCount <= source.count {
                    store(scale * load(x + i), y + i)
                    i += Lane.scalarCount
                }
                while i < source.count { y[i] = factor * x[i]; i += 1 }
            }
        }
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

    /// sum of x[i] * y[i], left in lanes: the products of whole 16-element blocks summed per lane
    /// (four blocks at a time on independent accumulators, so the multiply-adds do not wait on each
    /// other), and the products past the last whole block summed in `tail`. Callers that add many
    /// dot products (a weight gradient over a batch) keep the lanes and reduce once at the end.
    @inline(__always)
    static func dotLanes(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> (lanes: Lane, tail: Float) {
        let width = Lane.scalarCount
        var (a0, a1, a2, a3) = (Lane(), Lane(), Lane(), Lane())
        var i = 0
        while i + 4 * width <= count {
            a0 += load(x + i) * load(y + i)
            a1 += load(x + i + width) * load(y + i + width)
            a2 += load(x + i + 2 * width) * load(y + i + 2 * width)
            a3 += load(x + i + 3 * width) * load(y + i + 3 * width)
            i += 4 * width
        }
        while i + width <= count {
            a0 += load(x + i) * load(y + i)
            i += width
        }
        var tail: Float = 0
        while i < count { tail += x[i] * y[i]; i += 1 }
        return ((a0 + a1) + (a2 + a3), tail)
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
