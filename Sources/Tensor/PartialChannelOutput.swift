// A PC-DARTS concept in Tensor: it is a fused kernel (forward and backward) over raw buffers on
// Tensor's internal 2x2 max-pooling kernel (`PoolingKernels`, `PoolGeometry`), tested with the other
// ops against the composition it replaces. The search's mixed ops are its only user.

/// The output of PC-DARTS's partial-channel mixed op (docs/algorithms.md#partial-channels), summed over a node's edges:
///
///     node = sum_e channel_shuffle(concat[mixed_e, weight_e * bypass_e], groups)
///
/// where bypass_e = input_e's channels partial..<C, max-pooled 2x2 at stride 2 on a reduction edge,
/// and partial = C / groups = each mixed_e's channel count. Written as slice + pool + scale + concat
/// + shuffle per edge and a sum over edges, every value would pass through memory about six times;
/// here each output plane is written once, summing its sources edge by edge in edge order (so the
/// values equal the composed ops' bit for bit), and backward sends each gradient plane once to
/// where it came from.
///
/// Output channel j reads concat channel (j % groups) * partial + j / groups, so the channels with
/// j % groups == 0 come from mixed_e (channel j / groups) and the others from the bypass, whose
/// concat channel c is input channel c itself. With groups == 1 the node is sum_e mixed_e.
///
/// The search runs each edge's mixed op as a graph of its own on a leaf of the routed channels
/// (`routedChannels`), so this type gives the backward pieces as functions rather than recording
/// them: the mixed ops' upstream gradients, the inputs' gradients (routed and bypass channels in
/// one pass) and the edge weights' gradients. `Tensor.partialChannelOutput` is the one-edge op.
public final class PartialChannelSum {
    let inputs: [Tensor]
    let factors: [Float]
    let groups, batch, channels, partial, height, width: Int
    /// Per edge, the 2x2 window of its pooled bypass (nil when the bypass is not pooled).
    let pools: [PoolGeometry?]
    /// An image's bypass planes in output channel order: the output channel j and the input channel
    /// c = `source(j)` that it reads.
    let bypassPlanes: [(output: Int, input: Int)]
    /// For the pooled edges one after the other, the input position each pooled bypass value came
    /// from (image-major planes); `winnerOffsets[edge]` is where an edge's values begin.
    private var winners: [Int32] = []
    private let winnerOffsets: [Int]
    /// sum_e of the edges' partial-channel outputs, [batch, channels, height, width].
    public private(set) var output: [Float] = []
    public var outputShape: [Int] { [batch, channels, height, width] }

    /// The node's value for inputs of [batch, channels, H, W] (all alike), mixed op outputs of
    /// [batch, channels / groups, height, width] and one bypass factor per edge.
    public init(inputs: [Tensor], mixed: [Tensor], factors: [Float], poolsBypass: [Bool], groups: Int) {
        precondition(!inputs.isEmpty && inputs.count == mixed.count && mixed.count == factors.count && factors.count == poolsBypass.count,
                     "PartialChannelSum: \(inputs.count) inputs, \(mixed.count) mixed outputs, \(factors.count) factors, \(poolsBypass.count) pooling flags")
        (self.inputs, self.factors, self.groups) = (inputs, factors, groups)
        (batch, channels) = (inputs[0].shape[0], inputs[0].shape[1])
        partial = channels / groups
        bypassPlanes = (0..<channels).filter { $0 % groups != 0 }.map { [partial] j in (j, (j % groups) * partial + j / groups) }
        (height, width) = (mixed[0].shape[2], mixed[0].shape[3])
        let pools = zip(inputs, poolsBypass).map { input, pooled in
            pooled ? PoolGeometry([1, 1, input.shape[2], input.shape[3]], kernel: 2, stride: 2, padding: 0) : nil
        }
        self.pools = pools
        for (input, (result, pool)) in zip(inputs, zip(mixed, pools)) {
            let bypass = pool.map { [$0.outHeight, $0.outWidth] } ?? [input.shape[2], input.shape[3]]
            precondition(input.rank == 4 && partial * groups == channels && input.shape[0] == batch && input.shape[1] == channels
                         && result.shape == [batch, partial, height, width] && bypass == [height, width],
                         "PartialChannelSum: mixed \(result.shape) does not fit input \(input.shape) in \(groups) groups")
        }
        let perEdge = batch * (channels - partial) * height * width
        winnerOffsets = pools.indices.map { edge in pools[..<edge].filter { $0 != nil }.count * perEdge }
        winners = [Int32](repeating: 0, count: pools.filter { $0 != nil }.count * perEdge)
        output = combine(mixed)
    }

