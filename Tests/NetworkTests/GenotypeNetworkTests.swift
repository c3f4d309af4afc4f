import Testing
import Binary
@testable import Network
import Tensor

@Suite struct GenotypeNetworkTests {
    static func images(_ count: Int, side: Int = 28, seed: UInt64 = 1) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor.randomNormal([count, 1, side, side], std: 1, rng: &rng)
    }

    @Test func reductionCellsSitAtOneThirdAndTwoThirds() {
        let shape = NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 8, channels: 4)
        #expect((0..<8).filter(shape.isReduction) == [2, 5])
        let five = NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 5, channels: 4)
        #expect((0..<5).filter(five.isReduction) == [1, 3])
    }

    @Test(arguments: ["darts-v2", "pc-darts", "bnas-xnor", "random:7"])
    func everyBuiltinBuildsAndClassifies(spec: String) throws {
        let genotype = try Genotype.resolve(spec)
        let network = GenotypeNetwork(genotype: genotype, shape: NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 5, channels: 4), seed: 3)
        let logits = network.predict(Self.images(2))
        #expect(logits.shape == [2, 10])
        #expect(logits.data.allSatisfy { $0.isFinite })
    }

    /// Without a gradient, the cells assemble their output in place (nodes only the output reads are
    /// written into it, their separable blocks on bits from the GEMM's store); the logits are those
    /// of the layers with a gradient recorded (and, binarized, on the float kernels), bit for bit, for
    /// cells whose nodes feed later nodes (pc-darts's reduction, darts-v2) and ones whose do not, at
    /// 4 channels (no block on bits) and 16 (every separable block on bits). The ReAct flavour's blocks
    /// write their end (shortcut and RPReLU) in place and compare their thresholds in the packers,
    /// which the recorded forward subtracts first.
    @Test(arguments: ["darts-v2", "pc-darts", "random:7"], [(BinarizationConfig.float, 4),
                                                           (BinarizationConfig(weights: .xnor, activations: .binary), 4),
                                                           (BinarizationConfig(weights: .xnor, activations: .binary), 16),
                                                           (BinarizationConfig.react, 4), (BinarizationConfig.react, 16),
                                                           (BinarizationConfig(weights: .xnor, activations: .binary, thresholds: true), 16),
                                                           (BinarizationConfig(weights: .xnor, activations: .binary, shortcuts: true), 16)])
    func inferenceWithoutGradientsGivesTheSameLogits(spec: String, setting: (binarization: BinarizationConfig, channels: Int)) throws {
        let network = GenotypeNetwork(genotype: try Genotype.resolve(spec),
                                      shape: NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 5, channels: setting.channels,
                                                          binarization: setting.binarization), seed: 4)
        var rng = SeededRNG(seed: 6)
        let flavourParameters = network.cellConvolutions.compactMap(\.threshold) + network.allLayers.compactMap { $0 as? RPReLU }.flatMap(\.parameters)
        for parameter in flavourParameters { parameter.data = parameter.data.map { $0 + rng.nextUniform() * 0.4 - 0.2 } }
        let x = Self.images(3, seed: 5)
        var dropPath = DropPath(probability: 0, seed: 0)
        let recorded = network(x, training: false, dropPath: &dropPath).logits
        let direct = GradMode.disabled { network(x, training: false, dropPath: &dropPath).logits }
        #expect(recorded.data.map(\.bitPattern) == direct.data.map(\.bitPattern))
    }

    @Test func channelsDoubleAtReductionsAndTheClassifierSeesTheLastCell() throws {
        let network = GenotypeNetwork(genotype: .pcDarts, shape: NetworkShape(inputChannels: 3, imageSize: 32, classes: 10, layers: 5, channels: 6), seed: 1)
        // Stem 3C = 18; cells: C=6, reduce 12, 12, reduce 24, 24; four nodes concatenated -> 96.
        #expect(network.cells.map(\.isReduction) == [false, true, false, true, false])
        #expect(network.classifier.weight.shape == [10, 96])
        #expect((network.stem.layers[0] as? Conv2d)?.weight.shape == [18, 3, 3, 3])
    }

    @Test func sameSeedSameWeightsDifferentSeedDifferentWeights() {
        let shape = NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 3, channels: 4)
        let a = GenotypeNetwork(genotype: .dartsV2, shape: shape, seed: 5)
        let b = GenotypeNetwork(genotype: .dartsV2, shape: shape, seed: 5)
        let c = GenotypeNetwork(genotype: .dartsV2, shape: shape, seed: 6)
        #expect(a.parameters.map(\.data) == b.parameters.map(\.data))
        #expect(a.parameters.map(\.data) != c.parameters.map(\.data))
    }

    @Test func auxiliaryHeadOnlyInTrainingAndItsParametersAreCounted() {
        let shape = NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 3, channels: 4, auxiliary: true)
        let network = GenotypeNetwork(genotype: .pcDarts, shape: shape, seed: 2)
        var dropPath = DropPath(probability: 0, seed: 0)
        let (logits, auxiliary) = network(Self.images(4), training: true, dropPath: &dropPath)
        #expect(logits.shape == [4, 10])
        #expect(auxiliary?.shape == [4, 10])
        let withoutHead = GenotypeNetwork(genotype: .pcDarts, shape: NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 3, channels: 4), seed: 2)
        #expect(network.parameterCount - withoutHead.parameterCount == network.auxiliaryHead?.parameterCount)
    }

    @Test func dropPathZeroesWholeSamplesAndRescalesTheRest() {
        var dropPath = DropPath(probability: 0.5, seed: 11)
        let x = Tensor.filled([64, 2, 2, 2], value: 1)
        let dropped = dropPath.apply(x)
        let perSample = (0..<64).map { dropped.data[$0 * 8] }
        #expect(Set(perSample) == [0, 2])
        for n in 0..<64 { #expect(dropped.data[n * 8..<(n + 1) * 8].allSatisfy { $0 == perSample[n] }) }
    }

    /// A whole network's gradients against finite differences where the function is smooth: the
    /// classifier, and the affine BN that ends the last cell's dil_conv edge, whose gradient flows
    /// through the node sum, the cell's concat and the global pool. (Weights further in move
    /// every later ReLU input at once, so a finite step would cross kinks.)
    @Test func networkGradientsMatchFiniteDifferences() {
        let network = GenotypeNetwork(genotype: .dartsV2, shape: NetworkShape(inputChannels: 1, imageSize: 8, classes: 3, layers: 4, channels: 2), seed: 9)
        let x = Self.images(2, side: 8, seed: 3)
        let lastEdgeNorm = network.cells[3].operations[7].allLayers.compactMap { $0 as? BatchNorm2d }.last
        let probes = [network.classifier.weight, network.classifier.bias] + (lastEdgeNorm?.parameters ?? [])
        #expect(probes.count == 4)
        let reports = GradientCheck.run(probes, tolerance: .init(step: 5e-3, absolute: 2e-3, relative: 1e-2)) { _ in
            var dropPath = DropPath(probability: 0, seed: 0)
            return network(x, training: true, dropPath: &dropPath).logits
        }
        #expect(reports.count == probes.count)
        for report in reports { #expect(report.passed, "\(report)") }
    }
}
