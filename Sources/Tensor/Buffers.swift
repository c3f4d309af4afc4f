/// Small helpers for the kernels: arrays filled through a pointer, and element-wise accumulation.
@inline(__always)
func makeFloats(_ count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    guard count > 0 else { return [] }
    return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        fill(buffer.baseAddress!)
        initialized = count
    }
}

/// target[i] += source[i] * factor for i in 0..<count.
@inline(__always)
func accumulate(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int, factor: Float = 1) {
    if factor == 1 {
        for i in 0..<count { target[i] += source[i] }
    } else {
        for i in 0..<count { target[i] += source[i] * factor }
    }
}

extension Tensor {
    /// Adds `source` (same element count) into this tensor's gradient.
    func accumulateGrad(from source: [Float], factor: Float = 1) {
        accumulateGrad { g in source.withUnsafeBufferPointer { s in accumulate(g, s.baseAddress!, count: s.count, factor: factor) } }
    }
}
