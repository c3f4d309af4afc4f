import Experiments
import Foundation
@testable import Report
import Testing

/// An experiment table as `bnas experiment` writes it, read back into the accuracy figure and the table.
struct ExperimentTableReportTests {
    @Test func csvFieldsMayBeQuotedAndDamageIsNamedWithItsLine() throws {
        let table = try CSVTable.parse("a,b,c\n1,\"x, \"\"y\"\"\",\n2,z,3\n4,partial", path: "t.csv")
        #expect(table.header == ["a", "b", "c"])
        #expect(table.rows == [["1", "x, \"y\"", ""], ["2", "z", "3"]])
        #expect(throws: ReportError.damaged("t.csv", "line 3 has 2 fields, the header 3")) { try CSVTable.parse("a,b,c\n1,2,3\n1,2\n", path: "t.csv") }
        #expect(throws: ReportError.damaged("t.csv", "line 2: a quote is not closed")) { try CSVTable.parse("a,b\n\"1,2\n", path: "t.csv") }
        #expect(throws: ReportError.damaged("t.csv", "no header line")) { try CSVTable.parse("", path: "t.csv") }
    }

    /// The compare table of the quick recipe (two searched seeds, three random genotypes) with every
    /// row measured but one published row.
    static func compareCSV() -> (csv: String, accuracies: [String: Double]) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("runs")
        let plan = ExperimentPlan(kind: .compare, recipe: .named(quick: true), root: root)
        var measurements = RunMeasurements()
        var accuracies: [String: Double] = [:]
        for (index, row) in plan.rows.enumerated() where row.key != "darts-v2" {
            let accuracy = 0.80 + 0.01 * Double(index)
            accuracies[row.key] = accuracy
            measurements.trainings[row.trainRun] = TrainingMeasurement(
                testAccuracy: accuracy, binaryParameters: row.group == .fullPrecision ? 0 : 10_000 + 1_000 * index, floatParameters: 3_000,
                modelFileBytes: 9_000, bitPathImagesPerSecond: 1_500, trainSeconds: 60)
        }
        return (ExperimentReport(plan: plan, table: .compare, measurements: measurements).csv, accuracies)
    }

    @Test func eachMeasuredRowIsADotInItsGroupsColourWithTheGroupsMeanAndSpread() throws {
        let (csv, accuracies) = Self.compareCSV()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("exp-quick-compare.csv")
        try Data(csv.utf8).write(to: file)
        #expect(try ReportTarget.resolve(file.path, runs: directory, results: directory) == .experimentTable(file))
        #expect(try ReportTarget.resolve("exp-quick-compare", runs: directory, results: directory) == .experimentTable(file))
        #expect(ReportTarget.experimentTable(file).output == directory.appendingPathComponent("exp-quick-compare.html"))

        let (html, _) = try Report.page(.experimentTable(file), graphviz: Graphviz(searchPath: ""))
        #expect(html.contains("rows measured (exp-quick-compare.csv)") && !html.contains(directory.path))
        let figure = try #require(ReportPageTests.figure("figure-accuracy", in: html))
        let dots = SVGTests.elements("circle", in: figure).filter { $0.contains("<title>") }
        #expect(dots.count == accuracies.count)
        for (group, count) in [("searched", 2), ("random", 3), ("published", 2), ("vetoed", 1), ("full-precision", 2)] {
            #expect(dots.filter { $0.contains("class=\"dot g-\(group)\"") }.count == count, "\(group)")
        }
        let randoms = ["random-1", "random-2", "random-3"].compactMap { accuracies[$0] }
        let (mean, spread) = Statistics.meanAndSpread(randoms)
        let expected = String(format: "random: mean %.2f%% ± %.2f points (sample standard deviation of 3)", mean * 100, spread * 100)
        #expect(SVGTests.elements("g", in: figure).contains { $0.hasPrefix("<g class=\"error-bar g-random\"><title>\(expected)</title>") })
        #expect(figure.contains(expected))
        // The table: every row of the CSV, the pending one too.
        let table = try #require(html.range(of: "<table id=\"experiment-table\">").map { String(html[$0.lowerBound...]) })
        #expect(table.components(separatedBy: "<tr>").count - 2 == accuracies.count + 1)
        #expect(table.contains("<td>pending</td>"))
    }

    @Test func aTableWithoutItsColumnsIsDamage() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("t.csv")
        try Data("row,group\na,b\n".utf8).write(to: file)
        #expect(throws: ReportError.damaged(file.path, "no 'status' column")) { try Report.page(.experimentTable(file), graphviz: Graphviz()) }
        #expect(throws: ReportError.notFound("nothing")) { try ReportTarget.resolve("nothing", runs: directory, results: directory) }
    }
}
