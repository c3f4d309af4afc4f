import Binary
import Datasets
import Foundation

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
    /// float kernels on the float path); the rest of each pass is the real-valued layers (stem, BN,
    /// pooling, node sums, classifier), the same work on both paths.
    public var bitPathConvolutionSeconds: Double
    public var floatPathConvolutionSeconds: Double
    /// Set when the two paths disagree on the test set, which they never should.
    public var disagreement: String?

    public static let fileName = "evaluation.json"

    /// Reads `model.bnn` of `folder`, evaluates it on `test` on both paths, and writes `evaluation.json`.
    public static func measure(_ folder: RunFolder, on test: Dataset, batchSize: Int = 256) throws -> ModelEvaluation {
        let modelURL = folder.file("model.bnn")
        let contents = try ModelFile.read(modelURL)
        let network = contents.network
        let (bit, bitConvolutions) = evaluate(network, on: test, batchSize: batchSize, bitKernels: true)
        let (float, floatConvolutions) = evaluate(network, on: test, batchSize: batchSize, bitKernels: false)
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: modelURL.path)[.size] as? Int) ?? 0
        let binary = network.binaryParameterCount
        let agree = bit.accuracy == float.accuracy && bit.loss == float.loss
        let report = ModelEvaluation(
            testImages: test.count, bitPathAccuracy: bit.accuracy, floatPathAccuracy: float.accuracy,
            bitPathImagesPerSecond: Double(test.count) / bit.seconds, floatPathImagesPerSecond: Double(test.count) / float.seconds,
            speedup: float.seconds / bit.seconds, modelFileBytes: fileBytes,
            float32ModelBytes: 4 * (binary + network.floatParameterCount), binaryParameters: binary,
            floatParameters: network.floatParameterCount, binaryLayersFloat32Bytes: 4 * binary, binaryLayersStoredBytes: contents.binaryLayerBytes,
            bitPathConvolutionSeconds: bitConvolutions, floatPathConvolutionSeconds: floatConvolutions,
            disagreement: agree ? nil : "bit path and float path disagree (\(bit.accuracy) vs \(float.accuracy)): please report this")
        try folder.writeJSON(report, to: fileName)
        return report
    }

    /// One evaluation pass with the bit kernels on or off, and the seconds it spent in the binarized
    /// layers' convolutions (from the kernel counters).
    static func evaluate(_ network: GenotypeNetwork, on test: Dataset, batchSize: Int, bitKernels: Bool) -> (Evaluation, Double) {
        BinaryConvolution.usesBitKernels = bitKernels
        defer { BinaryConvolution.usesBitKernels = true }
        let before = KernelCounters.shared.snapshot()
        let evaluation = Trainer.evaluate(network, on: test, batchSize: batchSize)
        let work = KernelCounters.shared.snapshot().subtracting(before)
        return (evaluation, Double(work.binaryNanoseconds + work.packingNanoseconds + work.floatNanoseconds) / 1e9)
    }
}
