import Experiments
import Foundation

/// The report of an experiment table (results/NAME.csv, as `ExperimentReport.csv` writes it): test accuracy
/// against 1-bit parameters, a colour per group with each group's mean and spread, and the table.
struct ExperimentTableReport {
    typealias Column = ExperimentReport.Column

    /// A measured row.
    struct Measured: Equatable {
        var label: String
        var group: String
        var accuracy: Double
        var binaryParameters: Double
    }

    var name: String
    var table: CSVTable

    /// The groups in legend order: those `bnas experiment` plans, then any other the file names.
    static let groupOrder = ["searched", "random", "published", "vetoed", "full-precision", "training-noise", "ablation"]

    static func read(_ url: URL) throws -> ExperimentTableReport {
        let table = try CSVTable.read(url)
        for column in [Column.row, .group, .status, .testAccuracy, .binaryParameters] { _ = try table.column(column.rawValue, path: url.path) }
        let report = ExperimentTableReport(name: url.deletingPathExtension().lastPathComponent, table: table)
        _ = try report.measured(path: url.path)
        return report
    }

    func field(_ row: [String], _ column: Column) -> String {
        table.header.firstIndex(of: column.rawValue).map { row[$0] } ?? ""
    }

    /// The rows whose status is done; a done row without its numbers is damage.
    func measured(path: String) throws -> [Measured] {
        try table.rows.enumerated().compactMap { index, row in
            guard field(row, .status) == ExperimentReport.doneStatus else { return nil }
            guard let accuracy = try CSVTable.number(field(row, .testAccuracy), path: path, row: index),
                  let parameters = try CSVTable.number(field(row, .binaryParameters), path: path, row: index) else {
                throw ReportError.damaged(path, "line \(index + 2) is done but has no test accuracy or 1-bit parameters")
            }
            return Measured(label: field(row, .row), group: field(row, .group), accuracy: accuracy, binaryParameters: parameters)
        }
    }

    /// The groups of `rows` in legend order.
    static func groups(_ rows: [Measured]) -> [String] {
        let named = Set(rows.map(\.group))
        return groupOrder.filter(named.contains) + named.subtracting(groupOrder).sorted()
    }

    /// The page names the table by its file name, not by a path of this machine: screenshots of it go into the docs.
    func html(path: String) throws -> String {
        let rows = try measured(path: path)
        var page = HTMLPage(title: "bnas experiment \(name)",
                            subtitle: "\(rows.count) of \(table.rows.count) rows measured (\(URL(fileURLWithPath: path).lastPathComponent))")
        page.section(id: "accuracy", title: "Accuracy against 1-bit parameters", [figure(rows)])
        let columns = table.header
        let body = table.rows.map { row in
            row.enumerated().map { index, text -> HTMLPage.Cell in
                columns[index] == Column.command.rawValue ? .code(text) : Double(text) != nil ? .number(text) : HTMLPage.Cell(text: text)
            }
        }
        let table = HTMLPage.table(id: "experiment-table", header: columns, rows: body)
        page.section(id: "table", title: "The table", ["<div class=\"wide\">\n\(table)\n</div>"])
        return page.html
    }

    func figure(_ rows: [Measured]) -> String {
        guard !rows.isEmpty else { return HTMLPage.emptyFigure(id: "figure-accuracy", reason: "no row is measured yet") }
        var series: [LineChart.Series] = []
        var bars: [LineChart.ErrorBar] = []
        var summaries: [String] = []
        for group in Self.groups(rows) {
            let members = rows.filter { $0.group == group }
            let style = "g-\(group.filter { $0.isLetter || $0 == "-" })"
            series.append(LineChart.Series(name: group, style: style,
                                           points: members.map { ChartPoint(x: $0.binaryParameters, y: $0.accuracy, label: $0.label) },
                                           dots: true, dotRadius: 4.5))
            guard members.count > 1 else { continue }
            let (mean, spread) = Statistics.meanAndSpread(members.map(\.accuracy))
            let x = members.map(\.binaryParameters).reduce(0, +) / Double(members.count)
            let text = String(format: "%@: mean %.2f%% ± %.2f points (sample standard deviation of %d)",
                              group, mean * 100, spread * 100, members.count)
            bars.append(LineChart.ErrorBar(x: x, mean: mean, spread: spread, style: style, title: text))
            summaries.append(text)
        }
        let largest = rows.map(\.binaryParameters).max() ?? 1
        let xUpper = AxisScale.rounded(lower: 0, upper: max(largest, 1), count: 6).upper
        let chart = LineChart(width: 720, height: 320, series: series, errorBars: bars, xLabel: "1-bit parameters", yLabel: "test accuracy",
                              yFormat: .percent, xDomain: (0, xUpper))
        let caption = "Each measured row of the table, a colour per group; a bar marks a group's mean ± its sample standard deviation "
            + "(at the group's mean size). Full precision has no 1-bit parameters. " + summaries.joined(separator: "; ")
        return HTMLPage.figure(id: "figure-accuracy", caption: caption, chart.svg(label: "test accuracy against 1-bit parameters"))
    }
}
