import ArgumentParser
import Foundation
import Tensor

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernel speed: medians after warm-up, ratios measured in the same process.",
        subcommands: [ConvBenchCommand.self, KernelBenchCommand.self, SearchBenchCommand.self, DashboardBenchCommand.self])
}

struct BenchOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Timed runs per measurement (the median is reported).")
    var runs: Int = 7

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }
}

/// A printed benchmark table: a header row and rows of cells, right-aligned except the first column.
struct BenchTable {
    let columns: [String]
    var rows: [[String]] = []

    func render() -> String {
        let widths = columns.indices.map { index in ([columns] + rows).map { $0[index].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(columns), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
