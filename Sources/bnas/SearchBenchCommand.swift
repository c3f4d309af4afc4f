import ArgumentParser
import Foundation
import Search

/// `bnas bench search`: the time of the search's iterations at the default configuration and at
/// PC-DARTS's CIFAR-10 configuration scaled to this machine.
struct SearchBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Time search iterations (weight step + architecture step).")

    @OptionGroup var options: BenchOptions

    struct Row: Encodable {
        var setting: String
        var times: SearchBenchmark.IterationTimes
        var imagesPerSecond: Double
    }

    func run() throws {
        try reportingErrors {
            var rows: [Row] = []
            let defaults = SearchConfiguration()
            let defaultData = try SearchData.load(defaults)
            let times = try SearchBenchmark.iterationTimes(defaults, data: defaultData, runs: options.runs)
            rows.append(Row(setting: "default: fashion-mnist 28x28, 5 cells, C=8, K=4, batch 64, xnor/binary", times: times,
                            imagesPerSecond: Double(2 * defaults.batchSize) / times.searchIteration))
            if options.json { try printJSON(rows); return }
            var table = BenchTable(columns: ["setting", "params", "weight step ms", "search iteration ms", "images/s"])
            for row in rows {
                table.rows.append([row.setting, String(row.times.parameters), String(format: "%.1f", row.times.weightStep * 1000),
                                   String(format: "%.1f", row.times.searchIteration * 1000), String(format: "%.0f", row.imagesPerSecond)])
            }
            print(table.render())
            var operations = BenchTable(columns: ["op (C/K=\(defaults.channels / defaults.partialK), 28x28, batch \(defaults.batchSize))", "fwd ms", "fwd+bwd ms"])
            for time in SearchBenchmark.operationTimes(defaults, size: 28, runs: options.runs) {
                operations.rows.append([time.operation.rawValue, String(format: "%.2f", time.forwardMilliseconds),
                                        String(format: "%.2f", time.trainingMilliseconds)])
            }
            print(operations.render())
        }
    }
}
