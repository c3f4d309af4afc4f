/// Channel-axis ops on NCHW tensors: concat, slice, shuffle, and a spatial crop.
extension Tensor {
    /// Concatenates tensors [N, Ci, H, W] along channels.
    public static func concatChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concat of no tensors")
        let (batch, height, width) = (parts[0].shape[0], parts[0].shape[2], parts[0].shape[3])
        for part in parts { precondition(part.rank == 4 && part.shape[0] == batch && part.shape[2] == height && part.shape[3] == width, "concat: shape \(part.shape) does not match \(parts[0].shape)") }
        let plane = height * width
        let channels = parts.map { $0.shape[1] }
        let total = channels.reduce(0, +)
        var output = [Float](repeating: 0, count: batch * total * plane)
        output.withUnsafeMutableBufferPointer { y in
            var offset = 0
            for (part, c) in zip(parts, channels) {
                part.data.withUnsafeBufferPointer { x in
                    for n in 0..<batch {
                        (y.baseAddress! + (n * total + offset) * plane).update(from: x.baseAddress! + n * c * plane, count: c * plane)
                    }
                }
                offset += c
            }
        }
        return Tensor.result(shape: [batch, total, height, width], data: output, parents: parts) { out in
            var offset = 0
            for (part, c) in zip(parts, channels) {
                if part.requiresGrad {
                    part.accumulateGrad { dx in
                        out.grad.withUnsafeBufferPointer { dy in
                            for n in 0..<batch {
                                let source = dy.baseAddress! + (n * total + offset) * plane
                                let target = dx + n * c * plane
                                for i in 0..<c * plane { target[i] += source[i] }
                            }
                        }
                    }
                }
                offset += c
            }
        }
    }

    /// Channels `range` of [N, C, H, W].
    public func sliceChannels(_ range: Range<Int>) -> Tensor {
        precondition(rank == 4 && range.lowerBound >= 0 && range.upperBound <= shape[1] && !range.isEmpty, "sliceChannels \(range) of \(shape)")
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let kept = range.count
        var output = [Float](repeating: 0, count: batch * kept * plane)
        data.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for n in 0..<batch {
                    (y.baseAddress! + n * kept * plane).update(from: x.baseAddress! + (n * channels + range.lowerBound) * plane, count: kept * plane)
                }
            }
        }
        return Tensor.result(shape: [batch, kept, shape[2], shape[3]], data: output, parents: [self]) { [self] out in
            accumulateGrad { dx in
                for n in 0..<batch {
                    let target = dx + (n * channels + range.lowerBound) * plane
                    for i in 0..<kept * plane { target[i] += out.grad[n * kept * plane + i] }
                }
            }
        }
    }

    /// channel_shuffle(x, groups): view (N, g, C/g, H, W), swap axes 1 and 2, view back (REFERENCE.md §2).
    /// Output channel j = q * groups + p takes input channel p * (C / groups) + q.
    public func channelShuffle(groups: Int) -> Tensor {
        precondition(rank == 4 && shape[1] % groups == 0, "channelShuffle: \(groups) groups do not divide \(shape[1]) channels")
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let perGroup = channels / groups
        let source = (0..<channels).map { j in (j % groups) * perGroup + j / groups }
        var output = [Float](repeating: 0, count: count)
        data.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for n in 0..<batch {
                    for j in 0..<channels {
                        (y.baseAddress! + (n * channels + j) * plane).update(from: x.baseAddress! + (n * channels + source[j]) * plane, count: plane)
                    }
                }
            }
        }
        return Tensor.result(shape: shape, data: output, parents: [self]) { [self] out in
            accumulateGrad { dx in
                for n in 0..<batch {
                    for j in 0..<channels {
                        let target = dx + (n * channels + source[j]) * plane
                        let base = (n * channels + j) * plane
                        for i in 0..<plane { target[i] += out.grad[base + i] }
                    }
                }
            }
        }
    }

    /// Rows and columns from (top, left) on: x[:, :, top:, left:] (FactorizedReduce's shifted path).
    public func cropSpatial(top: Int, left: Int) -> Tensor {
        precondition(rank == 4 && top < shape[2] && left < shape[3], "cropSpatial (\(top), \(left)) of \(shape)")
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let (newHeight, newWidth) = (height - top, width - left)
        var output = [Float](repeating: 0, count: planes * newHeight * newWidth)
        for p in 0..<planes {
            for y in 0..<newHeight {
                for x in 0..<newWidth { output[(p * newHeight + y) * newWidth + x] = data[(p * height + y + top) * width + x + left] }
            }
        }
        return Tensor.result(shape: [shape[0], shape[1], newHeight, newWidth], data: output, parents: [self]) { [self] out in
            accumulateGrad { dx in
                for p in 0..<planes {
                    for y in 0..<newHeight {
                        for x in 0..<newWidth { dx[(p * height + y + top) * width + x + left] += out.grad[(p * newHeight + y) * newWidth + x] }
                    }
                }
            }
        }
    }

    /// Pads every plane with `amount` rows and columns of `value` on each side. Binarized
    /// convolutions pad with +1 (REFERENCE.md §5: zero has no 1-bit code), so they pad explicitly
    /// and convolve without padding.
    public func padded(by amount: Int, value: Float) -> Tensor {
        precondition(rank == 4 && amount >= 0, "padded(by: \(amount)) of \(shape)")
        if amount == 0 { return self }
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let (newHeight, newWidth) = (height + 2 * amount, width + 2 * amount)
        var output = [Float](repeating: value, count: planes * newHeight * newWidth)
        data.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for p in 0..<planes {
                    for row in 0..<height {
                        (y.baseAddress! + (p * newHeight + row + amount) * newWidth + amount)
                            .update(from: x.baseAddress! + (p * height + row) * width, count: width)
                    }
                }
            }
        }
        return Tensor.result(shape: [shape[0], shape[1], newHeight, newWidth], data: output, parents: [self]) { [self] out in
            accumulateGrad { dx in out.grad.withUnsafeBufferPointer { dy in
                for p in 0..<planes {
                    for row in 0..<height {
                        accumulate(dx + (p * height + row) * width, dy.baseAddress! + (p * newHeight + row + amount) * newWidth + amount, count: width)
                    }
                }
            } }
        }
    }
}
