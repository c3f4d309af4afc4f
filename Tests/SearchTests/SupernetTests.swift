import Binary
import Foundation
import Network
import Testing
@testable import Search
import Tensor

/// The supernet's maths against its definitions (docs/algorithms.md#partial-channels).
struct SupernetTests {
    static func architecture(seed: UInt64 = 5) -> ArchitectureParameters {
        var rng = SeededRNG(seed: seed)
        let parameters = ArchitectureParameters(rng: &rng)
        // Spread alpha and beta well beyond the 1e-3 initialisation so the weights differ visibly.
        for tensor in parameters.all { for i in 0..<tensor.count { tensor.data[i] = Float((i * 7919) % 13) / 6 - 1 } }
        return parameters
    }

    /// At K = 1 a mixed op is sum_o softmax(alpha)_o * softmax(beta)_e * o(x) over the surviving ops.
    @Test func mixedOperationAtK1IsTheWeightedSumOfItsOps() {
        var rng = SeededRNG(seed: 1)
        let mixed = MixedOperation(channels: 4, stride: 1, partialK: 1, binarization: .float, rng: &rng)
        var space = OperationSpace()
        space.remove(OperationRef(cell: .normal, edge: 3, operation: .sepConv5x5), cause: .reduction)
        let architecture = Self.architecture()
        let plan = Supernet.searchPlan(.normal, architecture: architecture, space: space)
        let x = seededTensor([2, 4, 6, 6], seed: 2)
        let output = mixed(x, edge: 3, plan: plan, training: true)

        let alpha = architecture.operationTable(.normal, space: space)[3]
        let beta = architecture.edgeTable(.normal)[3]
        var expected = [Double](repeating: 0, count: output.count)
        for kind in OperationKind.allCases where kind != .none && kind != .sepConv5x5 {
            let y = mixed.candidates[kind.index].map { $0(x, training: true) }
            for (i, value) in (y?.data ?? []).enumerated() { expected[i] += (alpha[kind.index] ?? 0) * beta * Double(value) }
        }
        #expect(alpha[OperationKind.sepConv5x5.index] == nil)
        for i in expected.indices { #expect(abs(Double(output.data[i]) - expected[i]) <= 1e-5 + 1e-5 * abs(expected[i])) }
    }

    /// With K = 2 the first C/K channels go through the ops, the rest bypass them (scaled by the
    /// edge's beta, max-pooled at stride 2), and the concat is channel-shuffled with K groups.
    @Test(arguments: [1, 2]) func partialChannelsBypassAndShuffle(stride: Int) {
        var rng = SeededRNG(seed: 3)
        let mixed = MixedOperation(channels: 8, stride: stride, partialK: 2, binarization: .float, rng: &rng)
        let architecture = Self.architecture()
        let space = OperationSpace()
        let plan = Supernet.searchPlan(.reduce, architecture: architecture, space: space)
        let x = seededTensor([2, 8, 8, 8], seed: 4)
        let output = mixed(x, edge: 0, plan: plan, training: true)
        let side = 8 / stride
        #expect(output.shape == [2, 8, side, side])

        let alpha = architecture.operationTable(.reduce, space: space)[0]
        let beta = architecture.edgeTable(.reduce)[0]
        let routed = x.sliceChannels(0..<4)
        var mixedPart = [Double](repeating: 0, count: 2 * 4 * side * side)
        for kind in OperationKind.allCases where kind != .none {
            let y = mixed.candidates[kind.index].map { $0(routed, training: true) }
            for (i, value) in (y?.data ?? []).enumerated() { mixedPart[i] += (alpha[kind.index] ?? 0) * beta * Double(value) }
        }
        var bypass = x.sliceChannels(4..<8)
        if stride == 2 { bypass = bypass.maxPool2d(kernel: 2, stride: 2) }
        // channel_shuffle(concat[y, x_B], 2): view (N, 2, 4, H, W), swap axes 1 and 2.
        let plane = side * side
        for n in 0..<2 {
            for group in 0..<2 {
                for index in 0..<4 {
                    let outputChannel = index * 2 + group
                    for p in 0..<plane {
                        let expected = group == 0 ? mixedPart[(n * 4 + index) * plane + p]
                                                  : beta * Double(bypass.data[(n * 4 + index) * plane + p])
                        let actual = Double(output.data[(n * 8 + outputChannel) * plane + p])
                        #expect(abs(actual - expected) <= 1e-5 + 1e-5 * abs(expected), "n \(n) channel \(outputChannel) pixel \(p)")
                    }
                }
            }
        }
    }

    /// softmax(beta) is taken per node over its incoming edges: each node's weights sum to one.
    @Test func betaIsNormalisedPerNode() {
        let architecture = Self.architecture()
        for cell in CellType.allCases {
            let weights = architecture.edgeTable(cell)
            for edges in CellTopology.nodeEdges {
                #expect(abs(edges.map { weights[$0] }.reduce(0, +) - 1) < 1e-6)
            }
            let raw = architecture.beta(cell).data
            // Within node 3 (edges 9...13) the ratio of two weights is exp of the difference of betas.
            #expect(abs(weights[9] / weights[10] - Double(expf(raw[9] - raw[10]))) < 1e-5)
        }
    }

    @Test func maskedSoftmaxGivesRemovedOperationsNoWeightAndTheRestSumToOne() {
        var space = OperationSpace()
        for kind in [OperationKind.none, .maxPool3x3, .dilConv5x5] { space.remove(OperationRef(cell: .normal, edge: 5, operation: kind), cause: .veto) }
        let table = Self.architecture().operationTable(.normal, space: space)
        #expect(table[5][0] == nil && table[5][1] == nil && table[5][7] == nil)
        #expect(abs(table[5].compactMap { $0 }.reduce(0, +) - 1) < 1e-6)
        #expect(abs(table[4].compactMap { $0 }.reduce(0, +) - 1) < 1e-6)
    }

    /// The architecture-weight ops against central finite differences.
    @Test func architectureWeightOpsMatchFiniteDifferences() {
        let alpha = seededTensor([3, 8], seed: 8, requiresGrad: true)
        let keep = (0..<24).map { $0 % 5 != 2 }
        let beta = seededTensor([14], seed: 9, requiresGrad: true)
        for report in GradientCheck.run([alpha, beta], { inputs in
            inputs[0].maskedSoftmaxRows(keep: keep).scaledRows(by: inputs[1].segmentSoftmax(CellTopology.nodeEdges).sliceRows(3))
        }) {
            #expect(report.passed, "\(report)")
        }
    }

    /// d loss / d alpha and d loss / d beta through a whole search cell, against finite differences.
    @Test func alphaAndBetaGradientsThroughACellMatchFiniteDifferences() {
        var rng = SeededRNG(seed: 12)
        let cell = SearchCell(previousPrevious: 4, previous: 4, channels: 4, isReduction: false, previousWasReduction: false,
                              partialK: 2, binarization: .float, rng: &rng)
        let architecture = Self.architecture(seed: 13)
        var space = OperationSpace()
        space.remove(OperationRef(cell: .normal, edge: 1, operation: .avgPool3x3), cause: .reduction)
        let s0 = seededTensor([2, 4, 5, 5], seed: 14)
        let s1 = seededTensor([2, 4, 5, 5], seed: 15)
        let tolerance = GradientCheck.Tolerance(step: 1e-3, absolute: 2e-3, relative: 5e-3)
        for report in GradientCheck.run([architecture.alphaNormal, architecture.betaNormal], tolerance: tolerance, { _ in
            cell(s0, s1, plan: Supernet.searchPlan(.normal, architecture: architecture, space: space), training: true)
        }) {
            #expect(report.passed, "\(report)")
        }
    }
    /// A node's edges run side by side (`ParallelEdges`) give the values of the plain sum of its
    /// edges, and the same gradients for the cell's inputs, alpha, beta and every op weight.
    @Test(arguments: [BinarizationConfig.float, BinarizationConfig(weights: .xnor, activations: .binary)])
    func parallelEdgesEqualThePlainSumOfEdges(binarization: BinarizationConfig) {
        func run(parallel: Bool) -> (output: [Float], gradients: [[Float]]) {
            var rng = SeededRNG(seed: 21)
            let cell = SearchCell(previousPrevious: 8, previous: 8, channels: 8, isReduction: true, previousWasReduction: false,
                                  partialK: 2, binarization: binarization, rng: &rng)
            let architecture = Self.architecture(seed: 22)
            let s0 = seededTensor([3, 8, 6, 6], seed: 23, requiresGrad: true)
            let s1 = seededTensor([3, 8, 6, 6], seed: 24, requiresGrad: true)
            let plan = Supernet.searchPlan(.reduce, architecture: architecture, space: OperationSpace())
            let output: Tensor
            if parallel {
                output = cell(s0, s1, plan: plan, training: true)
            } else {
                var states = [cell.preprocess0(s0, training: true), cell.preprocess1(s1, training: true)]
                for incoming in CellTopology.nodeEdges {
                    states.append(Tensor.sum(incoming.map { edge in
                        cell.edges[edge](states[CellTopology.input(of: edge)], edge: edge, plan: plan, training: true)
                    }))
                }
                output = Tensor.concatChannels(Array(states[2...]))
            }
            let weights = seededTensor(output.shape, seed: 25)
            (output * weights).sum().backward()
            let tensors = [s0, s1] + architecture.all + cell.parameters
            return (output.data, tensors.map(\.grad))
        }
        let (parallel, serial) = (run(parallel: true), run(parallel: false))
        #expect(parallel.output == serial.output)
        #expect(parallel.gradients.count == serial.gradients.count)
        // Every tensor got a gradient (s0, s1, alpha and beta of both cell types, the ops' weights), not just an empty one.
        #expect(parallel.gradients.filter { $0.contains { $0 != 0 } }.count >= 4)
        #expect(parallel.gradients[0].contains { $0 != 0 } && parallel.gradients[1].contains { $0 != 0 })
        for (a, b) in zip(parallel.gradients, serial.gradients) {
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 + 1e-4 * abs(y), "\(x) vs \(y)") }
        }
    }
}

extension Tensor {
    /// The first `rows` entries of a vector (a test helper to feed 3 of 14 edge weights to scaledRows).
    func sliceRows(_ rows: Int) -> Tensor {
        let values = Array(data[0..<rows])
        return Tensor.result(shape: [rows], data: values, parents: [self]) { [self] out in
            accumulateGrad { g in for i in 0..<rows { g[i] += out.grad[i] } }
        }
    }
}
