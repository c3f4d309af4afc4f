import Tensor

extension Tensor {
    /// sign(x) with sign(0) = +1, and the straight-through estimator for its gradient:
    /// d sign(x)/dx = 1 where |x| <= 1, else 0 (docs/algorithms.md#binarisation; the derivative of hard tanh).
    public func signSTE() -> Tensor { signSTE(paddedBy: 0) }

    /// sign(x) (as `signSTE()`) with every NCHW plane padded by `padding` rows and columns of +1, the
    /// input of a binarized convolution (docs/algorithms.md#bit-kernels: zero has no 1-bit code), in one op: the
    /// same values as `signSTE().padded(by: padding, value: 1)` with one pass each way instead of two.
    /// `gradient` picks the derivative the backward pass uses in place of sign's (`SignGradient`).
    public func signSTE(paddedBy padding: Int, gradient: SignGradient = .ste) -> Tensor {
        precondition(padding == 0 || rank == 4, "signSTE(paddedBy:) pads NCHW planes, got shape \(shape)")
        // Without padding the whole tensor is one row.
        let (planes, height, width) = padding == 0 ? (1, 1, count) : (shape[0] * shape[1], shape[2], shape[3])
        let (paddedHeight, paddedWidth) = (height + 2 * padding, width + 2 * padding)
        let outShape = padding == 0 ? shape : [shape[0], shape[1], paddedHeight, paddedWidth]
        let signs = data.withUnsafeBufferPointer { x in
            [Float](unsafeUninitializedCapacity: planes * paddedHeight * paddedWidth) { y, initialized in
                guard let base = y.baseAddress, let x = x.baseAddress else { initialized = 0; return }
                for p in 0..<planes {
                    let target = base + p * paddedHeight * paddedWidth
                    // The top border, each row with its side borders (the right one runs into the
                    // next row's left one), then the bottom border.
                    target.initialize(repeating: 1, count: padding * paddedWidth + padding)
                    for row in 0..<height {
                        let start = target + (row + padding) * paddedWidth + padding
                        SignKernels.signs(x + (p * height + row) * width, into: start, count: width)
                        (start + width).initialize(repeating: 1, count: 2 * padding)
                    }
                    (target + (height + padding) * paddedWidth + padding).initialize(repeating: 1, count: padding * paddedWidth - padding)
                }
                initialized = y.count
            }
        }
        return Tensor.result(shape: outShape, data: signs, parents: [self]) { [self] out in
            let passed = data.withUnsafeBufferPointer { x in out.grad.withUnsafeBufferPointer { dy in
                [Float](unsafeUninitializedCapacity: x.count) { dx, initialized in
                    guard let dx = dx.baseAddress, let x = x.baseAddress, let dy = dy.baseAddress else { initialized = 0; return }
                    for p in 0..<planes {
                        for row in 0..<height {
                            let offset = (p * height + row) * width
                            SignKernels.passed(gradient, x + offset, dy + (p * paddedHeight + row + padding) * paddedWidth + padding,
                                               into: dx + offset, count: width)
                        }
                    }
                    initialized = count
                }
            } }
            accumulateGrad(from: passed)
        }
    }
}
