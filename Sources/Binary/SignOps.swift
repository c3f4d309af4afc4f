import Tensor

extension Tensor {
    /// sign(x) with sign(0) = +1 (`BitPacking.sign`, the bit kernels' convention), and the
    /// straight-through estimator for its gradient: d sign(x)/dx = 1 where |x| <= 1, else 0
    /// (REFERENCE.md §5; the derivative of hard tanh).
    public func signSTE() -> Tensor {
        let signs = data.map(BitPacking.sign)
        return Tensor.result(shape: shape, data: signs, parents: [self]) { [self] out in
            accumulateGrad { dx in
                data.withUnsafeBufferPointer { x in out.grad.withUnsafeBufferPointer { dy in
                    for i in 0..<dy.count where abs(x[i]) <= 1 { dx[i] += dy[i] }
                } }
            }
        }
    }
}
