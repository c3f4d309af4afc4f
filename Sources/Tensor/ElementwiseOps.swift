/// Element-wise ops: each forward and its backward side by side.
extension Tensor {
    /// a + b, same shapes.
    public static func + (a: Tensor, b: Tensor) -> Tensor { sum([a, b]) }

    /// The sum of several tensors of one shape (a DARTS node sums its incoming edges).
    public static func sum(_ terms: [Tensor]) -> Tensor {
        precondition(!terms.isEmpty, "sum of no tensors")
        let shape = terms[0].shape
        for term in terms { precondition(term.shape == shape, "sum: shapes \(shape) and \(term.shape) differ") }
        // Each chunk of elements on a worker: t0 + t1 written, then any further terms added in order
        // (the sums of the plain loop, ((t0 + t1) + t2) ...), with no copy of t0 first.
        let count = terms[0].count
        let out = terms.count == 1 ? terms[0].data : withPointers(to: terms.map(\.data)) { sources in
            makeFloats(count) { o in
                forEachElementChunk(count) { range in
                    let (first, second, target) = (sources[0] + range.lowerBound, sources[1] + range.lowerBound, o + range.lowerBound)
                    for i in 0..<range.count { target[i] = first[i] + second[i] }
                    for source in sources.dropFirst(2) { accumulate(target, source + range.lowerBound, count: range.count) }
                }
            }
        }
        return Tensor.result(shape: shape, data: out, parents: terms) { out in
            for term in terms where term.requiresGrad { term.accumulateGrad(from: out.grad) }
        }
    }

    /// a * b element-wise, same shapes.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "mul: shapes \(a.shape) and \(b.shape) differ")
        let out = a.data.withUnsafeBufferPointer { ap in b.data.withUnsafeBufferPointer { bp in
            makeFloats(ap.count) { o in for i in 0..<ap.count { o[i] = ap[i] * bp[i] } }
        } }
        return Tensor.result(shape: a.shape, data: out, parents: [a, b]) { out in
            for (target, other) in [(a, b), (b, a)] where target.requiresGrad {
                out.grad.withUnsafeBufferPointer { dy in other.data.withUnsafeBufferPointer { o in
                    target.contributeGrad { g, add in
                        if add { for i in 0..<dy.count { g[i] += dy[i] * o[i] } } else { for i in 0..<dy.count { g[i] = dy[i] * o[i] } }
                    }
                } }
            }
        }
    }

    /// x * factor for a constant factor.
    public func scaled(by factor: Float) -> Tensor {
        let out = data.withUnsafeBufferPointer { x in makeFloats(x.count) { o in for i in 0..<x.count { o[i] = x[i] * factor } } }
        return Tensor.result(shape: shape, data: out, parents: [self]) { [self] out in
            accumulateGrad(from: out.grad, factor: factor)
        }
    }

    /// x * weight[index], where `weight` is a tensor (an architecture weight, say) that gets a gradient too.
    public func scaled(by weight: Tensor, at index: Int) -> Tensor {
        let factor = weight.data[index]
        let out = data.withUnsafeBufferPointer { x in makeFloats(x.count) { o in for i in 0..<x.count { o[i] = x[i] * factor } } }
        return Tensor.result(shape: shape, data: out, parents: [self, weight]) { [self] out in
            if requiresGrad { accumulateGrad(from: out.grad, factor: factor) }
            if weight.requiresGrad {
                let dot = out.grad.withUnsafeBufferPointer { dy in data.withUnsafeBufferPointer { x in
                    VectorKernels.dot(dy.baseAddress!, x.baseAddress!, count: dy.count)
                } }
                weight.accumulateGrad { g in g[index] += dot }
            }
        }
    }

    /// Multiplies sample n (the first axis) by factors[n]: drop-path masks.
    public func scaledPerSample(_ factors: [Float]) -> Tensor {
        precondition(factors.count == shape[0], "scaledPerSample: \(factors.count) factors for batch \(shape[0])")
        let perSample = count / shape[0]
        let out = data.withUnsafeBufferPointer { x in
            makeFloats(x.count) { o in
                for n in 0..<factors.count { for i in n * perSample..<(n + 1) * perSample { o[i] = x[i] * factors[n] } }
            }
        }
        return Tensor.result(shape: shape, data: out, parents: [self]) { [self] out in
            accumulateGrad { g in out.grad.withUnsafeBufferPointer { dy in
                for n in 0..<factors.count {
                    accumulate(g + n * perSample, dy.baseAddress! + n * perSample, count: perSample, factor: factors[n])
                }
            } }
        }
    }

    /// max(x, 0).
    public func relu() -> Tensor {
        let out = data.withUnsafeBufferPointer { x in
            makeFloats(x.count) { o in forEachElementChunk(x.count) { range in for i in range { o[i] = max(x[i], 0) } } }
        }
        return Tensor.result(shape: shape, data: out, parents: [self]) { [self] out in
            data.withUnsafeBufferPointer { x in out.grad.withUnsafeBufferPointer { dy in
                contributeGrad { g, add in
                    forEachElementChunk(dy.count) { range in
                        if add { for i in range { g[i] += x[i] > 0 ? dy[i] : 0 } } else { for i in range { g[i] = x[i] > 0 ? dy[i] : 0 } }
                    }
                }
            } }
        }
    }

    /// The same values viewed with another shape of the same size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape: \(shape) cannot become \(newShape)")
        return Tensor.result(shape: newShape, data: data, parents: [self]) { [self] out in accumulateGrad(from: out.grad) }
    }

    /// The sum of all elements (16 running sums, then their total), as a scalar tensor.
    public func sum() -> Tensor {
        let total = data.withUnsafeBufferPointer { x in x.isEmpty ? 0 : VectorKernels.sum(x.baseAddress!, count: x.count) }
        return Tensor.result(shape: [1], data: [total], parents: [self]) { [self] out in
            let upstream = out.grad[0]
            contributeGrad { g, add in
                if add { for i in 0..<count { g[i] += upstream } } else { g.initialize(repeating: upstream, count: count) }
            }
        }
    }

    /// The mean of all elements, as a scalar tensor.
    public func mean() -> Tensor { sum().scaled(by: 1 / Float(count)) }
}
