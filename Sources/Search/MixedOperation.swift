import Binary
import Network
import Tensor

/// What one forward pass of a cell computes: the ops of each edge and their coefficients.
/// A search step uses softmax(alpha) * softmax(beta); a sampled sub-network one op per edge.
struct CellPlan {
    /// Per edge, the ops to compute (`none` is skipped: its output is zero, so it adds nothing).
    let operations: [[OperationKind]]
    /// [14, 8]: the coefficient of op o's output on edge e.
    let coefficients: Tensor
    /// [14]: softmax(beta) of each edge, which also scales the channels that bypass the ops.
    let edgeWeights: Tensor

    /// The same plan on a leaf copy of the coefficients (the values shared, not copied), so that the
    /// mixed ops of edges run side by side each add their gradients into a tensor of their own. The
    /// edge weights stay the plan's: a mixed op does not read them (the node adds their gradients).
    func leafCopy() -> CellPlan {
        CellPlan(operations: operations,
                 coefficients: Tensor(shape: coefficients.shape, data: coefficients.data, requiresGrad: coefficients.requiresGrad),
                 edgeWeights: edgeWeights)
    }
}

/// PC-DARTS's partial-channel mixed operation (docs/algorithms.md#partial-channels): the first C/K channels go through
/// the weighted sum of the surviving ops, the others bypass them (max-pooled 2x2 at stride 2), and
/// the two parts are concatenated and channel-shuffled with K groups.
final class MixedOperation: Layer {
    let stride: Int
    let partialK: Int
    /// The candidate ops with weights or state, indexed by `OperationKind.index` (nil for `none`).
    let candidates: [(any UnaryLayer)?]

    init(channels: Int, stride: Int, partialK: Int, binarization: BinarizationConfig, rng: inout SeededRNG) {
        self.stride = stride
        self.partialK = partialK
        candidates = OperationKind.allCases.map { kind in
            kind == .none ? nil : kind.makeLayer(channels: channels / partialK, stride: stride, affine: false,
                                                 inSupernet: true, binarization: binarization, rng: &rng)
        }
    }

    var sublayers: [any Layer] { candidates.compactMap { $0 } }

    /// The edge's output on its own: mixed output and partial-channel output composed (a search
    /// cell computes the partial-channel outputs of a node's edges together, `ParallelEdges.sum`).
    func callAsFunction(_ x: Tensor, edge: Int, plan: CellPlan, training: Bool) -> Tensor {
        let mixed = mixedOutput(partialK == 1 ? x : x.sliceChannels(0..<x.shape[1] / partialK), edge: edge, plan: plan, training: training)
        guard partialK > 1 else { return mixed }
        return Tensor.partialChannelOutput(mixed: mixed, input: x, weight: plan.edgeWeights, at: edge, groups: partialK, poolsBypass: stride == 2)
    }

    /// sum_o c_o * o(routed) over the edge's surviving ops, on the channels routed through them.
    func mixedOutput(_ routed: Tensor, edge: Int, plan: CellPlan, training: Bool) -> Tensor {
        let operations = plan.operations[edge].compactMap { kind in candidates[kind.index].map { (kind, $0) } }
        guard !operations.isEmpty else {  // a sampled sub-network chose `none` here
            let (height, width) = ((routed.shape[2] + stride - 1) / stride, (routed.shape[3] + stride - 1) / stride)
            return Tensor.zeros([routed.shape[0], routed.shape[1], height, width])
        }
        let columns = operations.map { edge * OperationSpace.operationCount + $0.0.index }
        return ParallelSum.weighted(operations.map(\.1), input: routed, coefficients: plan.coefficients, at: columns, training: training)
    }
}

/// What a task of a parallel region takes from the thread that starts it: whether ops record the
/// graph (`GradMode`) and the counters its kernels count in (`KernelCounters.current`). Both are the
/// thread's own, and a `WorkerPool` iteration may run on any thread, so every task that runs layers
/// forward sets both. The backward tasks need neither: backward passes record no graph and run no
/// counted kernels (`KernelCountingTests`).
struct CallerContext {
    let recording = GradMode.isEnabled
    let counters = KernelCounters.current

