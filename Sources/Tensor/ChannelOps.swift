/// Channel-axis ops on NCHW tensors: concat, slice, shuffle, and a spatial crop. Each moves whole
/// planes or rows with block copies into uninitialised outputs; the backward passes copy (first
/// gradient) or add (later ones) the same blocks back. Concat, slice and crop split the images
/// (planes) over the workers: a cell's output is megabytes.
extension Tensor {
    /// Concatenates tensors [N, Ci, H, W] along channels.
    public static func concatChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concat of no tensors")
        let (batch, height, width) = (parts[0].shape[0], parts[0].shape[2], parts[0].shape[3])
        for part in parts { precondition(part.rank == 4 && part.shape[0] == batch && part.shape[2] == height && part.shape[3] == width, "concat: shape \(part.shape) does not match \(parts[0].shape)") }
        let plane = height * width
        let channels = parts.map { $0.shape[1] }
        let total = channels.reduce(0, +)
        let output = makeFloats(batch * total * plane) { y in
            var offset = 0
            for (part, c) in zip(parts, channels) {
                part.data.withUnsafeBufferPointer { x in
                    Parallelism.forEachChunk(batch, valuesEach: c * plane) { images in
                        for n in images {
                            (y + (n * total + offset) * plane).update(from: x.baseAddress! + n * c * plane, count: c * plane)
                        }
                    }
                }
                offset += c
            }
        }
        return Tensor.result(shape: [batch, total, height, width], data: output, parents: parts) { out in
            out.grad.withUnsafeBufferPointer { dy in
                var offset = 0
                for (part, c) in zip(parts, channels) {
                    if part.requiresGrad {
                        part.contributeGrad { dx, add in
                            Parallelism.forEachChunk(batch, valuesEach: c * plane) { images in
                                for n in images {
                                    copyOrAdd(dx + n * c * plane, dy.baseAddress! + (n * total + offset) * plane, count: c * plane, add: add)
                                }
                            }
                        }
                    }
                    offset += c
                }
            }
        }
    }

    /// Writes image n of this [N, ...] batch at `target + n * imageStride` (a block of channels of a
    /// larger NCHW batch), or adds it to the values there, target + self rounded once per value, as
    /// `sum` adds a second term to a first (`accumulate`). A cell's output at inference is assembled
    /// so, without a tensor per node.
    public func write(into target: UnsafeMutablePointer<Float>, imageStride: Int, accumulate adding: Bool) {
        let batch = shape[0]
        let image = count / max(1, batch)
        precondition(imageStride >= image, "write: images \(imageStride) values apart overlap")
        data.withUnsafeBufferPointer { x in
            guard let x = x.baseAddress else { return }
            Parallelism.forEachChunk(batch, valuesEach: image) { images in
                for n in images {
                    let (source, destination) = (x + n * image, target + n * imageStride)
                    if adding { accumulate(destination, source, count: image) } else { destination.update(from: source, count: image) }
                }
            }
        }
    }

    /// Channels `range` of [N, C, H, W].
    public func sliceChannels(_ range: Range<Int>) -> Tensor {
        precondition(rank == 4 && range.lowerBound >= 0 && range.upperBound <= shape[1] && !range.isEmpty, "sliceChannels \(range) of \(shape)")
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let kept = range.count
        let output = data.withUnsafeBufferPointer { x in
            makeFloats(batch * kept * plane) { y in
                Parallelism.forEachChunk(batch, valuesEach: kept * plane) { images in
                    for n in images {
                        (y + n * kept * plane).update(from: x.baseAddress! + (n * channels + range.lowerBound) * plane, count: kept * plane)
                    }
                }
            }
        }
        return Tensor.result(shape: [batch, kept, shape[2], shape[3]], data: output, parents: [self]) { [self] out in
            out.grad.withUnsafeBufferPointer { dy in
                contributeGrad { dx, add in
                    Parallelism.forEachChunk(batch, valuesEach: channels * plane) { images in
                        for n in images {
                            let image = dx + n * channels * plane
                            if !add {
                                image.update(repeating: 0, count: range.lowerBound * plane)
                                (image + range.upperBound * plane).update(repeating: 0, count: (channels - range.upperBound) * plane)
                            }
                            copyOrAdd(image + range.lowerBound * plane, dy.baseAddress! + n * kept * plane, count: kept * plane, add: add)
                        }
                    }
                }
            }
        }
    }

    /// channel_shuffle(x, groups): view (N, g, C/g, H, W), swap axes 1 and 2, view back
    /// (docs/algorithms.md#partial-channels).
    /// Output channel j = q * groups + p takes input channel p * (C / groups) + q.
    public func channelShuffle(groups: Int) -> Tensor {
        precondition(rank == 4 && shape[1] % groups == 0, "channelShuffle: \(groups) groups do not divide \(shape[1]) channels")
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let perGroup = channels / groups
        let source = (0..<channels).map { j in (j % groups) * perGroup + j / groups }
        let output = data.withUnsafeBufferPointer { x in
            makeFloats(count) { y in
                for n in 0..<batch {
                    for j in 0..<channels {
                        (y + (n * channels + j) * plane).update(from: x.baseAddress! + (n * channels + source[j]) * plane, count: plane)
                    }
                }
            }
        }
        return Tensor.result(shape: shape, data: output, parents: [self]) { [self] out in
            out.grad.withUnsafeBufferPointer { dy in
                contributeGrad { dx, add in
                    for n in 0..<batch {
                        for j in 0..<channels {
                            copyOrAdd(dx + (n * channels + source[j]) * plane, dy.baseAddress! + (n * channels + j) * plane, count: plane, add: add)
                        }
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
        let output = data.withUnsafeBufferPointer { x in
            makeFloats(planes * newHeight * newWidth) { y in
                Parallelism.forEachChunk(planes, valuesEach: height * width) { chunk in
                    for p in chunk {
                        for row in 0..<newHeight {
                            (y + (p * newHeight + row) * newWidth).update(from: x.baseAddress! + (p * height + row + top) * width + left, count: newWidth)
                        }
                    }
                }
            }
        }
        return Tensor.result(shape: [shape[0], shape[1], newHeight, newWidth], data: output, parents: [self]) { [self] out in
            accumulateGrad { dx in out.grad.withUnsafeBufferPointer { dy in
                Parallelism.forEachChunk(planes, valuesEach: height * width) { chunk in
                    for p in chunk {
                        for row in 0..<newHeight {
                            accumulate(dx + (p * height + row + top) * width + left, dy.baseAddress! + (p * newHeight + row) * newWidth, count: newWidth)
                        }
                    }
                }
            } }
        }
    }

    /// Pads every plane with `amount` rows and columns of `value` on each side. Binarized
    /// convolutions pad with +1 (docs/algorithms.md#bit-kernels: zero has no 1-bit code), so they pad explicitly
    /// and convolve without padding.
    public func padded(by amount: Int, value: Float) -> Tensor {
        precondition(rank == 4 && amount >= 0, "padded(by: \(amount)) of \(shape)")
        if amount == 0 { return self }
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let (newHeight, newWidth) = (height + 2 * amount, width + 2 * amount)
        let output = data.withUnsafeBufferPointer { x in
            makeFloats(planes * newHeight * newWidth) { y in
                for p in 0..<planes {
                    let target = y + p * newHeight * newWidth
                    // The top border, then each row with its side borders (the right one runs into
                    // the next row's left one), then the bottom border.
                    target.initialize(repeating: value, count: amount * newWidth + amount)
                    for row in 0..<height {
                        let start = target + (row + amount) * newWidth + amount
                        start.initialize(from: x.baseAddress! + (p * height + row) * width, count: width)
                        (start + width).initialize(repeating: value, count: 2 * amount)
                    }
                    (target + (height + amount) * newWidth + amount).initialize(repeating: value, count: amount * newWidth - amount)
                }
            }
        }
        return Tensor.result(shape: [shape[0], shape[1], newHeight, newWidth], data: output, parents: [self]) { [self] out in
            out.grad.withUnsafeBufferPointer { dy in
                contributeGrad { dx, add in
                    for p in 0..<planes {
                        for row in 0..<height {
                            copyOrAdd(dx + (p * height + row) * width, dy.baseAddress! + (p * newHeight + row + amount) * newWidth + amount, count: width, add: add)
                        }
                    }
                }
            }
        }
    }
}
