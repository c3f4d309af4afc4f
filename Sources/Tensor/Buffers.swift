/// Which loops a kernel with a specialised path runs: the fastest that fits the geometry, or the
/// generic ones that the specialised ones must match (tests compare the two).
enum LoopPath: Sendable { case fastest, generic }

/// Small helpers for the kernels: arrays filled through a pointer, and element-wise accumulation.
/// `fill` must initialise all `count` elements.
@inline(__always)
func makeArray<Element>(_ count: Int, _ fill: (UnsafeMutablePointer<Element>) -> Void) -> [Element] {
    guard count > 0 else { return [] }
    return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        if let base = buffer.baseAddress { fill(base) }
        initialized = count
    }
}

@inline(__always)
func makeFloats(_ count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] { makeArray(count, fill) }

/// target[i] += source[i] * factor for i in 0..<count.
@inline(__always)
func accumulate(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int, factor: Float = 1) {
    if factor == 1 {
        for i in 0..<count { target[i] += source[i] }
    } else {
        for i in 0..<count { target[i] += source[i] * factor }
    }
}

/// Splits an element-wise loop over the workers when it is long enough to pay for the hand-off.
@inline(__always)
func forEachElementChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallelism.forEachChunk(count, minimumChunk: 1 << 15, body)
}

/// `accumulate` over all workers.
func accumulateInParallel(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int, factor: Float = 1) {
    forEachElementChunk(count) { range in
        accumulate(target + range.lowerBound, source + range.lowerBound, count: range.count, factor: factor)
    }
}

extension Tensor {
    /// Adds `source` (same element count) into this tensor's gradient. A first contribution with
    /// factor 1 is shared rather than copied (arrays are copy-on-write).
    public func accumulateGrad(from source: [Float], factor: Float = 1) {
        if grad.isEmpty && factor == 1 {
            grad = source
            return
        }
        source.withUnsafeBufferPointer { s in
            contributeGrad { g, add in
                if add {
                    accumulateInParallel(g, s.baseAddress!, count: s.count, factor: factor)
                } else {
                    forEachElementChunk(s.count) { range in for i in range { g[i] = s[i] * factor } }
                }
            }
        }
    }
}

extension Tensor {
    /// Adds a contribution that `body` writes through a pointer into `grad`. With `add` true, `body`
    /// adds into the existing gradient; with `add` false (the first contribution) it must store every
    /// element, into uninitialised memory: no zero fill and no second pass.
    func contributeGrad(_ body: (_ grad: UnsafeMutablePointer<Float>, _ add: Bool) -> Void) {
        if grad.isEmpty {
            grad = makeFloats(count) { body($0, false) }
        } else {
            accumulateGrad { body($0, true) }
        }
    }
}

/// target[i] (+)= source[i]: `contributeGrad`'s two modes for a copied block.
@inline(__always)
func copyOrAdd(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int, add: Bool) {
    if add { accumulate(target, source, count: count) } else { target.update(from: source, count: count) }
}
