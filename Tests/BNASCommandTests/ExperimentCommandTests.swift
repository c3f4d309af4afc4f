import Foundation
import Testing

/// `bnas experiment` and `bnas train --resume` through the real binary: bad input, the plan, refusals, Ctrl-C.
@Suite struct ExperimentCommandTests {
    @Test(arguments: [
        ["experiment", "bogus"],
        ["experiment"],
        ["experiment", "compare", "--dataset", "nope"],
        ["experiment", "compare", "--jobs", "2"],
        ["train", "--resume", "nothing-here"],
        ["train", "--resume", "a", "--run", "b"],
        ["train", "--test-size", "0"],
    ])
    func badInputGetsOneLineAndANonZeroExit(arguments: [String]) throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(arguments, in: directory)
        #expect(outcome.status != 0)
        #expect(outcome.stderr.split(separator: "\n").first.map { $0.hasPrefix("Error: ") || $0.hasPrefix("bnas: ") } == true, "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("runs").path))
    }

    /// A search variant lists its own table and runs; it applies to compare only, said in one line.
    @Test func aVariantIsPlannedForCompareAndRefusedElsewhere() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listed = try BNAS.run(["experiment", "compare", "--quick", "--variant", "scoring", "--list"], in: directory)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.hasPrefix("bnas experiment compare --variant scoring, quick size: 10 runs under "), "\(listed.stdout)")
        #expect(listed.stdout.contains(" 1. exp-quick-search-react-scoring-seed-0  todo  search (policy performance, K = 4)"))
        #expect(listed.stdout.contains("results/exp-quick-compare-scoring.md, .csv"))
        let refused = try BNAS.run(["experiment", "ablations", "--quick", "--variant", "long-warmup"], in: directory)
        #expect(refused.status == 1)
        #expect(refused.stderrLines == ["bnas: --variant changes the searched rows of compare, not of ablations"])
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("runs").path))
    }

    @Test func listPrintsThePlanAndRunsNothing() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(["experiment", "all", "--quick", "--list"], in: directory)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("bnas experiment all, quick size: 25 runs under ") == true)
        #expect(lines.filter { $0.contains("  todo  ") }.count == 25)
        #expect(lines.contains { $0.hasPrefix(" 1. exp-quick-search-react-seed-0  todo  search (policy performance, K = 4)") })
        #expect(lines.contains { $0.hasPrefix("  random:2: exp-quick-train-react-random-2") })
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("runs").path))
    }

    /// A folder of the plan that holds something else is refused with one line before anything runs.
    @Test func aForeignRunFolderIsRefusedAndKept() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = directory.appendingPathComponent("runs/exp-quick-train-react-random-1")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = Data("{\"mine\": true}".utf8)
        try config.write(to: folder.appendingPathComponent("config.json"))
        let outcome = try BNAS.run(["experiment", "compare", "--quick"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.stderrLines == ["bnas: \(folder.path)/config.json is not a training configuration: move \(folder.path) away"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("runs").path) == ["exp-quick-train-react-random-1"])
        #expect(try Data(contentsOf: folder.appendingPathComponent("config.json")) == config)
    }

    /// Ctrl-C stops a training after the current step with a checkpoint; `--resume` finishes it.
    @Test func ctrlCStopsATrainingThatResumeFinishes() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = BNAS.executable
        process.arguments = ["train", "--dataset", "synthetic", "--layers", "3", "--channels", "4", "--epochs", "20",
                             "--batch-size", "32", "--train-size", "256", "--test-size", "32", "--run", "stopped"]
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let metrics = directory.appendingPathComponent("runs/stopped/metrics.csv")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning, ((try? String(contentsOf: metrics, encoding: .utf8)) ?? "").split(separator: "\n").count < 2 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(process.processIdentifier, SIGINT)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(stdout.contains("continue with: bnas train --resume"), "\(stdout)")
        let run = directory.appendingPathComponent("runs/stopped")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint").path))
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("results.json").path))

        // Continue it (with fewer epochs left, the config still says 20: run it out).
        let resumed = try BNAS.run(["train", "--resume", "stopped"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains(", resumed in epoch "))
        #expect(resumed.stdout.contains("epoch 20/20"))
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("results.json").path))
        let again = try BNAS.run(["train", "--resume", "stopped"], in: directory)
        #expect(again.status == 1)
        #expect(again.stderrLines.count == 1 && again.stderr.contains("already finished"))
    }
}
