import Binary
import Foundation
import Testing
@testable import Network
import Tensor

@Suite struct ModelFileTests {
    static let binarized: [BinarizationConfig] = [.init(weights: .xnor, activations: .binary), .init(weights: .pcnn, activations: .binary),
                                                  .init(weights: .xnor, activations: .real), .init(weights: .pcnn, activations: .real)]
    /// The ReAct flavour: the preset, each option alone on top of XNOR, and shortcuts with real activations.
    static let flavours: [BinarizationConfig] = [.react, .init(weights: .xnor, activations: .binary, thresholds: true),
                                                 .init(weights: .xnor, activations: .binary, shortcuts: true),
                                                 .init(weights: .xnor, activations: .binary, signGradient: .approx),
                                                 .init(weights: .pcnn, activations: .binary, thresholds: true, shortcuts: true),
                                                 .init(weights: .xnor, activations: .real, shortcuts: true)]

    /// PC-DARTS with three cells on 8x8 images: ReLUConvBN, SepConv, DilConv, and a FactorizedReduce
    /// after the reduction cell.
    static func network(_ binarization: BinarizationConfig, channels: Int = 4) -> GenotypeNetwork {
        GenotypeNetwork(genotype: .pcDarts, shape: NetworkShape(inputChannels: 1, imageSize: 8, classes: 10, layers: 3,
                                                                channels: channels, binarization: binarization), seed: 3)
    }

