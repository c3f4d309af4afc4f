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

    @Option(help: "Passes over the test set per path, the paths taking turns; speeds are the medians.")
    var runs: Int = 3

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let folder = try RunFolder(existing: runFolder)
            let configuration = try TrainingConfiguration.read(from: folder)
            guard let kind = DatasetKind(rawValue: configuration.dataset) else {
                throw ValidationError("config.json names an unknown data set '\(configuration.dataset)'")
            }
            let test = try DatasetLoader.load(kind, dataDirectory: dataDirectory ?? configuration.dataDirectory, seed: configuration.seed).test
            let report = try ModelEvaluation.measure(folder, on: test, batchSize: batchSize, runs: runs)
            let bitSeconds = Double(test.count) / report.bitPathImagesPerSecond
            let floatSeconds = Double(test.count) / report.floatPathImagesPerSecond
            let (bitConvolutions, floatConvolutions) = (report.bitPathConvolutionSeconds, report.floatPathConvolutionSeconds)
            print(String(format: "%@: %@ genotype, binarization %@, %d test images, speeds the median of %d passes per path",
                         folder.name, configuration.genotype, configuration.binarization.label, test.count, runs))
            print(String(format: "bit path:   accuracy %.2f%%  %.0f images/s", report.bitPathAccuracy * 100, report.bitPathImagesPerSecond))
            print(String(format: "float path: accuracy %.2f%%  %.0f images/s  (bit path %.2fx faster)", report.floatPathAccuracy * 100,
                         report.floatPathImagesPerSecond, report.speedup))
            print(String(format: "binarized convolutions (with the batch norms they apply): %.2f s of %.2f s on the bit path, %.2f s of %.2f s on the float path;",
                         bitConvolutions, bitSeconds, floatConvolutions, floatSeconds))
            print(String(format: "the other layers' %.2f s bound the bit path's speed-up to %.2fx", floatSeconds - floatConvolutions,
                         floatSeconds / max(1e-9, floatSeconds - floatConvolutions)))
            let (fileBytes, binaryStored) = (report.modelFileBytes, report.binaryLayersStoredBytes)
            print(String(format: "model.bnn %d bytes vs %d bytes as float32 (%.1fx); 1-bit layers %d bytes vs %d bytes (%.1fx)",
                         fileBytes, report.float32ModelBytes, Double(report.float32ModelBytes) / Double(max(1, fileBytes)),
                         binaryStored, report.binaryLayersFloat32Bytes, Double(report.binaryLayersFloat32Bytes) / Double(max(1, binaryStored))))
            if let disagreement = report.disagreement { throw ValidationError(disagreement) }
        }
    }
}
