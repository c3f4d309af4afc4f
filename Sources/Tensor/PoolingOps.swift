/// Max, average and global-average pooling over NCHW tensors.
extension Tensor {
    /// Max pooling with a square window; padded positions never win.
    public func maxPool2d(kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        let g = PoolGeometry(shape, kernel: kernel, stride: stride, padding: padding)
        var winners: [Int32] = []
        // The winners route the gradient; with none to route (inference) only the maxima are computed.
        let routesGradient = GradMode.isEnabled && requiresGrad
        let output = data.withUnsafeBufferPointer { x in
            makeFloats(g.outputCount) { y in
                guard routesGradient else {
                    g.forEachPlaneChunk { planes in PoolingKernels.maxForward(g, x.baseAddress!, y, nil, planes: planes) }
                    return
                }
                winners = makeArray(g.outputCount) { indices in
                    g.forEachPlaneChunk { planes in PoolingKernels.maxForward(g, x.baseAddress!, y, indices, planes: planes) }
                }
            }
        }
        let input = self
        return Tensor.result(shape: g.outputShape, data: output, parents: [self]) { [winners] out in
            input.accumulateGrad { dx in out.grad.withUnsafeBufferPointer { dy in winners.withUnsafeBufferPointer { indices in
                g.forEachPlaneChunk { planes in PoolingKernels.maxBackward(g, dy.baseAddress!, indices.baseAddress!, dx, planes: planes) }
            } } }
        }
    }

    /// Average pooling with a square window; the divisor counts only positions inside the input
    /// (PyTorch's count_include_pad=False, as DARTS uses).
    public func avgPool2d(kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        let g = PoolGeometry(shape, kernel: kernel, stride: stride, padding: padding)
        let output = data.withUnsafeBufferPointer { x in
            makeFloats(g.outputCount) { y in
                g.forEachPlaneChunk { planes in PoolingKernels.averageForward(g, x.baseAddress!, y, planes: planes) }
            }
        }
        let input = self
        return Tensor.result(shape: g.outputShape, data: output, parents: [self]) { out in
            input.accumulateGrad { dx in out.grad.withUnsafeBufferPointer { dy in
                g.forEachPlaneChunk { planes in PoolingKernels.averageBackward(g, dy.baseAddress!, dx, planes: planes) }
            } }
        }
    }

    /// [N, C, H, W] -> [N, C]: the mean of each plane.
    public func globalAvgPool() -> Tensor {
        precondition(rank == 4, "globalAvgPool expects NCHW, got \(shape)")
        let planes = shape[0] * shape[1]
        let size = shape[2] * shape[3]
        var output = [Float](repeating: 0, count: planes)
        data.withUnsafeBufferPointer { x in
            for plane in 0..<planes {
                var total: Float = 0
                for i in plane * size..<(plane + 1) * size { total += x[i] }
                output[plane] = total / Float(size)
            }
        }
        let input = self
        return Tensor.result(shape: [shape[0], shape[1]], data: output, parents: [self]) { out in
            input.accumulateGrad { dx in
                for plane in 0..<planes {
                    let share = out.grad[plane] / Float(size)
                    for i in plane * size..<(plane + 1) * size { dx[i] += share }
                }
            }
        }
    }
}

/// Window arithmetic shared by the pooling ops.
struct PoolGeometry {
    let batch, channels, height, width, kernel, stride, padding, outHeight, outWidth: Int

    init(_ shape: [Int], kernel: Int, stride: Int, padding: Int) {
        precondition(shape.count == 4, "pooling expects NCHW, got \(shape)")
        precondition(padding * 2 < kernel + 1, "pooling: padding \(padding) too large for window \(kernel)")
        batch = shape[0]; channels = shape[1]; height = shape[2]; width = shape[3]
        self.kernel = kernel; self.stride = stride; self.padding = padding
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
        precondition(height + 2 * padding >= kernel && width + 2 * padding >= kernel, "pooling: input \(height)x\(width) smaller than window \(kernel)")
    }

    var planes: Int { batch * channels }
    var outputCount: Int { planes * outHeight * outWidth }
    var outputShape: [Int] { [batch, channels, outHeight, outWidth] }

    /// Splits the planes over the workers (`Parallelism.forEachChunk(_:valuesEach:_:)`).
    func forEachPlaneChunk(_ body: (Range<Int>) -> Void) {
        Parallelism.forEachChunk(planes, valuesEach: height * width, body)
    }

    @inline(__always) func rows(_ oy: Int) -> Range<Int> { window(oy, size: height) }
    @inline(__always) func columns(_ ox: Int) -> Range<Int> { window(ox, size: width) }

    @inline(__always) private func window(_ o: Int, size: Int) -> Range<Int> {
        let start = o * stride - padding
        return max(0, start)..<min(size, start + kernel)
    }
}
