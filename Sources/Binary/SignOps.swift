import Tensor

extension Tensor {
    /// sign(x) with sign(0) = +1, and the straight-through estimator for its gradient:
    /// d sign(x)/dx = 1 where |x| <= 1, else 0 (REFERENCE.md §5; the derivative of hard tanh).
    /// Both loops are branch-free selects over raw pointers, which the compiler vectorises.
    public func signSTE() -> Tensor {
        let signs = data.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: x.count) { y, initialized in
                for i in 0..<x.count { y[i] = x[i] >= 0 ? 1 : -1 }
                initialized = x.count
            }
        }
        return Tensor.result(shape: shape, data: signs, parents: [self]) { [self] out in
            let passed = data.withUnsafeBufferPointer { x in out.grad.withUnsafeBufferPointer { dy in
                [Float](unsafeUninitializedCapacity: dy.count) { dx, initialized in
                    for i in 0..<dy.count { dx[i] = abs(x[i]) <= 1 ? dy[i] : 0 }
                    initialized = dy.count
                }
            } }
            accumulateGrad(from: passed)
        }
    }
}
