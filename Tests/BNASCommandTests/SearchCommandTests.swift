import Foundation
import Network
import Testing

/// `bnas search --headless`, `--resume`, `bnas export` and the search's refusals, through the real binary.
@Suite(.serialized) struct SearchCommandTests {
    /// XNOR with binary activations (the default) on 16x16 synthetic images, 8 steps per epoch.
    static func tiny(epochs: Int = 4) -> [String] {
        ["search", "--headless", "--dataset", "synthetic", "--layers", "3", "--channels", "4", "--partial-k", "2",
         "--epochs", String(epochs), "--warmup-epochs", "1", "--reduction-interval", "1", "--sampling-rounds", "2",
         "--scoring-batches", "1", "--train-size", "128", "--batch-size", "16", "--seed", "3"]
    }

    static func metricsWithoutTimes(_ run: URL) throws -> [String] {
        try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",") }
    }

    /// A search killed with SIGKILL in the middle of an epoch and resumed ends with the same genotype
    /// and the same per-epoch metrics as one that ran straight through.
    @Test func aSearchKilledMidEpochAndResumedMatchesAnUninterruptedOne() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let straight = try BNAS.run(Self.tiny() + ["--run", "straight"], in: directory)
        #expect(straight.status == 0, "\(straight.stderr)")
        #expect(straight.stdout.contains("BNAS = Genotype(normal=["))

        let process = Process()
        process.executableURL = BNAS.executable
        process.arguments = Self.tiny() + ["--run", "killed"]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let events = directory.appendingPathComponent("runs/killed/events.jsonl")
        let deadline = Date().addingTimeInterval(120)
        var midEpoch = false
        while Date() < deadline && process.isRunning && !midEpoch {
            Thread.sleep(forTimeInterval: 0.005)
            let text = (try? String(contentsOf: events, encoding: .utf8)) ?? ""
            midEpoch = text.contains(#""epoch":3,"epochs":4,"imagesPerSecond""#) && text.contains(#""step":3,"stepsPerEpoch":8"#)
                && text.split(separator: "\n").last.map { $0.contains(#""epoch":3"#) } == true
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(midEpoch, "the search was not caught in the middle of epoch 3")
        #expect(process.terminationReason == .uncaughtSignal)
        let killed = directory.appendingPathComponent("runs/killed")
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("genotype.json").path))

        let resumed = try BNAS.run(["search", "--headless", "--resume", "killed"], in: directory)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed after epoch 2"), "\(resumed.stdout)")
        let straightRun = directory.appendingPathComponent("runs/straight")
        #expect(try Data(contentsOf: killed.appendingPathComponent("genotype.json")) == Data(contentsOf: straightRun.appendingPathComponent("genotype.json")))
        #expect(try Self.metricsWithoutTimes(killed) == Self.metricsWithoutTimes(straightRun))
        #expect(try Self.metricsWithoutTimes(killed).count == 5)

        // The genotype exports for the PyTorch code and trains here.
        let darts = try BNAS.run(["export", "runs/straight", "--format", "darts"], in: directory)
        #expect(darts.status == 0 && darts.stdout.contains("PRIMITIVES = [") && darts.stdout.contains("BNAS = Genotype("))
        let dot = try BNAS.run(["export", "runs/straight", "--format", "dot", "--cell", "reduce"], in: directory)
        #expect(dot.status == 0 && dot.stdout.hasPrefix("digraph"))
        // The genotypes the experiments train by name export too; a name that is none of them is one line.
        let random = try BNAS.run(["export", "random:3", "--format", "json"], in: directory)
        #expect(random.status == 0, "\(random.stderr)")
        let file = directory.appendingPathComponent("random-3.json")
        try Data(random.stdout.utf8).write(to: file)
        #expect(try Genotype.resolve(file.path) == Genotype.random(seed: 3))
        let published = try BNAS.run(["export", "pc-darts", "--name", "PC_DARTS"], in: directory)
        #expect(published.status == 0 && published.stdout.contains("PC_DARTS = Genotype("), "\(published.stderr)")
        let unknown = try BNAS.run(["export", "runs/nothing"], in: directory)
        #expect(unknown.status == 1)
        #expect(unknown.stderrLines == ["bnas: runs/nothing not found: is runs/nothing a finished (or stopped) search run, "
                                        + "a published genotype (darts-v2, pc-darts, bnas-xnor) or random:SEED?"], "\(unknown.stderr)")
        let train = try BNAS.run(["train", "--genotype", "runs/straight/genotype.json", "--dataset", "synthetic", "--layers", "3",
                                  "--channels", "4", "--epochs", "1", "--batch-size", "32", "--train-size", "64", "--run", "trained"], in: directory)
        #expect(train.status == 0, "\(train.stderr)")
    }

    @Test func aDamagedCheckpointFallsBackToThePreviousOneOrIsRefused() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let short = Self.tiny(epochs: 2) + ["--run", "short"]
        #expect(try BNAS.run(short, in: directory).status == 0)
        let run = directory.appendingPathComponent("runs/short")
        // A finished search has nothing to resume.
        let finished = try BNAS.run(["search", "--headless", "--resume", "short"], in: directory)
        #expect(finished.status == 1 && finished.stderr.contains("nothing to resume"), "\(finished.stderr)")

        // Truncate the newest checkpoint: the previous one (after epoch 1) is used, with a warning.
        let checkpoint = run.appendingPathComponent("checkpoint")
        let bytes = try Data(contentsOf: checkpoint)
        try bytes.prefix(bytes.count - 10).write(to: checkpoint)
        let fallback = try BNAS.run(["search", "--headless", "--resume", "short"], in: directory)
        #expect(fallback.status == 0, "\(fallback.stderr)")
        #expect(fallback.stderr.contains("checksum mismatch") && fallback.stderr.contains("using checkpoint.previous"), "\(fallback.stderr)")
        #expect(fallback.stdout.contains("resumed after epoch 1"))

        // Both damaged: one line, non-zero exit, files left as they were.
        try Data("garbage".utf8).write(to: checkpoint)
        try Data("garbage".utf8).write(to: run.appendingPathComponent("checkpoint.previous"))
        let refused = try BNAS.run(["search", "--headless", "--resume", "short"], in: directory)
        #expect(refused.status == 1 && refused.stderrLines.count == 1 && refused.stderr.contains("damaged checkpoint"), "\(refused.stderr)")
        #expect(refused.stderr.hasPrefix("bnas: no usable checkpoint in "), "\(refused.stderr)")
        #expect(refused.stderr.components(separatedBy: checkpoint.path + ":").count == 2, "each file named once: \(refused.stderr)")
        #expect(try Data(contentsOf: checkpoint) == Data("garbage".utf8))

        // A config.json that is not a search configuration is named as what it is, not as a checkpoint.
        let config = run.appendingPathComponent("config.json")
        try Data("{}".utf8).write(to: config)
        let badConfig = try BNAS.run(["search", "--headless", "--resume", "short"], in: directory)
        #expect(badConfig.status == 1 && badConfig.stderrLines == ["bnas: \(config.path) is damaged: not a search configuration (missing key 'dataset')"],
                "\(badConfig.stderr)")
        #expect(try Data(contentsOf: config) == Data("{}".utf8))
    }

    @Test(arguments: [
        (["--partial-k", "3"], "--partial-k 3 must divide --channels 4"),
        (["--epochs", "0"], "--epochs"),
        (["--policy", "random"], "random"),
        (["--warmup-epochs", "4"], "--warmup-epochs"),
        (["--resume", "nowhere"], "no such run folder"),
        (["--binarize", "react", "--activations", "real"], "--activations binary"),
        (["--binarize", "none", "--shortcuts", "on"], "need binarized weights"),
        (["--thresholds", "maybe"], "maybe"),
        (["--veto", "max_pool_3x3,conv_7x7"], "--veto: unknown operation 'conv_7x7'"),
        (["--veto", "max_pool_3x3,avg_pool_3x3,skip_connect,sep_conv_3x3,sep_conv_5x5,dil_conv_3x3,dil_conv_5x5"], "leave no operation"),
    ])
    func impossibleSearchFlagsAreRefusedBeforeAnythingStarts(extra: [String], mentioned: String) throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(Self.tiny() + extra, in: directory)
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains(mentioned), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("runs").path))
    }

    /// `--binarize react` with a switch on top: the supernet is built with the flavour, config.json
    /// records its options (what `--resume` rebuilds it from), and the search ends with a genotype.
    @Test func aReactSearchRecordsItsOptionsAndFinishes() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(Self.tiny(epochs: 2) + ["--binarize", "react", "--shortcuts", "off", "--run", "react"], in: directory)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("xnor/binary+thresholds+approxsign, policy"), "\(outcome.stdout)")
        let run = directory.appendingPathComponent("runs/react")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any])
        #expect(config["binarize"] as? String == "xnor" && config["thresholds"] as? Bool == true && config["signGradient"] as? String == "approx")
        #expect(config["shortcuts"] == nil)
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("genotype.json").path))
    }

    @Test func aDivergingSearchExitsNonZeroWithTheReason() throws {
        let directory = try BNAS.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcome = try BNAS.run(Self.tiny() + ["--learning-rate", "1e30", "--binarize", "none", "--run", "nan"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("the loss became") && outcome.stderr.contains("last good state"), "\(outcome.stderr)")
        let events = try String(contentsOf: directory.appendingPathComponent("runs/nan/events.jsonl"), encoding: .utf8)
        #expect(events.split(separator: "\n").last?.contains(#""type":"error""#) == true)
    }
}
