import Foundation
import Network

/// The report of a training run: the curves from metrics.csv, the network's size and final accuracy from
/// results.json, `bnas eval`'s measurements from evaluation.json, the configuration from config.json.
struct TrainingReport {
    var name: String
    var configuration: TrainingConfiguration
    var table: ConfigurationTable
    var epochs: [EpochMetrics]
    var results: TrainingResults?
    var evaluation: ModelEvaluation?

    static func read(folder: URL) throws -> TrainingReport {
        let run = try RunFolder(existing: folder.path)
        let configuration = try TrainingConfiguration.read(from: run)
        let table = try ConfigurationTable.read(run.file("config.json")) ?? ConfigurationTable(entries: [])
        let results: TrainingResults? = try decodeIfPresent(run.file("results.json"), as: "training results")
        let evaluation: ModelEvaluation? = try decodeIfPresent(run.file(ModelEvaluation.fileName), as: "bnas eval result")
        let metrics = run.file("metrics.csv")
        let epochs = FileManager.default.fileExists(atPath: metrics.path) ? try TrainingSession.readMetrics(metrics) : results?.epochs ?? []
        return TrainingReport(name: run.name, configuration: configuration, table: table, epochs: epochs, results: results,
                              evaluation: evaluation)
    }

    static func decodeIfPresent<T: Decodable>(_ url: URL, as kind: String) throws -> T? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw ReportError.damaged(url.path, "not \(kind) (\(JSONErrorReason.describe(error)))")
        }
    }

    var html: String {
        let c = configuration
        var page = HTMLPage(title: "bnas train \(name)",
                            subtitle: "\(c.genotype) on \(c.dataset), \(c.layers) cells, C = \(c.channels), \(c.binarization.label), \(c.epochs) epochs")
        page.section(id: "outcome", title: "Outcome", [outcomeTable])
        page.section(id: "curves", title: "Loss and accuracy", curveFigures)
        page.section(id: "size", title: "Network", [sizeTable])
        page.section(id: "evaluation", title: "Evaluation (bnas eval)", evaluationParts)
        page.section(id: "configuration", title: "Configuration (config.json)",
                     [HTMLPage.table(id: "configuration-table", header: ["setting", "value"],
                                     rows: table.entries.map { [HTMLPage.Cell(text: $0.key), .code($0.value)] })])
        return page.html
    }

    var outcomeTable: String {
        guard let results else {
            let status = "not finished: \(epochs.count) of \(configuration.epochs) epochs so far"
            return HTMLPage.keyValues(id: "outcome-table", [("status", HTMLPage.Cell(text: status))])
        }
        return HTMLPage.keyValues(id: "outcome-table", [
            ("status", HTMLPage.Cell(text: "finished \(results.epochs.count) epochs in \(SearchHistory.duration(results.trainSeconds))")),
            ("test accuracy", HTMLPage.Cell(text: String(format: "%.2f%%", results.testAccuracy * 100))),
            ("test loss", HTMLPage.Cell(text: String(format: "%.4f", results.testLoss))),
            ("genotype", .code(results.genotype.dartsText())),
        ])
    }

    var curveFigures: [String] {
        guard !epochs.isEmpty else { return [HTMLPage.emptyFigure(id: "figure-loss", reason: "no epoch finished yet")] }
        func chart(_ label: String, format: AxisFormat, _ values: (EpochMetrics) -> (Double, Double?)) -> String {
            let points = epochs.map { (Double($0.epoch + 1), values($0)) }
            let series = [
                LineChart.Series(name: "train", style: "c-train", points: points.map { ChartPoint(x: $0.0, y: $0.1.0) }),
                LineChart.Series(name: "test", style: "c-validation", points: points.map { ChartPoint(x: $0.0, y: $0.1.1) }),
                LineChart.Series(name: "train", style: "c-train", points: points.map { ChartPoint(x: $0.0, y: $0.1.0) }, dots: true),
                LineChart.Series(name: "test", style: "c-validation", points: points.map { ChartPoint(x: $0.0, y: $0.1.1) }, dots: true),
            ]
            return LineChart(series: series, xLabel: "epoch", yLabel: label, yFormat: format, wholeX: true).svg(label: "\(label) per epoch")
        }
        let caption = "Train: means over each epoch's steps; test: the test images after each epoch."
        return [HTMLPage.row([
            HTMLPage.figure(id: "figure-loss", caption: "Loss. " + caption, chart("loss", format: .plain) { ($0.trainLoss, $0.testLoss) }),
            HTMLPage.figure(id: "figure-accuracy", caption: "Accuracy.", chart("accuracy", format: .percent) { ($0.trainAccuracy, $0.testAccuracy) }),
        ])]
    }

    var sizeTable: String {
        guard let results else { return HTMLPage.note("the sizes come with results.json, when the training ends") }
        var rows: [(String, HTMLPage.Cell)] = [
            ("parameters", .number(String(results.parameters))),
            ("without the auxiliary head", .number(String(results.parametersExcludingAuxiliary))),
            ("1-bit (binarized convolutions)", .number(String(results.binaryParameters))),
            ("32-bit (stem, batch norms, classifier, ...)", .number(String(results.floatParameters))),
        ]
        if let evaluation {
            rows.append(("model.bnn", .number("\(evaluation.modelFileBytes) bytes")))
            rows.append(("the same weights as float32", .number("\(evaluation.float32ModelBytes) bytes")))
        }
        return HTMLPage.keyValues(id: "size-table", rows)
    }

    var evaluationParts: [String] {
        guard let e = evaluation else { return [HTMLPage.note("no evaluation.json: `bnas eval runs/\(name)` measures the model on both paths")] }
        let chart = BarChart(width: 320, seriesNames: ["bit path", "float path"], styles: ["c-bit", "c-float"],
                             groups: [BarChart.Group(label: "images/s", values: [e.bitPathImagesPerSecond, e.floatPathImagesPerSecond],
                                                     note: String(format: "%.2fx", e.speedup))],
                             yLabel: "images per second")
        var rows: [(String, HTMLPage.Cell)] = [
            ("test images", .number(String(e.testImages))),
            ("accuracy, bit path / float path", .number(String(format: "%.2f%% / %.2f%%", e.bitPathAccuracy * 100, e.floatPathAccuracy * 100))),
            ("images/s, bit path / float path",
             .number(String(format: "%.0f / %.0f (%.2fx)", e.bitPathImagesPerSecond, e.floatPathImagesPerSecond, e.speedup))),
            ("binarized convolutions, s, bit path / float path",
             .number(String(format: "%.3f / %.3f", e.bitPathConvolutionSeconds, e.floatPathConvolutionSeconds))),
        ]
        if let disagreement = e.disagreement { rows.append(("disagreement", HTMLPage.Cell(text: disagreement))) }
        return [HTMLPage.row([HTMLPage.keyValues(id: "evaluation-table", rows),
                              HTMLPage.figure(id: "figure-evaluation", caption: "Inference speed on the bit kernels and on float kernels (medians).",
                                              chart.svg(label: "images per second, bit path against float path"))])]
    }
}
