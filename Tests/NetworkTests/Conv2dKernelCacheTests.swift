import Binary
import Testing
@testable import Network
import Tensor

/// A binarized `Conv2d` packs its kernel once and reuses it until its weight (or projection) changes.
@Suite struct Conv2dKernelCacheTests {
    static func conv(_ weights: WeightBinarization, groups: Int = 1) -> Conv2d {
        var rng = SeededRNG(seed: 5)
        return Conv2d(inChannels: 4, outChannels: 4, kernel: 3, padding: 1, groups: groups,
                      binarization: BinarizationConfig(weights: weights, activations: .binary), rng: &rng)
    }

    static func input() -> Tensor {
        var rng = SeededRNG(seed: 6)
        return Tensor.randomNormal([2, 4, 6, 6], std: 1, rng: &rng)
    }

    /// The storage of the kernel's packed words: the same buffer when the cached kernel is returned.
    static func storage(_ kernel: BinaryKernel) -> UnsafePointer<UInt64>? {
        kernel.bits.words.withUnsafeBufferPointer { $0.baseAddress }
    }

    /// The output of a fresh binarization of the conv's current weights (no cache involved).
    static func fresh(_ conv: Conv2d, _ x: Tensor) -> [Float] {
        let weights: BinaryWeights = conv.binarization.weights == .pcnn
            ? .pcnn(conv.weight.data, projection: conv.projection?.data ?? [], outChannels: 4)
            : .xnor(conv.weight.data, outChannels: 4)
        let kernel = BinaryKernel(weights, channelsPerGroup: conv.weight.shape[1], kernel: 3, counters: KernelCounters())
        return x.signSTE().padded(by: 1, value: 1)
            .binarizedConv2d(weight: conv.weight, projection: conv.projection, kernel: kernel, kind: conv.binarization.weights,
                             record: nil, binaryInput: true, stride: 1, padding: 0, dilation: 1, groups: conv.groups).data
    }

    @Test(arguments: [(WeightBinarization.xnor, 1), (.xnor, 4), (.pcnn, 1)])
    func kernelIsReusedUntilTheWeightsChange(weights: WeightBinarization, groups: Int) {
        let conv = Self.conv(weights, groups: groups)
        let x = Self.input()
        let first = Self.storage(conv.binaryKernel)
        let before = GradMode.disabled { conv(x, training: false) }.data
        #expect(Self.storage(conv.binaryKernel) == first, "evaluation reuses the packed kernel")
        #expect(before == Self.fresh(conv, x))

        // An optimizer step that flips signs (the kind of change training makes in place).
        for i in conv.weight.data.indices where i % 3 == 0 { conv.weight.data[i] = -conv.weight.data[i] }
        let after = GradMode.disabled { conv(x, training: false) }.data
        #expect(after != before, "the sign flips change the output")
        #expect(after == Self.fresh(conv, x), "the cache followed the weights")
    }

    @Test func projectionChangesInvalidateAPCNNKernel() {
        let conv = Self.conv(.pcnn)
        let x = Self.input()
        let before = GradMode.disabled { conv(x, training: false) }.data
        guard let projection = conv.projection else { Issue.record("a PCNN conv has a projection"); return }
        projection.data.withUnsafeMutableBufferPointer { p in for i in p.indices where i % 2 == 0 { p[i] = -p[i] } }
        let after = GradMode.disabled { conv(x, training: false) }.data
        #expect(after != before)
        #expect(after == Self.fresh(conv, x))
    }

    @Test func optimizerStepsInvalidateTheKernel() {
        let conv = Self.conv(.xnor)
        let x = Self.input()
        let optimizer = SGD(parameters: conv.parameters, learningRate: 10)
        let y = conv(x, training: true)
        (y * y).sum().backward()
        optimizer.step()
        #expect(GradMode.disabled { conv(x, training: false) }.data == Self.fresh(conv, x))
    }

    /// Frozen weights replace the binarization of `weight`, which may then change freely.
    @Test func frozenKernelIgnoresTheWeight() {
        let conv = Self.conv(.xnor)
        let x = Self.input()
        let frozen = BinaryWeights.xnor(conv.weight.data.map { -$0 }, outChannels: 4)
        conv.freeze(frozen)
        let output = GradMode.disabled { conv(x, training: false) }.data
        conv.weight.data = conv.weight.data.map { $0 * 2 + 1 }
        #expect(conv.binaryWeights == frozen)
        #expect(GradMode.disabled { conv(x, training: false) }.data == output)
    }
}