    func carried<T>(_ body: () throws -> T) rethrows -> T {
        try KernelCounters.counting(into: counters) { try GradMode.carried(recording, body) }
    }
}

/// sum_o c_o * op_o(x) with the ops run side by side on the cores, forward and backward. Each op
/// gets its own leaf copy of x and builds its own graph; the sum's backward runs those graphs
/// (seeded with c_o * dy) in parallel and adds their input gradients into x in op order, so the
/// result does not depend on which core ran what. The ops of one edge share no parameters or
/// state, which is what makes this safe.
enum ParallelSum {
    static func weighted(_ operations: [any UnaryLayer], input: Tensor, coefficients: Tensor, at columns: [Int],
                         training: Bool) -> Tensor {
        let caller = CallerContext()
        let runs = Parallelism.map(operations.count) { index in
            caller.carried { () -> (leaf: Tensor, output: Tensor) in
                let leaf = caller.recording ? Tensor(shape: input.shape, data: input.data, requiresGrad: input.requiresGrad) : input
                return (leaf, operations[index](leaf, training: training))
            }
        }
        let (leaves, results) = (runs.map(\.leaf), runs.map(\.output))
        let factors = columns.map { coefficients.data[$0] }
        var sum = [Float](repeating: 0, count: results[0].count)
        sum.withUnsafeMutableBufferPointer { y in
            for (result, factor) in zip(results, factors) {
                result.data.withUnsafeBufferPointer { VectorKernels.axpy(factor, $0.baseAddress!, y.baseAddress!, count: y.count) }
            }
        }
        // The ops' own parameters make the sum worth differentiating even when x and the coefficients are constants.
        let throughOperations = results.contains { $0.requiresGrad }
        let gate = Tensor(shape: [1], data: [0], requiresGrad: throughOperations)
        return Tensor.result(shape: results[0].shape, data: sum, parents: [input, coefficients, gate]) { out in
            if coefficients.requiresGrad {
                let dots = results.map { result in
                    out.grad.withUnsafeBufferPointer { dy in result.data.withUnsafeBufferPointer { VectorKernels.dot(dy.baseAddress!, $0.baseAddress!, count: dy.count) } }
                }
                coefficients.accumulateGrad { g in for (column, dot) in zip(columns, dots) { g[column] += dot } }
            }
            Parallelism.forEachTask(results.count) { index in
                guard results[index].requiresGrad else { return }
                let factor = factors[index]
                results[index].backward(seed: VectorKernels.scaled(out.grad, by: factor))
            }
            guard input.requiresGrad else { return }
            for leaf in leaves where leaf !== input && !leaf.grad.isEmpty {
                input.accumulateGrad(from: leaf.grad)
            }
        }
    }
}

/// A search cell (docs/algorithms.md#search-space): two preprocessed inputs, four intermediate nodes, each the
/// beta-weighted sum of a mixed op on every earlier node; output = concat of the four nodes.
final class SearchCell: Layer {
    let isReduction: Bool
    let preprocess0: any UnaryLayer
    let preprocess1: any UnaryLayer
    let edges: [MixedOperation]

    init(previousPrevious: Int, previous: Int, channels: Int, isReduction: Bool, previousWasReduction: Bool,
         partialK: Int, binarization: BinarizationConfig, rng: inout SeededRNG) {
        self.isReduction = isReduction
        (preprocess0, preprocess1) = Cell.preprocessing(previousPrevious: previousPrevious, previous: previous, channels: channels,
                                                         previousWasReduction: previousWasReduction, affine: false,
                                                         binarization: binarization, rng: &rng)
        edges = (0..<CellTopology.edgeCount).map { edge in
            let stride = isReduction && CellTopology.input(of: edge) < 2 ? 2 : 1
            return MixedOperation(channels: channels, stride: stride, partialK: partialK, binarization: binarization, rng: &rng)
        }
    }

    var sublayers: [any Layer] { [preprocess0, preprocess1] + edges }

