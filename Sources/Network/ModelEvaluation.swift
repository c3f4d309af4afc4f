import Binary
import Datasets
import Foundation
import Tensor

/// What `bnas eval` measures of a trained model (`model.bnn`): accuracy and speed on the bit path
/// (XNOR-popcount kernels) and on the float path, and the sizes; written to `evaluation.json`.
public struct ModelEvaluation: Codable, Equatable, Sendable {
    public var testImages: Int
    public var bitPathAccuracy: Double
    public var floatPathAccuracy: Double
    public var bitPathImagesPerSecond: Double
    public var floatPathImagesPerSecond: Double
    public var speedup: Double
    public var modelFileBytes: Int
    public var float32ModelBytes: Int
    public var binaryParameters: Int
    public var floatParameters: Int
    public var binaryLayersFloat32Bytes: Int
    /// What model.bnn holds for the binarized convolutions: their sign bits and the scales it stores.
    public var binaryLayersStoredBytes: Int
    /// Seconds inside the binarized layers' convolutions (bit kernels and packing on the bit path,
    /// float kernels on the float path), with the batch norms they apply as they write (`ChannelAffine`);
    /// the rest of each pass is the real-valued layers (stem, other batch norms, pooling, node sums,
    /// classifier), the same work on both paths.
    public var bitPathConvolutionSeconds: Double
    public var floatPathConvolutionSeconds: Double
    /// Set when the two paths disagree on the test set, which they never should.
    public var disagreement: String?
    /// Passes over the test set per path, alternating bit and float; times and seconds are their
    /// medians (nil in files written before there was a choice: one pass each).
    public var runs: Int?

    public static let fileName = "evaluation.json"

    /// Reads `model.bnn` of `folder`, evaluates it on `test` on both paths, and writes `evaluation.json`.
    /// With `runs` above 1 the two paths take turns over the test set `runs` times each, and the
    /// speeds are the medians: on a shared host one pass of a few seconds can be 30% off.
    public static func measure(_ folder: RunFolder, on test: Dataset, batchSize: Int = 256, runs: Int = 1) throws -> ModelEvaluation {
        precondition(runs >= 1, "ModelEvaluation: at least one run")
        let modelURL = folder.file("model.bnn")
        let contents = try ModelFile.read(modelURL)
        let network = contents.network
        let passes = (0..<runs).map { _ in
            (bit: evaluate(network, on: test, batchSize: batchSize, bitKernels: true),
             float: evaluate(network, on: test, batchSize: batchSize, bitKernels: false))
        }
        let (bit, float) = (passes[0].bit.evaluation, passes[0].float.evaluation)
        let bitSeconds = Benchmark.median(of: passes.map { $0.bit.evaluation.seconds })
        let floatSeconds = Benchmark.median(of: passes.map { $0.float.evaluation.seconds })
        let bitConvolutions = Benchmark.median(of: passes.map { $0.bit.convolutionSeconds })
        let floatConvolutions = Benchmark.median(of: passes.map { $0.float.convolutionSeconds })
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: modelURL.path)[.size] as? Int) ?? 0
        let binary = network.binaryParameterCount
        let sameEveryPass = passes.allSatisfy { $0.bit.evaluation.loss == bit.loss && $0.float.evaluation.loss == float.loss }
        let agree = bit.accuracy == float.accuracy && bit.loss == float.loss
        let report = ModelEvaluation(
            testImages: test.count, bitPathAccuracy: bit.accuracy, floatPathAccuracy: float.accuracy,
            bitPathImagesPerSecond: Double(test.count) / bitSeconds, floatPathImagesPerSecond: Double(test.count) / floatSeconds,
            speedup: floatSeconds / bitSeconds, modelFileBytes: fileBytes,
            float32ModelBytes: 4 * (binary + network.floatParameterCount), binaryParameters: binary,
            floatParameters: network.floatParameterCount, binaryLayersFloat32Bytes: 4 * binary, binaryLayersStoredBytes: contents.binaryLayerBytes,
            bitPathConvolutionSeconds: bitConvolutions, floatPathConvolutionSeconds: floatConvolutions,
            disagreement: !agree ? "bit path and float path disagree (\(bit.accuracy) vs \(float.accuracy)): please report this"
                : sameEveryPass ? nil : "passes over the same test set gave different losses: please report this",
            runs: runs)
        try folder.writeJSON(report, to: fileName)
        return report
    }

    /// One pass over the test set, and the seconds it spent in the binarized layers' convolutions.
    typealias Pass = (evaluation: Evaluation, convolutionSeconds: Double)

    /// One evaluation pass with the bit kernels on or off, and the seconds it spent in the binarized
    /// layers' convolutions (from the kernel counters).
    static func evaluate(_ network: GenotypeNetwork, on test: Dataset, batchSize: Int, bitKernels: Bool) -> Pass {
        let counters = KernelCounters()
        let evaluation = KernelCounters.counting(into: counters) {
            BinaryConvolution.onKernels(bits: bitKernels) { Trainer.evaluate(network, on: test, batchSize: batchSize) }
        }
        let work = counters.snapshot()
        return (evaluation, Double(work.binaryNanoseconds + work.packingNanoseconds + work.floatNanoseconds) / 1e9)
    }
}
