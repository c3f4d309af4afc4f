import ArgumentParser
import Binary
import Datasets
import Foundation
import Network
import Tensor

/// `bnas eval runs/NAME`: loads `model.bnn`, evaluates the test set on the bit path and on the
/// float path, and compares accuracy, speed and size.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a trained model (runs/NAME/model.bnn) on the test set, on the bit path and the float path.")

    @Argument(help: "The run folder, e.g. runs/NAME.")
    var runFolder: String

    @Option(name: .customLong("data-dir"), help: "Folder of the data set (default: the one the run was trained on).")
    var dataDirectory: String?

    @Option(name: .customLong("batch-size"), help: "Images per evaluation batch.")
    var batchSize: Int = 256

    struct Report: Codable {
        var testImages: Int
        var bitPathAccuracy: Double
        var floatPathAccuracy: Double
        var bitPathImagesPerSecond: Double
        var floatPathImagesPerSecond: Double
        var speedup: Double
        var modelFileBytes: Int
        var float32ModelBytes: Int
        var binaryParameters: Int
        var floatParameters: Int
        var binaryLayersFloat32Bytes: Int
        var binaryLayersStoredBytes: Int
        /// Seconds inside the binarized layers' convolutions (bit kernels and packing on the bit path,
        /// float kernels on the float path); the rest of each pass is the real-valued layers (stem, BN,
        /// pooling, node sums, classifier), the same work on both paths.
        var bitPathConvolutionSeconds: Double
        var floatPathConvolutionSeconds: Double
    }

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let folder = try RunFolder(existing: runFolder)
            let configurationData: Data
            do { configurationData = try Data(contentsOf: folder.file("config.json")) } catch {
                throw RunFolderError.cannotWrite(folder.file("config.json").path, "no config.json: is \(runFolder) a bnas run folder?")
            }
            let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: configurationData)
            let modelURL = folder.file("model.bnn")
            let network = try ModelFile.read(modelURL)
            guard let kind = DatasetKind(rawValue: configuration.dataset) else {
                throw ValidationError("config.json names an unknown data set '\(configuration.dataset)'")
            }
            let test = try DatasetLoader.load(kind, dataDirectory: dataDirectory ?? configuration.dataDirectory, seed: configuration.seed).test

            let (bit, bitConvolutions) = evaluate(network, on: test, bitKernels: true)
            let (float, floatConvolutions) = evaluate(network, on: test, bitKernels: false)

            let fileBytes = (try? FileManager.default.attributesOfItem(atPath: modelURL.path)[.size] as? Int) ?? 0
            let binary = network.binaryParameterCount
            let binaryStored = network.cellConvolutions.filter { $0.binarization.isBinary }
                .reduce(0) { $0 + ($1.weight.count + 63) / 64 * 8 + $1.weight.shape[0] * 4 }
            let report = Report(
                testImages: test.count, bitPathAccuracy: bit.accuracy, floatPathAccuracy: float.accuracy,
                bitPathImagesPerSecond: Double(test.count) / bit.seconds, floatPathImagesPerSecond: Double(test.count) / float.seconds,
                speedup: float.seconds / bit.seconds, modelFileBytes: fileBytes,
                float32ModelBytes: 4 * (binary + network.floatParameterCount), binaryParameters: binary,
                floatParameters: network.floatParameterCount, binaryLayersFloat32Bytes: 4 * binary, binaryLayersStoredBytes: binaryStored,
                bitPathConvolutionSeconds: bitConvolutions, floatPathConvolutionSeconds: floatConvolutions)
            try folder.writeJSON(report, to: "evaluation.json")
            print(String(format: "%@: %@ genotype, binarization %@, %d test images", folder.name, configuration.genotype,
                         network.shape.binarization.label, test.count))
            print(String(format: "bit path:   accuracy %.2f%%  %.0f images/s", bit.accuracy * 100, report.bitPathImagesPerSecond))
            print(String(format: "float path: accuracy %.2f%%  %.0f images/s  (bit path %.2fx faster)", float.accuracy * 100,
                         report.floatPathImagesPerSecond, report.speedup))
            print(String(format: "binarized convolutions: %.2f s of %.2f s on the bit path, %.2f s of %.2f s on the float path;",
                         bitConvolutions, bit.seconds, floatConvolutions, float.seconds))
            print(String(format: "the other layers' %.2f s bound the bit path's speed-up to %.2fx", float.seconds - floatConvolutions,
                         float.seconds / max(1e-9, float.seconds - floatConvolutions)))
            print(String(format: "model.bnn %d bytes vs %d bytes as float32 (%.1fx); 1-bit layers %d bytes vs %d bytes (%.1fx)",
                         fileBytes, report.float32ModelBytes, Double(report.float32ModelBytes) / Double(max(1, fileBytes)),
                         binaryStored, report.binaryLayersFloat32Bytes, Double(report.binaryLayersFloat32Bytes) / Double(max(1, binaryStored))))
            if bit.accuracy != float.accuracy || bit.loss != float.loss {
                throw ValidationError("bit path and float path disagree (\(bit.accuracy) vs \(float.accuracy)): please report this")
            }
        }
    }

    /// One evaluation pass with the bit kernels on or off, and the seconds it spent in the binarized
    /// layers' convolutions (from the kernel counters).
    func evaluate(_ network: GenotypeNetwork, on test: Dataset, bitKernels: Bool) -> (Evaluation, Double) {
        BinaryConvolution.usesBitKernels = bitKernels
        defer { BinaryConvolution.usesBitKernels = true }
        let before = KernelCounters.shared.snapshot()
        let evaluation = Trainer.evaluate(network, on: test, batchSize: batchSize)
        let work = KernelCounters.shared.snapshot().subtracting(before)
        return (evaluation, Double(work.binaryNanoseconds + work.packingNanoseconds + work.floatNanoseconds) / 1e9)
    }
}
