/// Matrix product and the fully connected layer, through OpenBLAS sgemm.
extension Tensor {
    /// [M, K] x [K, N] -> [M, N].
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank == 2 && other.rank == 2 && shape[1] == other.shape[0], "matmul: \(shape) x \(other.shape)")
        let (m, k, n) = (shape[0], shape[1], other.shape[1])
        var output = [Float](repeating: 0, count: m * n)
        data.withUnsafeBufferPointer { a in other.data.withUnsafeBufferPointer { b in output.withUnsafeMutableBufferPointer { c in
            GEMM.multiply(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n, c: c.baseAddress!, ldc: n)
        } } }
        return Tensor.result(shape: [m, n], data: output, parents: [self, other]) { [self] out in
            out.grad.withUnsafeBufferPointer { dc in
                if requiresGrad {  // dA = dC B^T
                    accumulateGrad { da in other.data.withUnsafeBufferPointer { b in
                        GEMM.multiply(transposeB: true, m: m, n: k, k: n, a: dc.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, beta: 1, c: da, ldc: k)
                    } }
                }
                if other.requiresGrad {  // dB = A^T dC
                    other.accumulateGrad { db in data.withUnsafeBufferPointer { a in
                        GEMM.multiply(transposeA: true, m: k, n: n, k: m, a: a.baseAddress!, lda: k, b: dc.baseAddress!, ldb: n, beta: 1, c: db, ldc: n)
                    } }
                }
            }
        }
    }

    /// x [N, in] -> x W^T + b with W [out, in] and b [out].
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(rank == 2 && weight.rank == 2 && weight.shape[1] == shape[1], "linear: input \(shape), weight \(weight.shape)")
        let (rows, inputs, outputs) = (shape[0], shape[1], weight.shape[0])
        var output = [Float](repeating: 0, count: rows * outputs)
        if let bias { for r in 0..<rows { for o in 0..<outputs { output[r * outputs + o] = bias.data[o] } } }
        data.withUnsafeBufferPointer { x in weight.data.withUnsafeBufferPointer { w in output.withUnsafeMutableBufferPointer { y in
            GEMM.multiply(transposeB: true, m: rows, n: outputs, k: inputs, a: x.baseAddress!, lda: inputs, b: w.baseAddress!, ldb: inputs, beta: 1, c: y.baseAddress!, ldc: outputs)
        } } }
        let parents = [self, weight] + (bias.map { [$0] } ?? [])
        return Tensor.result(shape: [rows, outputs], data: output, parents: parents) { [self] out in
            out.grad.withUnsafeBufferPointer { dy in
                if requiresGrad {  // dX = dY W
                    accumulateGrad { dx in weight.data.withUnsafeBufferPointer { w in
                        GEMM.multiply(m: rows, n: inputs, k: outputs, a: dy.baseAddress!, lda: outputs, b: w.baseAddress!, ldb: inputs, beta: 1, c: dx, ldc: inputs)
                    } }
                }
                if weight.requiresGrad {  // dW = dY^T X
                    weight.accumulateGrad { dw in data.withUnsafeBufferPointer { x in
                        GEMM.multiply(transposeA: true, m: outputs, n: inputs, k: rows, a: dy.baseAddress!, lda: outputs, b: x.baseAddress!, ldb: inputs, beta: 1, c: dw, ldc: inputs)
                    } }
                }
                if let bias, bias.requiresGrad {
                    bias.accumulateGrad { db in for r in 0..<rows { for o in 0..<outputs { db[o] += dy[r * outputs + o] } } }
                }
            }
        }
    }
}
