import Foundation
import Testing

/// `bnas eval` on a trained run, and on a run whose model file is damaged.
@Suite struct EvalCommandTests {
    static let tinyXNOR = ["train", "--dataset", "synthetic", "--layers", "3", "--channels", "4", "--epochs", "1", "--batch-size", "32",
                           "--train-size", "64", "--binarize", "xnor", "--activations", "binary", "--run", "tiny"]

    /// A temporary directory holding `runs/tiny`, a trained XNOR model.
    static func trainedRun() throws -> URL {
        let directory = try BNAS.temporaryDirectory()
        let outcome = try BNAS.run(tinyXNOR, in: directory)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return directory
    }

    @Test func printsAccuracySpeedAndTheSizesTheFileHolds() throws {
        let directory = try Self.trainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(["eval", "runs/tiny", "--runs", "2"], in: directory)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("the median of 2 passes per path"), "\(outcome.stdout)")
        let refused = try BNAS.run(["eval", "runs/tiny", "--runs", "0"], in: directory)
        #expect(refused.status != 0 && refused.stderr.contains("--runs must be at least 1"), "\(refused.stderr)")
        let run = directory.appendingPathComponent("runs/tiny")
        let model = try Data(contentsOf: run.appendingPathComponent("model.bnn"))
        #expect(Array(model[8..<12]) == [2, 0, 0, 0], "model.bnn is version 2")
        let evaluation = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json"))) as? [String: Any])
        let (fileBytes, float32Bytes) = (try #require(evaluation["modelFileBytes"] as? Int), try #require(evaluation["float32ModelBytes"] as? Int))
        let (stored, float32Layers) = (try #require(evaluation["binaryLayersStoredBytes"] as? Int), try #require(evaluation["binaryLayersFloat32Bytes"] as? Int))
        #expect(fileBytes == model.count)
        #expect(evaluation["runs"] as? Int == 2)
        #expect(Double(float32Layers) / Double(stored) >= 20, "1-bit layers \(stored) bytes against \(float32Layers) as float32")
        let sizes = String(format: "model.bnn %d bytes vs %d bytes as float32 (%.1fx); 1-bit layers %d bytes vs %d bytes (%.1fx)",
                           fileBytes, float32Bytes, Double(float32Bytes) / Double(fileBytes), stored, float32Layers, Double(float32Layers) / Double(stored))
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.count == 6, "\(outcome.stdout)")
        #expect(lines.last.map(String.init) == sizes, "\(outcome.stdout)")
        #expect(lines.contains { $0.hasPrefix("bit path:   accuracy ") } && lines.contains { $0.hasPrefix("float path: accuracy ") })
    }

    /// A run of the ReAct preset records its options in config.json, writes a version-3 model, and
    /// evaluates to the same accuracy and loss on the bit path and the float path (`bnas eval` exits 1
    /// when they differ); an ablation switch is recorded on top of the preset.
    @Test func reactRunsRecordTheirOptionsAndEvaluateAlikeOnBothPaths() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tiny = Array(Self.tinyXNOR.prefix { $0 != "--binarize" })
        let trained = try BNAS.run(tiny + ["--binarize", "react", "--sign-gradient", "ste", "--channels", "16", "--run", "react"], in: directory)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("xnor/binary+thresholds+shortcuts,"), "\(trained.stdout)")
        let run = directory.appendingPathComponent("runs/react")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any])
        #expect(config["binarize"] as? String == "xnor" && config["activations"] as? String == "binary")
        #expect(config["thresholds"] as? Bool == true && config["shortcuts"] as? Bool == true && config["signGradient"] == nil)
        let model = try Data(contentsOf: run.appendingPathComponent("model.bnn"))
        #expect(Array(model[8..<12]) == [3, 0, 0, 0], "model.bnn is version 3")
        let outcome = try BNAS.run(["eval", "runs/react", "--runs", "1"], in: directory)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let evaluation = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json"))) as? [String: Any])
        #expect(evaluation["disagreement"] == nil)
        #expect(evaluation["bitPathAccuracy"] as? Double == evaluation["floatPathAccuracy"] as? Double)
    }

    /// A damaged or cut model file: one line naming it and what is wrong, exit 1, the file left as it was
    /// and no evaluation.json.
    @Test func damagedModelFilesGetOneLine() throws {
        let directory = try Self.trainedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("runs/tiny/model.bnn")
        let intact = try Data(contentsOf: model)
        var flipped = intact
        flipped[intact.count - 20] ^= 0x01
        let cases = [(flipped, "bnas: model.bnn: checksum mismatch: the file is damaged"),
                     (intact.prefix(intact.count - 3), "bnas: model.bnn: truncated: expected \(intact.count) bytes, file has \(intact.count - 3)")]
        for (damaged, message) in cases {
            try damaged.write(to: model)
            let outcome = try BNAS.run(["eval", "runs/tiny"], in: directory)
            #expect(outcome.status == 1)
            #expect(outcome.stderrLines == [Substring(message)], "\(outcome.stderr)")
            #expect(try Data(contentsOf: model) == damaged)
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("runs/tiny/evaluation.json").path))
        }
    }

    /// A run folder that is not there is a read error, named as one.
    @Test func aMissingRunIsNotAWriteError() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(["eval", "runs/missing"], in: directory)
        #expect(outcome.status == 1 && outcome.stderrLines == ["bnas: cannot read runs/missing: no such run folder"], "\(outcome.stderr)")
    }
}