    /// The concat channel that output channel j reads.
    @inline(__always) func source(_ j: Int) -> Int { (j % groups) * partial + j / groups }
    /// Where the winners of image n's bypass channel c begin among an edge's.
    @inline(__always) func winnerPlane(_ n: Int, _ c: Int) -> Int { (n * (channels - partial) + c - partial) * height * width }

    /// Channels 0..<C/groups of `input`, the part a mixed op computes on: the input itself at groups == 1.
    public static func routedChannels(_ input: Tensor, groups: Int) -> Tensor {
        groups == 1 ? input : GradMode.disabled { input.sliceChannels(0..<input.shape[1] / groups) }
    }

    private func combine(_ mixed: [Tensor]) -> [Float] {
        let (plane, edges) = (height * width, inputs.count)
        return makeFloats(batch * channels * plane) { y in
            withPointers(to: inputs.map(\.data) + mixed.map(\.data)) { sources in
                winners.withUnsafeMutableBufferPointer { winners in
                    let winners = winners.baseAddress
                    Parallelism.forEachChunk(batch, valuesEach: channels * plane * edges) { images in
                        for n in images {
                            for j in 0..<channels {
                                let (c, target) = (source(j), y + (n * channels + j) * plane)
                                for edge in 0..<edges {
                                    let (input, factor, adding) = (sources[edge], factors[edge], edge > 0)
                                    if c < partial {
                                        let from = sources[edges + edge] + (n * partial + c) * plane
                                        if adding { accumulate(target, from, count: plane) } else { target.update(from: from, count: plane) }
                                    } else if let pool = pools[edge], let winners {
                                        let indices = winners + winnerOffsets[edge] + winnerPlane(n, c)
                                        PoolingKernels.maxTwoByTwo(pool, input + (n * channels + c) * pool.height * pool.width, into: target,
                                                                   winners: indices, factor: factor, adding: adding)
                                    } else {
                                        let from = input + (n * channels + c) * plane
                                        if adding {
                                            for i in 0..<plane { target[i] += from[i] * factor }
                                        } else {
                                            for i in 0..<plane { target[i] = from[i] * factor }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The upstream gradient of edge `edge`'s mixed op: the output channels it fills.
    public func mixedGradient(_ dy: [Float], edge: Int) -> [Float] {
        if groups == 1 { return dy }
        let plane = height * width
        return dy.withUnsafeBufferPointer { dy in
            let dy = dy.baseAddress!
            return makeFloats(batch * partial * plane) { dm in
                Parallelism.forEachChunk(batch, valuesEach: partial * plane) { images in
                    for n in images {
                        for c in 0..<partial {
                            (dm + (n * partial + c) * plane).update(from: dy + (n * channels + c * groups) * plane, count: plane)
                        }
                    }
                }
            }
        }
    }

    /// Adds edge `edge`'s gradient into its input's: `routedGradient` (the gradient of
    /// `routedChannels`, nil when none reached it) on the routed channels, and the weighted
    /// (un-pooled) upstream gradient on the bypass channels.
    public func addInputGradient(_ dy: [Float], edge: Int, routedGradient: [Float]?) {
        let input = inputs[edge]
        if groups == 1 {
            if let routedGradient { input.accumulateGrad(from: routedGradient) }
            return
        }
        let (pool, factor, plane) = (pools[edge], factors[edge], height * width)
        let inPlane = input.shape[2] * input.shape[3]
        dy.withUnsafeBufferPointer { dy in winners.withUnsafeBufferPointer { w in
            withPointers(to: routedGradient.map { [$0] } ?? []) { routed in
                // An empty array may still have a base address: only a pooled bypass has winners.
                let (dy, w, routed) = (dy.baseAddress!, pool == nil ? nil : w.baseAddress! + winnerOffsets[edge], routed.first)
                input.contributeGrad { dx, add in
                    Parallelism.forEachChunk(batch, valuesEach: channels * inPlane) { images in
                        for n in images {
                            let image = dx + n * channels * inPlane
                            if let routed {
                                copyOrAdd(image, routed + n * partial * inPlane, count: partial * inPlane, add: add)
                            } else if !add {
                                image.update(repeating: 0, count: partial * inPlane)
                            }
                            for (j, c) in bypassPlanes {
                                let (upstream, target) = (dy + (n * channels + j) * plane, image + c * inPlane)
                                if let w {
                                    if !add { target.update(repeating: 0, count: inPlane) }
                                    let indices = w + winnerPlane(n, c)
                                    for i in 0..<plane { target[Int(indices[i])] += upstream[i] * factor }
                                } else if add {
                                    accumulate(target, upstream, count: plane, factor: factor)
                                } else {
                                    for i in 0..<plane { target[i] = upstream[i] * factor }
                                }
                            }
                        }
                    }
                }
            }
        } }
    }

    /// d node / d factor of edge `edge` against dy: the sum of dy * bypass over the bypass planes
    /// in output channel order, one sum per image, added in image order.
    public func factorGradient(_ dy: [Float], edge: Int) -> Float {
        guard groups > 1 else { return 0 }
        let (pool, plane) = (pools[edge], height * width)
        let inPlane = inputs[edge].shape[2] * inputs[edge].shape[3]
        var perImage = [Float](repeating: 0, count: batch)
        dy.withUnsafeBufferPointer { dy in inputs[edge].data.withUnsafeBufferPointer { x in winners.withUnsafeBufferPointer { w in
            perImage.withUnsafeMutableBufferPointer { sums in
                let (dy, x, sums) = (dy.baseAddress!, x.baseAddress!, sums.baseAddress!)
                let w = pool == nil ? nil : w.baseAddress! + winnerOffsets[edge]
                Parallelism.forEachChunk(batch, valuesEach: channels * plane) { images in
                    for n in images {
                        var total: Float = 0
                        for (j, c) in bypassPlanes {
                            let (upstream, from) = (dy + (n * channels + j) * plane, x + (n * channels + c) * inPlane)
                            if let w {
                                let indices = w + winnerPlane(n, c)
                                for i in 0..<plane { total += upstream[i] * from[Int(indices[i])] }
                            } else {
                                total += VectorKernels.dot(upstream, from, count: plane)
                            }
                        }
                        sums[n] = total
                    }
                }
            }
        } } }
        return perImage.reduce(0, +)
    }
}

extension Tensor {
    /// One edge's partial-channel output, channel_shuffle(concat[mixed, weight[index] * bypass], groups),
    /// as an op of the graph (a node of one edge of `PartialChannelSum`).
    public static func partialChannelOutput(mixed: Tensor, input: Tensor, weight: Tensor, at index: Int, groups: Int,
                                            poolsBypass: Bool) -> Tensor {
        let node = PartialChannelSum(inputs: [input], mixed: [mixed], factors: [weight.data[index]], poolsBypass: [poolsBypass], groups: groups)
        return Tensor.result(shape: node.outputShape, data: node.output, parents: [mixed, input, weight]) { out in
            if mixed.requiresGrad { mixed.accumulateGrad(from: node.mixedGradient(out.grad, edge: 0)) }
            if input.requiresGrad { node.addInputGradient(out.grad, edge: 0, routedGradient: nil) }
            if weight.requiresGrad {
                let dot = node.factorGradient(out.grad, edge: 0)
                weight.accumulateGrad { g in g[index] += dot }
            }
        }
    }
}

/// Calls `body` with a base address for each array (nil-free: empty arrays get a dangling but
/// unused pointer), keeping all of them alive and unmoved for the duration.
func withPointers<Element, Result>(to arrays: [[Element]], _ body: ([UnsafePointer<Element>]) -> Result) -> Result {
    var pointers: [UnsafePointer<Element>] = []
    pointers.reserveCapacity(arrays.count)
    func next(_ index: Int) -> Result {
        guard index < arrays.count else { return body(pointers) }
        return arrays[index].withUnsafeBufferPointer { buffer in
            pointers.append(buffer.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Element>.alignment)!)
            return next(index + 1)
        }
    }
    return next(0)
}

