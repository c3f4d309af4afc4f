import Foundation
import Testing

/// Runs the real `bnas` executable (built by `swift test` as a dependency of this target) and checks
/// exit codes, the one-line errors of bad input, and the files a run writes.
struct BNAS {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bnas")
    }

    /// Runs bnas in `directory`; `environment` replaces the test's environment when given.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String]? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite struct CommandLineTests {
    let tiny = ["train", "--dataset", "synthetic", "--layers", "3", "--channels", "4", "--epochs", "1",
                "--batch-size", "32", "--train-size", "64"]

    @Test func trainsOnTheSyntheticSetAndWritesTheRunFolder() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(tiny + ["--run", "tiny"], in: directory)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("epoch 1/1"))
        #expect(outcome.stdout.contains("test accuracy"))
        let run = directory.appendingPathComponent("runs/tiny")
        for file in ["config.json", "metrics.csv", "results.json"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "\(file) missing")
        }
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("results.json"))) as? [String: Any]
        let accuracy = results?["testAccuracy"] as? Double
        #expect(accuracy.map { (0...1).contains($0) } == true)

        // A second run with the same name is refused and leaves the first one as it was.
        let before = try Data(contentsOf: run.appendingPathComponent("results.json"))
        let again = try BNAS.run(tiny + ["--run", "tiny"], in: directory)
        #expect(again.status == 1)
        #expect(again.stderrLines.count == 1 && again.stderr.contains("already exists"))
        #expect(try Data(contentsOf: run.appendingPathComponent("results.json")) == before)
    }

    @Test(arguments: [
        (["--epochs", "0"], "--epochs"),
        (["--channels", "5"], "--channels"),
        (["--layers", "2"], "--layers"),
        (["--batch-size", "1"], "--batch-size"),
        (["--dataset", "imagenet"], "imagenet"),
        (["--binarize", "ternary"], "ternary"),
    ])
    func impossibleFlagsAreRefusedBeforeAnythingStarts(extra: [String], mentioned: String) throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(tiny + extra, in: directory)
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains(mentioned), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("runs").path))
    }

    /// The schedule of `bench search --policies` is checked before any benchmark runs (they take minutes).
    @Test(arguments: [
        (["--epochs", "4", "--warmup-epochs", "4"], "--warmup-epochs"),
        (["--warmup-epochs", "-1"], "--warmup-epochs"),
        (["--reduction-interval", "0"], "--reduction-interval"),
    ])
    func impossibleBenchSchedulesAreRefusedBeforeAnythingRuns(extra: [String], mentioned: String) throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let start = Date()
        let outcome = try BNAS.run(["bench", "search", "--policies", "--runs", "1"] + extra, in: directory)
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains(mentioned), "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty, "\(outcome.stdout)")
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func unknownAndMalformedGenotypesGetOneLine() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let unknown = try BNAS.run(tiny + ["--genotype", "darts-v3"], in: directory)
        #expect(unknown.status == 1)
        #expect(unknown.stderrLines.count == 1 && unknown.stderr.contains("darts-v3"), "\(unknown.stderr)")

        let file = directory.appendingPathComponent("broken.json")
        try Data(#"{"normal": [{"op": "sep_conv_3x3", "input": 0}"#.utf8).write(to: file)
        let malformed = try BNAS.run(tiny + ["--genotype", file.path], in: directory)
        #expect(malformed.status == 1)
        #expect(malformed.stderrLines.count == 1 && malformed.stderr.contains("broken.json"), "\(malformed.stderr)")
    }

    @Test func missingAndDamagedDataSetsNameTheProblem() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = ["train", "--layers", "3", "--channels", "4", "--epochs", "1"]
        let missing = try BNAS.run(base + ["--data-dir", directory.appendingPathComponent("nowhere").path], in: directory)
        #expect(missing.status == 1)
        #expect(missing.stderrLines.count == 1 && missing.stderr.contains("--data-dir"), "\(missing.stderr)")

        // A gzip file whose body is garbage.
        let damaged = directory.appendingPathComponent("damaged")
        try FileManager.default.createDirectory(at: damaged, withIntermediateDirectories: true)
        let garbage = Data([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03] + Array(repeating: 0xAB, count: 64))
        for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try garbage.write(to: damaged.appendingPathComponent(name))
        }
        let corrupt = try BNAS.run(base + ["--data-dir", damaged.path], in: directory)
        #expect(corrupt.status == 1)
        #expect(corrupt.stderrLines.count == 1 && corrupt.stderr.contains("gzip"), "\(corrupt.stderr)")
        #expect(corrupt.stderr.contains("idx"), "the message names the file: \(corrupt.stderr)")
    }
}
