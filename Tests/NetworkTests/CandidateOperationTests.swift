import Testing
@testable import Network
import Tensor

/// Every candidate operation as a whole (docs/algorithms.md#search-space): output shape at stride 1 and 2, and its
/// gradients (input and every parameter, batch norm in training mode) against finite differences.
@Suite struct CandidateOperationTests {
    /// Input values at least 0.1 from zero, so that the leading ReLU's kink is never crossed.
    static func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            let magnitude = 0.1 + rng.nextUniform() * 0.9
            return rng.nextUniform() < 0.5 ? -magnitude : magnitude
        }
        return Tensor(shape: shape, data: values, requiresGrad: true)
    }

    /// Distinct values 0.05 apart (a finite-difference step never changes a max-pool winner).
    static func distinctInput(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        var order = Array(0..<shape.reduce(1, *))
        rng.shuffle(&order)
        return Tensor(shape: shape, data: order.map { Float($0) * 0.05 - 3 }, requiresGrad: true)
    }

    @Test(arguments: OperationKind.allCases, [1, 2])
    func outputShape(kind: OperationKind, stride: Int) {
        var rng = SeededRNG(seed: 1)
        let layer = kind.makeLayer(channels: 4, stride: stride, affine: true, inSupernet: true, rng: &rng)
        let output = layer(Self.input([2, 4, 8, 8], seed: 2), training: true)
        #expect(output.shape == [2, 4, 8 / stride, 8 / stride])
    }

    @Test(arguments: OperationKind.allCases.filter { $0 != .none }, [1, 2])
    func gradientsMatchFiniteDifferences(kind: OperationKind, stride: Int) {
        var rng = SeededRNG(seed: 3)
        let layer = kind.makeLayer(channels: 4, stride: stride, affine: true, inSupernet: true, rng: &rng)
        let usesMaxPool = kind == .maxPool3x3
        let x = usesMaxPool ? Self.distinctInput([2, 4, 6, 6], seed: 4) : Self.input([2, 4, 6, 6], seed: 4)
        // A SepConv's first-block parameters move every input of the second block's ReLU at once,
        // so any finite step crosses its kink somewhere; their gradient path is the DilConv one,
        // checked on its own. The input and the second block are checked here, with a finer step.
        let isSepConv = kind == .sepConv3x3 || kind == .sepConv5x5
        let parameters = isSepConv ? (layer as? SepConv)?.second.parameters ?? [] : layer.parameters
        let inputs = [x] + parameters
        let tolerance: GradientCheck.Tolerance = isSepConv
            ? .init(step: 1e-3, absolute: 3e-3, relative: 5e-3) : .init(step: 5e-3, absolute: 2e-3, relative: 5e-3)
        // The parameters are read by the layer itself; `inputs` lists them so that the checker
        // perturbs them and compares their gradients.
        let reports = GradientCheck.run(inputs, tolerance: tolerance) { tensors in layer(tensors[0], training: true) }
        #expect(reports.count == inputs.count)
        for report in reports { #expect(report.passed, "\(kind) stride \(stride): \(report)") }
    }

    @Test func zeroOperationHasNoGradientPath() {
        let layer = Zero(stride: 2)
        let output = layer(Self.input([2, 3, 6, 6], seed: 5), training: true)
        #expect(output.shape == [2, 3, 3, 3])
        #expect(output.data.allSatisfy { $0 == 0 })
        #expect(!output.requiresGrad)
    }

    @Test func skipConnectIsIdentityAtStrideOneAndFactorizedReduceAtStrideTwo() {
        var rng = SeededRNG(seed: 6)
        #expect(OperationKind.skipConnect.makeLayer(channels: 4, stride: 1, affine: true, rng: &rng) is Identity)
        #expect(OperationKind.skipConnect.makeLayer(channels: 4, stride: 2, affine: true, rng: &rng) is FactorizedReduce)
    }

    @Test func poolsCarryBatchNormOnlyInTheSupernet() {
        var rng = SeededRNG(seed: 7)
        let searchPool = OperationKind.avgPool3x3.makeLayer(channels: 4, stride: 1, affine: false, inSupernet: true, rng: &rng)
        let finalPool = OperationKind.avgPool3x3.makeLayer(channels: 4, stride: 1, affine: true, rng: &rng)
        #expect(searchPool.batchNormStatistics.count == 1)
        #expect(finalPool.batchNormStatistics.isEmpty)
        #expect(searchPool.parameters.isEmpty, "the supernet's pool BN is not affine")
    }

    /// The convolutions of each op, by kernel and dilation (docs/algorithms.md#search-space).
    @Test func convolutionStructureFollowsTheReference() {
        var rng = SeededRNG(seed: 8)
        func convs(_ kind: OperationKind) -> [Conv2d] {
            kind.makeLayer(channels: 4, stride: 1, affine: true, rng: &rng).allLayers.compactMap { $0 as? Conv2d }
        }
        let sep5 = convs(.sepConv5x5)
        #expect(sep5.map { $0.weight.shape } == [[4, 1, 5, 5], [4, 4, 1, 1], [4, 1, 5, 5], [4, 4, 1, 1]])
        #expect(sep5.map(\.groups) == [4, 1, 4, 1])
        let dil3 = convs(.dilConv3x3)
        #expect(dil3.map { $0.weight.shape } == [[4, 1, 3, 3], [4, 4, 1, 1]])
        #expect(dil3[0].dilation == 2 && dil3[0].padding == 2)
        let dil5 = convs(.dilConv5x5)
        #expect(dil5[0].dilation == 2 && dil5[0].padding == 4)
    }
}
