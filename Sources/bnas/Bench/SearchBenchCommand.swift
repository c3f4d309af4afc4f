import ArgumentParser
import Benchmarks
import Foundation
import Search

/// `bnas bench search`: the time of the search's iterations at the default configuration and at
/// PC-DARTS's CIFAR configuration scaled to this machine, the candidate ops one by one, and with
/// `--policies`, whole searches under each reduction policy with the same epochs.
struct SearchBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Time search iterations (weight step + architecture step) and, with --policies, whole searches per policy.")

    @OptionGroup var options: BenchOptions

    @Flag(help: "Also run whole searches with --policy performance and --policy none (same epochs) and compare their wall time.")
    var policies = false

    @Option(name: .customLong("train-size"), help: "With --policies: images per half (the default search uses 10000).")
    var trainSize: Int = 10_000

    @Option(help: "With --policies: epochs of each search.")
    var epochs: Int = 20

    @Option(name: .customLong("warmup-epochs"), help: "With --policies: warm-up epochs of each search (default: the search's 5, at most --epochs - 1).")
    var warmupEpochs: Int?

    @Option(name: .customLong("reduction-interval"), help: "With --policies: epochs between two reduction steps (default: the search's 2).")
    var reductionInterval: Int?

    struct Row: Encodable {
        var setting: String
        var times: SearchBenchmark.IterationTimes
        var imagesPerSecond: Double
    }

    struct Report: Encodable {
        var iterations: [Row]
        var operations: [SearchBenchmark.OperationTime]
        var policyRuns: [SearchBenchmark.PolicyRun]
        var performanceOverNone: Double?
    }

    func validate() throws {
        guard trainSize >= 64, epochs >= 2 else { throw ValidationError("--train-size must be at least 64 and --epochs at least 2") }
        do { _ = try policyConfiguration() } catch { throw ValidationError("\(error)") }
    }

    /// The default search with the --policies size and schedule (the policy is set per run).
    func policyConfiguration() throws -> SearchConfiguration {
        var configuration = SearchConfiguration()
        configuration.trainSize = trainSize
        configuration.epochs = epochs
        configuration.warmupEpochs = warmupEpochs ?? min(configuration.warmupEpochs, epochs - 1)
        configuration.reductionInterval = reductionInterval ?? configuration.reductionInterval
        try configuration.validate()
        return configuration
    }

    func run() throws {
        try reportingErrors {
            let defaults = SearchConfiguration()
            let defaultData = try SearchData.load(defaults)
            let times = try SearchBenchmark.iterationTimes(defaults, data: defaultData, runs: options.runs)
            var rows = [Row(setting: "default: Fashion-MNIST 28x28, 5 cells, C=8, K=4, batch 64, xnor/binary", times: times,
                            imagesPerSecond: Double(2 * defaults.batchSize) / times.searchIteration)]
            let divisor = 8
            let (cifar, cifarTimes) = try SearchBenchmark.pcDartsCIFARTimes(batchDivisor: divisor, runs: options.runs)
            rows.append(Row(setting: "PC-DARTS CIFAR-10: 32x32x3, 8 cells, C=16, K=4, batch \(cifar.batchSize) (256/\(divisor)), xnor/binary",
                            times: cifarTimes, imagesPerSecond: Double(2 * cifar.batchSize) / cifarTimes.searchIteration))
            let operations = SearchBenchmark.operationTimes(defaults, size: 28, runs: options.runs)
            let policySetting = policies ? try policyConfiguration() : nil
            var policyRuns: [SearchBenchmark.PolicyRun] = []
            if let policySetting {
                // `none` runs first: on a shared virtual machine a long process's later minutes can run
                // slower (other guests, a fuller heap), and the later run should not be the baseline.
                policyRuns = try SearchBenchmark.policyRuns(policySetting, policies: [.none, .performance]) { line in
                    if !options.json { print(line); fflush(stdout) }
                }
            }
            let seconds = { (policy: ReductionPolicyKind) in policyRuns.first { $0.policy == policy }?.seconds }
            let ratio = seconds(.performance).flatMap { performance in seconds(.none).map { performance / $0 } }
            if options.json {
                try printJSON(Report(iterations: rows, operations: operations, policyRuns: policyRuns, performanceOverNone: ratio))
                return
            }
            var table = BenchTable(columns: ["setting", "params", "weight step ms", "search iteration ms", "images/s", "cores busy"])
            for row in rows {
                table.rows.append([row.setting, String(row.times.parameters), String(format: "%.1f", row.times.weightStep * 1000),
                                   String(format: "%.1f", row.times.searchIteration * 1000), String(format: "%.0f", row.imagesPerSecond),
                                   String(format: "%.2f", row.times.coresBusy)])
            }
            print(table.render())
            print("search iteration = architecture step + weight step, every op alive; median of \(options.runs) after warm-up;")
            print("cores busy = (process CPU time - time spent spinning for work) / wall time over the search iterations (2 = both cores working all the time)\n")
            var operationTable = BenchTable(columns: ["op (C/K=\(defaults.channels / defaults.partialK), 28x28, batch \(defaults.batchSize))", "fwd ms", "fwd+bwd ms"])
            for time in operations {
                operationTable.rows.append([time.operation.rawValue, String(format: "%.2f", time.forwardMilliseconds),
                                            String(format: "%.2f", time.trainingMilliseconds)])
            }
            print(operationTable.render())
            if let ratio, let policySetting {
                print("")
                let schedule = "\(policySetting.epochs) epochs, \(policySetting.warmupEpochs) warm-up, a reduction every \(policySetting.reductionInterval)"
                var policyTable = BenchTable(columns: ["policy (\(schedule); \(trainSize)+\(trainSize) images)", "wall s", "ops left"])
                for run in policyRuns {
                    policyTable.rows.append([run.policy.rawValue, String(format: "%.1f", run.seconds), String(run.survivingOperations)])
                }
                print(policyTable.render())
                print(String(format: "performance / none wall time: %.2fx", ratio))
            }
        }
    }
}