    static func images(count: Int = 32, seed: UInt64 = 1) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor.randomNormal([count, 1, 8, 8], std: 1, rng: &rng)
    }

    /// A network as training leaves its batch norms: gamma and beta away from 1 and 0 (a quarter of the
    /// gammas negative), running statistics from four batches; the flavour's thresholds and RPReLU
    /// parameters away from their starting values.
    static func trained(_ binarization: BinarizationConfig, channels: Int = 4) -> GenotypeNetwork {
        let network = Self.network(binarization, channels: channels)
        var rng = SeededRNG(seed: 17)
        for norm in network.allLayers.compactMap({ $0 as? BatchNorm2d }) {
            guard let gamma = norm.gamma, let beta = norm.beta else { continue }
            gamma.data = gamma.data.map { _ in rng.nextUniform() * 2 - 0.5 }
            beta.data = beta.data.map { _ in rng.nextUniform() - 0.5 }
        }
        let flavourParameters = network.cellConvolutions.compactMap(\.threshold)
            + network.allLayers.compactMap { $0 as? RPReLU }.flatMap(\.parameters)
        for parameter in flavourParameters { parameter.data = parameter.data.map { $0 + rng.nextUniform() * 0.4 - 0.2 } }
        var dropPath = DropPath(probability: 0, seed: 0)
        for seed in UInt64(20)..<24 {
            _ = GradMode.disabled { network(images(count: 8, seed: seed), training: true, dropPath: &dropPath) }
        }
        return network
    }

    static func predictions(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1]
        return (0..<logits.shape[0]).map { row in
            let values = logits.data[row * classes..<(row + 1) * classes]
            return values.indices.max { values[$0] < values[$1] }! - row * classes
        }
    }

    static func header(of data: Data) throws -> ModelFile.Header {
        let length = Int(ModelFile.readUInt32([UInt8](data), at: 12))
        return try JSONDecoder().decode(ModelFile.Header.self, from: data.subdata(in: 16..<16 + length))
    }

    /// Bit path then float path (`BinaryConvolution.onFloatKernels`), as `bnas eval` runs them.
    static func onBothPaths(_ network: GenotypeNetwork, _ images: Tensor) -> (bits: Tensor, floats: Tensor, bitWork: Int) {
        let counters = KernelCounters()
        let bits = KernelCounters.counting(into: counters) { network.predict(images) }
        let bitWork = counters.snapshot().binaryMACs
        return (bits, BinaryConvolution.onFloatKernels { network.predict(images) }, bitWork)
    }

    /// Folding the scales into the batch norms changes the float rounding, nothing else.
    @Test(arguments: binarized + flavours)
    func roundTripKeepsLogitsAndPredictions(binarization: BinarizationConfig) throws {
        let original = Self.trained(binarization, channels: 16)
        let loaded = try ModelFile.decode(ModelFile.encode(original), path: "model.bnn").network
        #expect(loaded.shape == original.shape)
        #expect(loaded.genotype == original.genotype)
        let (before, after) = (original.predict(Self.images()), loaded.predict(Self.images()))
        let largest = before.data.map(abs).max() ?? 0
        let difference = zip(before.data, after.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest > 0.1)
        #expect(difference <= 1e-6 * max(1, largest), "logits differ by \(difference), largest \(largest)")
        #expect(Self.predictions(after) == Self.predictions(before))
    }

    @Test func floatModelsRoundTripExactly() throws {
        let original = Self.trained(.float)
        let loaded = try ModelFile.decode(ModelFile.encode(original), path: "model.bnn").network
        #expect(loaded.predict(Self.images()).data == original.predict(Self.images()).data)
    }

    /// The loaded model gives the same bits on the XNOR-popcount kernels and on the float kernels.
    @Test(arguments: (binarized + flavours).filter(\.binarizesActivations))
    func loadedModelGivesTheSameOutputOnBothPaths(binarization: BinarizationConfig) throws {
        let loaded = try ModelFile.decode(ModelFile.encode(Self.trained(binarization, channels: 16)), path: "model.bnn").network
        let (bits, floats, bitWork) = Self.onBothPaths(loaded, Self.images())
        #expect(bitWork > 0, "the bit path ran no bit kernel")
        #expect(bits.data == floats.data)
    }

    /// Files of older runs (version 1, every scale stored) load as the network that was written.
    @Test(arguments: [BinarizationConfig.float] + binarized)
    func version1FilesStillLoad(binarization: BinarizationConfig) throws {
        let original = Self.trained(binarization)
        let contents = try ModelFile.decode(ModelFileVersion1.encode(original), path: "model.bnn")
        #expect(contents.network.genotype == original.genotype && contents.network.shape == original.shape)
        #expect(contents.network.predict(Self.images()).data == original.predict(Self.images()).data)
        let wordsAndScales = original.cellConvolutions.filter { $0.binarization.isBinary }
            .reduce(0) { $0 + ($1.weight.count + 63) / 64 * 8 + $1.weight.shape[0] * 4 }
        #expect(contents.binaryLayerBytes == wordsAndScales)
    }

    /// Under sign activations every scale is folded or dropped (into the next 1x1's thresholds in the
    /// flavour), so the 1-bit layers are their bits in whole bytes; under real activations the
    /// depthwise scales stay. The rest of the file is the header, the float32 parameters and the
    /// running statistics; the flavour's thresholds and RPReLU parameters are float32 entries of their own.
    @Test(arguments: binarized + flavours)
    func binaryLayerBytesAreWhatTheFileHolds(binarization: BinarizationConfig) throws {
        let network = Self.trained(binarization)
        let data = try ModelFile.encode(network)
        let contents = try ModelFile.decode(data, path: "model.bnn")
        let convolutions = network.cellConvolutions
        let bits = convolutions.reduce(0) { $0 + ($1.weight.count + 7) / 8 }
        let depthwiseScales = convolutions.filter { $0.groups > 1 }.reduce(0) { $0 + 4 * $1.weight.shape[0] }
        let scalesDropped = binarization.binarizesActivations
        #expect(contents.binaryLayerBytes == bits + (scalesDropped ? 0 : depthwiseScales))
        let statistics = network.batchNormStatistics.reduce(0) { $0 + $1.mean.count + $1.variance.count }
        let headerLength = Int(ModelFile.readUInt32([UInt8](data), at: 12))
        #expect(data.count == 24 + headerLength + contents.binaryLayerBytes + 4 * (network.floatParameterCount + statistics))
        let kinds = try Self.header(of: data).tensors.map(\.kind)
        #expect(kinds.filter { $0 == "bits" }.count == convolutions.count)
        #expect(kinds.filter { $0 == "scales" }.count == (scalesDropped ? 0 : convolutions.filter { $0.groups > 1 }.count))
        let flavourFloats = convolutions.filter { $0.threshold != nil }.count + 3 * network.allLayers.filter { $0 is RPReLU }.count
        #expect(kinds.filter { $0 == "f32" }.count == (try Self.header(of: ModelFile.encode(Self.trained(binarization.withoutFlavour))).tensors
            .filter { $0.kind == "f32" }.count + flavourFloats))
    }

    /// The model file keeps a binarized network's 1-bit layers at least 25x smaller than their float32
    /// weights at the default size (Fashion-MNIST, C = 8), with and without the flavour.
    @Test(arguments: [BinarizationConfig(weights: .xnor, activations: .binary), .react])
    func oneBitLayersAreAtLeast25TimesSmallerThanFloat32(binarization: BinarizationConfig) throws {
        let shape = NetworkShape(inputChannels: 1, imageSize: 28, classes: 10, layers: 5, channels: 8, binarization: binarization)
        let network = GenotypeNetwork(genotype: .pcDarts, shape: shape, seed: 1)
        let float32Bytes = 4 * network.binaryParameterCount
        let stored = try ModelFile.decode(ModelFile.encode(network), path: "model.bnn").binaryLayerBytes
        #expect(Double(float32Bytes) / Double(stored) >= 25, "\(float32Bytes) float32 bytes, \(stored) stored")
        if !binarization.thresholds {
            let version1 = try ModelFile.decode(ModelFileVersion1.encode(network), path: "model.bnn").binaryLayerBytes
            #expect(Double(float32Bytes) / Double(version1) < 25, "version 1 already met the bar: \(float32Bytes) / \(version1)")
        }
    }

    /// Where folding is impossible the scales stay in the file: a non-affine norm, a zero scale, real
    /// activations before a pointwise conv.
    @Test func scalesStayWhereTheyCannotBeFolded() throws {
        var rng = SeededRNG(seed: 5)
        let xnor = BinarizationConfig(weights: .xnor, activations: .binary)
        let affine = ReLUConvBN(inChannels: 4, outChannels: 4, kernel: 1, stride: 1, padding: 0, affine: true, binarization: xnor, rng: &rng)
        let nonAffine = ReLUConvBN(inChannels: 4, outChannels: 4, kernel: 1, stride: 1, padding: 0, affine: false, binarization: xnor, rng: &rng)
        let zeroChannel = ReLUConvBN(inChannels: 4, outChannels: 4, kernel: 1, stride: 1, padding: 0, affine: true, binarization: xnor, rng: &rng)
        zeroChannel.conv.weight.data.replaceSubrange(0..<4, with: [0, 0, 0, 0])
        let signed = DilConv(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 2, dilation: 2, affine: true, binarization: xnor, rng: &rng)
        let real = DilConv(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 2, dilation: 2, affine: true,
                           binarization: .init(weights: .xnor, activations: .real), rng: &rng)
        let reduce = FactorizedReduce(inChannels: 4, outChannels: 4, affine: true, binarization: xnor, rng: &rng)
        let thresholded = DilConv(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 2, dilation: 2, affine: true,
                                  binarization: .react, rng: &rng)
        let zeroDepthwise = DilConv(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 2, dilation: 2, affine: true,
                                    binarization: .react, rng: &rng)
        zeroDepthwise.depthwise.weight.data.replaceSubrange(0..<9, with: [Float](repeating: 0, count: 9))
        for op in [thresholded, zeroDepthwise] { op.pointwise.threshold?.data = [0.3, -0.2, 0, 1.5] }
        affine.norm.statistics.mean = [0.5, -1, 2, 0]
        let folding = ScaleFolding(([affine, nonAffine, zeroChannel, signed, real, reduce, thresholded, zeroDepthwise] as [any Layer])
            .flatMap { $0.allLayers })

        let scales = affine.conv.binaryWeights.scales
        #expect(folding.leavesOutScales(of: affine.conv))
        #expect(folding.foldedNorms[ObjectIdentifier(affine.norm)]?.gamma == scales)
        #expect(folding.foldedNorms[ObjectIdentifier(affine.norm)]?.mean == zip([0.5, -1, 2, 0], scales).map { $0 / $1 })
        #expect(!folding.leavesOutScales(of: nonAffine.conv) && folding.foldedNorms[ObjectIdentifier(nonAffine.norm)] == nil)
        #expect(!folding.leavesOutScales(of: zeroChannel.conv) && folding.foldedNorms[ObjectIdentifier(zeroChannel.norm)] == nil)
        #expect(folding.leavesOutScales(of: signed.depthwise) && folding.leavesOutScales(of: signed.pointwise))
        #expect(!folding.leavesOutScales(of: real.depthwise) && folding.leavesOutScales(of: real.pointwise))
        #expect(folding.leavesOutScales(of: reduce.left) && folding.leavesOutScales(of: reduce.right))
        let reduceScales = reduce.left.binaryWeights.scales + reduce.right.binaryWeights.scales
        #expect(folding.foldedNorms[ObjectIdentifier(reduce.norm)]?.gamma == reduceScales)
        #expect(folding.leavesOutScales(of: thresholded.depthwise))
        #expect(folding.foldedThresholds[ObjectIdentifier(thresholded.pointwise)]
                == zip([0.3, -0.2, 0, 1.5], thresholded.depthwise.binaryWeights.scales).map { $0 / $1 })
        #expect(!folding.leavesOutScales(of: zeroDepthwise.depthwise) && folding.foldedThresholds[ObjectIdentifier(zeroDepthwise.pointwise)] == nil)
    }

    /// A zero scale in a network: that convolution keeps its scales and its norm its gamma, and the
    /// loaded model still matches.
    @Test func aZeroScaleIsStoredAndTheModelStillMatches() throws {
        let original = Self.trained(.init(weights: .xnor, activations: .binary))
        let preprocess = try #require(original.cells[0].preprocess1 as? ReLUConvBN)
        let perChannel = preprocess.conv.weight.count / preprocess.conv.weight.shape[0]
        preprocess.conv.weight.data.replaceSubrange(0..<perChannel, with: [Float](repeating: 0, count: perChannel))
        let data = try ModelFile.encode(original)
        #expect(try Self.header(of: data).tensors.filter { $0.kind == "scales" }.map(\.count) == [preprocess.conv.weight.shape[0]])
        let loaded = try ModelFile.decode(data, path: "model.bnn").network
        let loadedPreprocess = try #require(loaded.cells[0].preprocess1 as? ReLUConvBN)
        #expect(loadedPreprocess.norm.gamma?.data == preprocess.norm.gamma?.data)
        #expect(loadedPreprocess.conv.binaryWeights.scales == preprocess.conv.binaryWeights.scales)
        let (before, after) = (original.predict(Self.images()), loaded.predict(Self.images()))
        #expect(zip(before.data, after.data).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) })
    }

    /// The same model gives the same bytes, and a loaded model written again gives them too.
    /// A network without the flavour is a version-2 file, as before; with it, version 3.
    @Test(arguments: [BinarizationConfig.float] + binarized + flavours)
    func encodingIsDeterministicAndStable(binarization: BinarizationConfig) throws {
        let network = Self.trained(binarization)
        let data = try ModelFile.encode(network)
        #expect(try ModelFile.encode(network) == data)
        #expect(try ModelFile.encode(ModelFile.decode(data, path: "model.bnn").network) == data)
        #expect(ModelFile.readUInt32([UInt8](data), at: 8) == (binarization == binarization.withoutFlavour ? 2 : 3))
        #expect(try Self.header(of: data).shape.binarization == binarization)
    }
}

extension BinarizationConfig {
    /// The same weights and activations with every option of the ReAct flavour off.
    var withoutFlavour: BinarizationConfig { BinarizationConfig(weights: weights, activations: activations) }
}