    func callAsFunction(_ s0: Tensor, _ s1: Tensor, plan: CellPlan, training: Bool) -> Tensor {
        var states = ParallelEdges.branches([{ self.preprocess0(s0, training: training) }, { self.preprocess1(s1, training: training) }])
        for incoming in CellTopology.nodeEdges.map(Array.init) {
            let node = incoming.map { edges[$0] }
            states.append(ParallelEdges.sum(inputs: incoming.map { states[CellTopology.input(of: $0)] }, edges: incoming,
                                            poolsBypass: node.map { $0.stride == 2 }, groups: node[0].partialK, plan: plan) { index, routed, plan in
                node[index].mixedOutput(routed, edge: incoming[index], plan: plan, training: training)
            })
        }
        return Tensor.concatChannels(Array(states[2...]))
    }
}

/// One node of a cell, sum_e of its incoming edges' partial-channel outputs (`PartialChannelSum`),
/// with the edges' mixed ops run side by side on the cores, forward and backward, as `ParallelSum`
/// runs the ops of one edge: every mixed op gets a leaf of its routed channels and leaf copies of
/// the plan's coefficients and edge weights and builds its own graph; the node's backward runs
/// those graphs in parallel (each seeded with its share of dy) and then adds the leaves' gradients
/// and the bypass channels' into the real tensors in edge order. Edges share no parameters, and
/// each edge's gradient touches only its own row of the coefficients and its own edge weight, so
/// the results do not depend on which core ran what.
enum ParallelEdges {
    /// The results of independent computations (the two preprocessings of a cell) computed side by
    /// side, each recording its own graph when recording is on; their backward passes run whenever
    /// the tape reaches them, as if they had run one after the other.
    static func branches(_ bodies: [() -> Tensor]) -> [Tensor] {
        let caller = CallerContext()
        return Parallelism.map(bodies.count) { caller.carried(bodies[$0]) }
    }

    /// `mixed(index, routed, plan)` is the mixed op of edge `edges[index]` on the routed channels of `inputs[index]`.
    static func sum(inputs: [Tensor], edges: [Int], poolsBypass: [Bool], groups: Int, plan: CellPlan,
                    _ mixed: (Int, Tensor, CellPlan) -> Tensor) -> Tensor {
        let caller = CallerContext()
        let count = inputs.count
        // Each edge's leaves (nil when nothing is recorded) and mixed output.
        let runs = Parallelism.map(count) { index in
            caller.carried { () -> (leaf: Tensor?, plan: CellPlan?, output: Tensor) in
                let routed = PartialChannelSum.routedChannels(inputs[index], groups: groups)
                guard caller.recording else { return (nil, nil, mixed(index, routed, plan)) }
                let (leaf, leafPlan) = (Tensor(shape: routed.shape, data: routed.data, requiresGrad: inputs[index].requiresGrad), plan.leafCopy())
                return (leaf, leafPlan, mixed(index, leaf, leafPlan))
            }
        }
        let (leaves, plans, results) = (runs.map(\.leaf), runs.map(\.plan), runs.map(\.output))
        let node = PartialChannelSum(inputs: inputs, mixed: results, factors: edges.map { plan.edgeWeights.data[$0] },
                                     poolsBypass: poolsBypass, groups: groups)
        // The edges' own parameters make the node worth differentiating even when its inputs and the plan are constants.
        let gate = Tensor(shape: [1], data: [0], requiresGrad: results.contains { $0.requiresGrad })
        return Tensor.result(shape: node.outputShape, data: node.output, parents: inputs + [plan.coefficients, plan.edgeWeights, gate]) { out in
            Parallelism.forEachTask(count) { index in
                if results[index].requiresGrad { results[index].backward(seed: node.mixedGradient(out.grad, edge: index)) }
            }
            for index in 0..<count {
                if inputs[index].requiresGrad {
                    node.addInputGradient(out.grad, edge: index, routedGradient: leaves[index].flatMap { $0.grad.isEmpty ? nil : $0.grad })
                }
                if let leafPlan = plans[index], plan.coefficients.requiresGrad, !leafPlan.coefficients.grad.isEmpty {
                    plan.coefficients.accumulateGrad(from: leafPlan.coefficients.grad)
                }
                if groups > 1, plan.edgeWeights.requiresGrad {  // at K = 1 beta reaches the node through the coefficients only
                    let dot = node.factorGradient(out.grad, edge: index)
                    plan.edgeWeights.accumulateGrad { g in g[edges[index]] += dot }
                }
            }
        }
    }
}
