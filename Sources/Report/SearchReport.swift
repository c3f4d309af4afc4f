import Foundation
import Network
import Search

/// The report of a search run: figures from events.jsonl, the cells from normal.dot and reduce.dot, the
/// configuration from config.json. A run still being written shows what its files hold so far.
struct SearchReport {
    /// The drawing of a cell, or why there is none.
    enum CellDrawing: Equatable {
        case svg(String)
        case missing(String)
    }

    var name: String
    /// Nil while events.jsonl holds no event.
    var history: SearchHistory?
    var configuration: ConfigurationTable?
    var cells: [CellType: CellDrawing]

    /// Points drawn per series at most: long runs are thinned (`thinned(to:)`), which keeps the file small.
    static let stepPoints = 600, alphaPoints = 200, kernelPoints = 400

    static func read(folder: URL, graphviz: Graphviz) throws -> SearchReport {
        var history: SearchHistory?
        do {
            history = SearchHistory(records: try EventLog.read(folder.appendingPathComponent("events.jsonl")))
        } catch EventLogError.empty {
            history = nil
        }
        let configuration = try ConfigurationTable.read(folder.appendingPathComponent("config.json"))
        var cells: [CellType: CellDrawing] = [:]
        for cell in CellType.allCases {
            let file = folder.appendingPathComponent("\(cell.rawValue).dot")
            if !FileManager.default.fileExists(atPath: file.path) {
                cells[cell] = .missing("no \(cell.rawValue).dot yet: the search writes the cells when it ends")
            } else if graphviz.executable == nil {
                cells[cell] = .missing(Graphviz.missingReason)
            } else {
                cells[cell] = .svg(try graphviz.svg(of: file, idPrefix: cell.rawValue))
            }
        }
        return SearchReport(name: folder.lastPathComponent, history: history, configuration: configuration, cells: cells)
    }

    /// What the page could not show for want of a tool (printed by `bnas report` too).
    var warnings: [String] { cells.values.contains(.missing(Graphviz.missingReason)) ? [Graphviz.missingReason] : [] }

    var html: String {
        var page = HTMLPage(title: "bnas search \(name)", subtitle: subtitle)
        guard let history else {
            let note = HTMLPage.note("events.jsonl holds no event yet: the search has not started its first step")
            page.section(id: "outcome", title: "Outcome", [note])
            page.section(id: "configuration", title: "Configuration", [configurationTable])
            return page.html
        }
        page.section(id: "outcome", title: "Outcome", [outcomeTable(history)])
        page.section(id: "curves", title: "Loss and accuracy", curveFigures(history))
        page.section(id: "alpha", title: "Architecture weights", alphaFigures(history))
        page.section(id: "reduction", title: "Operation-space reduction", reductionFigures(history))
        page.section(id: "cells", title: "Cells of the genotype", cellFigures)
        page.section(id: "kernels", title: "Kernels", kernelFigures(history))
        page.section(id: "configuration", title: "Configuration (config.json)", [configurationTable])
        return page.html
    }

    var subtitle: String {
        guard let started = history?.started else { return "a search that has not started" }
        let c = started.configuration
        return "\(started.dataset), \(started.trainImages) + \(started.validationImages) images, \(c.layers) cells, C = \(c.channels), "
            + "K = \(c.partialK), \(c.binarization.label), policy \(c.policy.rawValue), \(c.epochs) epochs (\(c.warmupEpochs) warm-up), "
            + "\(started.supernetParameters) supernet parameters"
    }

    // MARK: - Outcome and configuration

    func outcomeTable(_ history: SearchHistory) -> String {
        var rows: [(String, HTMLPage.Cell)] = [("status", HTMLPage.Cell(text: history.outcome))]
        if let genotype = history.genotype { rows.append(("genotype", .code(genotype.darts))) }
        if let last = history.epochs.last {
            let validation = last.validationAccuracy.map { String(format: "; validation accuracy %.2f%%", $0 * 100) } ?? ""
            let text = String(format: "%d: train loss %.4f, accuracy %.2f%%", last.epoch, last.trainLoss, last.trainAccuracy * 100) + validation
            rows.append(("last epoch", HTMLPage.Cell(text: text)))
            rows.append(("surviving operations", HTMLPage.Cell(text: String(last.survivingOperations))))
        }
        rows.append(("reduction steps", HTMLPage.Cell(text: String(history.reductions.count))))
        let accepted = history.vetoes.filter(\.accepted).count
        rows.append(("vetoes accepted / refused", HTMLPage.Cell(text: "\(accepted) / \(history.vetoes.count - accepted)")))
        return HTMLPage.keyValues(id: "outcome-table", rows)
    }

    var configurationTable: String {
        guard let configuration else { return HTMLPage.note("no config.json") }
        return HTMLPage.table(id: "configuration-table", header: ["setting", "value"],
                              rows: configuration.entries.map { [HTMLPage.Cell(text: $0.key), .code($0.value)] })
    }

    // MARK: - Curves

    /// The warm-up as a band and each reduction step and accepted veto as a marker, on an axis in epochs;
    /// with `edge`, only the vetoes of that edge.
    func schedule(_ history: SearchHistory, edge: (cell: CellType, edge: Int)? = nil) -> ([LineChart.Band], [LineChart.Marker]) {
        let warmup = history.configuration?.warmupEpochs ?? 0
        let bands = warmup > 0 ? [LineChart.Band(from: 0, to: Double(warmup), label: "warm-up")] : []
        var markers = history.reductions.map { reduction in
            LineChart.Marker(x: Double(reduction.epoch), label: "R\(reduction.index)", style: "reduction",
                             title: "reduction step \(reduction.index) after epoch \(reduction.epoch): \(reduction.removed.count) ops removed")
        }
        for veto in history.vetoes where veto.accepted {
            if let edge, edge.cell != veto.operation.cell || edge.edge != veto.operation.edge { continue }
            markers.append(LineChart.Marker(x: history.epochAxis(epoch: veto.epoch, step: veto.step), label: "V", style: "veto",
                                            title: "veto: \(veto.operation) removed in epoch \(veto.epoch), step \(veto.step)"))
        }
        return (bands, markers)
    }

    func curveFigures(_ history: SearchHistory) -> [String] {
        guard !history.steps.isEmpty else { return [HTMLPage.emptyFigure(id: "figure-loss", reason: "no step yet")] }
        let (bands, markers) = schedule(history)
        /// `step` and `epoch` give the (train, validation) values of a step and of an epoch.
        func chart(_ label: String, format: AxisFormat, step: (StepEvent) -> (Double, Double?), epoch: (EpochEvent) -> (Double, Double?)) -> String {
            let perStep = history.steps.map { (x: history.epochAxis(epoch: $0.epoch, step: $0.step), values: step($0)) }
            let perEpoch = history.epochs.map { (x: Double($0.epoch), values: epoch($0)) }
            let series = [
                LineChart.Series(name: "train", style: "c-train",
                                 points: perStep.map { ChartPoint(x: $0.x, y: $0.values.0) }.thinned(to: Self.stepPoints)),
                LineChart.Series(name: "validation", style: "c-validation",
                                 points: perStep.map { ChartPoint(x: $0.x, y: $0.values.1) }.thinned(to: Self.stepPoints)),
                LineChart.Series(name: "train, epoch", style: "c-train", points: perEpoch.map { ChartPoint(x: $0.x, y: $0.values.0) }, dots: true),
                LineChart.Series(name: "validation, epoch", style: "c-validation",
                                 points: perEpoch.map { ChartPoint(x: $0.x, y: $0.values.1) }, dots: true),
            ]
            return LineChart(series: series, markers: markers, bands: bands, xLabel: "epoch", yLabel: label, yFormat: format, wholeX: true)
                .svg(label: "\(label) per step and per epoch")
        }
        let loss = chart("loss", format: .plain, step: { ($0.trainLoss, $0.validationLoss) }, epoch: { ($0.trainLoss, $0.validationLoss) })
        let accuracy = chart("accuracy", format: .percent, step: { ($0.trainAccuracy, $0.validationAccuracy) },
                             epoch: { ($0.trainAccuracy, $0.validationAccuracy) })
        let caption = "Lines: running means over each epoch so far, after every step (train: the weight steps; validation: the "
            + "architecture steps, search epochs only). Dots: each epoch's mean. Shaded: warm-up; R: reduction steps; V: vetoes."
        return [HTMLPage.row([HTMLPage.figure(id: "figure-loss", caption: "Loss. " + caption, loss),
                              HTMLPage.figure(id: "figure-accuracy", caption: "Accuracy.", accuracy)])]
    }

    // MARK: - Architecture weights

    func alphaFigures(_ history: SearchHistory) -> [String] {
        guard let last = history.alphas.last else {
            return CellType.allCases.map { HTMLPage.emptyFigure(id: "figure-alpha-\($0.rawValue)", reason: "no alpha yet") }
        }
        let legend = HTMLPage.legend(OperationKind.allCases.map { ($0.rawValue, "op-\($0.index)") }
                                     + [("reduction step", "reduction"), ("veto", "veto")])
        let xDomain = (lower: 0.0, upper: max(1, Double(last.position) / Double(history.stepsPerEpoch)))
        var figures = [legend]
        for cell in CellType.allCases {
            let derived = Dictionary(history.derivedEdges(cell).map { ($0.edge, $0.operation) }, uniquingKeysWith: { first, _ in first })
            let trajectories = (0..<CellTopology.edgeCount).map { edge in
                OperationKind.allCases.map { history.alphaBeta(cell: cell, edge: edge, operation: $0) }
            }
            let largest = trajectories.joined().joined().compactMap(\.y).filter(\.isFinite).max() ?? 1
            let yDomain = AxisScale.rounded(lower: 0, upper: max(largest, 1e-6), count: 2)
            var rows: [String] = []
            for node in 0..<CellTopology.nodeCount {
                let panels = CellTopology.edges(into: node).map { edge -> String in
                    let (bands, markers) = schedule(history, edge: (cell, edge))
                    let series = OperationKind.allCases.map { op in
                        LineChart.Series(name: op.rawValue, style: "op-\(op.index)",
                                         points: trajectories[edge][op.index].thinned(to: Self.alphaPoints))
                    }
                    let title = CellTopology.label(of: edge) + (derived[edge].map { " ★ \($0.shortName)" } ?? "")
                    return LineChart(width: 236, height: 128, title: title, series: series, markers: markers, bands: bands,
                                     xDomain: xDomain, yDomain: (0, yDomain.upper), legend: false, compact: true, wholeX: true)
                        .svg(label: "alpha times beta on \(cell.rawValue) edge \(CellTopology.label(of: edge))")
                }
                rows.append("<div class=\"node-row\">" + panels.joined() + "</div>")
            }
            let caption = "\(cell == .normal ? "Normal" : "Reduction") cell: softmax(α) × β of every operation on each of the 14 edges "
                + "(a row per intermediate node, one y scale for the cell), against epochs. A line ends where its operation left the search. "
                + "★: the edges and operations of the genotype derived from the last α and β."
            figures.append(HTMLPage.figure(id: "figure-alpha-\(cell.rawValue)", caption: caption, rows.joined(separator: "\n")))
        }
        return figures
    }

    // MARK: - Reduction

    func reductionFigures(_ history: SearchHistory) -> [String] {
        var parts: [String] = []
        let timelines = CellType.allCases.map { ReductionTimeline(cell: $0, columns: ReductionTimeline.columns(history, cell: $0)) }
        if timelines.allSatisfy({ $0.columns.isEmpty }) {
            let first = history.configuration.map { " (the first comes after epoch \($0.warmupEpochs + $0.reductionInterval))" } ?? ""
            let reason = history.configuration?.policy == ReductionPolicyKind.none ? "policy none: the search keeps every operation"
                : "no reduction step yet" + first
            parts.append(HTMLPage.emptyFigure(id: "figure-reductions", reason: reason))
        } else {
            let drawings = timelines.map { HTMLPage.heading($0.cell == .normal ? "Normal cell" : "Reduction cell") + "\n" + $0.svg() }
            let caption = "Each column a reduction step (R, after the epoch named) or an accepted veto (V); each box the operation it removed "
                + "from that edge and the score it was ranked by (lowest goes). Hover a box for the edge's whole ranking."
            parts.append(HTMLPage.figure(id: "figure-reductions", caption: caption, drawings.joined(separator: "\n")))
        }
        if !history.vetoes.isEmpty {
            let rows = history.vetoes.map { veto -> [HTMLPage.Cell] in
                [.number("\(veto.epoch)"), .number("\(veto.step)"), HTMLPage.Cell(text: veto.operation.description),
                 HTMLPage.Cell(text: veto.accepted ? "accepted" : "refused: \(veto.reason ?? "")")]
            }
            parts.append(HTMLPage.heading("Vetoes"))
            parts.append(HTMLPage.table(id: "vetoes", header: ["epoch", "step", "operation", "result"], rows: rows))
        }
        return parts
    }

    // MARK: - Cells

    var cellFigures: [String] {
        if cells.values.contains(.missing(Graphviz.missingReason)) { return [HTMLPage.note(Graphviz.missingReason)] }
        let figures = CellType.allCases.map { cell -> String in
            let id = "figure-cell-\(cell.rawValue)"
            switch cells[cell] ?? .missing("no \(cell.rawValue).dot") {
            case .svg(let drawing):
                let caption = "\(cell == .normal ? "Normal" : "Reduction") cell (\(cell.rawValue).dot, drawn by Graphviz)."
                return HTMLPage.figure(id: id, caption: caption, drawing)
            case .missing(let reason): return HTMLPage.emptyFigure(id: id, reason: reason)
            }
        }
        return [HTMLPage.row(figures)]
    }

    // MARK: - Kernels

    func kernelFigures(_ history: SearchHistory) -> [String] {
        var parts: [String] = []
        if history.kernels.isEmpty {
            parts.append(HTMLPage.emptyFigure(id: "figure-throughput", reason: "no kernels event yet"))
        } else {
            let samples = history.kernels
            let bit = samples.map { ChartPoint(x: $0.time / 60, y: $0.event.bitOpsPerSecond) }.thinned(to: Self.kernelPoints)
            let float = samples.map { ChartPoint(x: $0.time / 60, y: $0.event.floatFLOPsPerSecond) }.thinned(to: Self.kernelPoints)
            let chart = LineChart(series: [LineChart.Series(name: "bit-ops/s (XNOR GEMM)", style: "c-bit", points: bit),
                                           LineChart.Series(name: "FLOP/s (float GEMM)", style: "c-float", points: float)],
                                  xLabel: "minutes since the start", yLabel: "per second")
            parts.append(HTMLPage.figure(id: "figure-throughput",
                                         caption: "Throughput inside the 1-bit XNOR-popcount GEMMs (a binary multiply-accumulate counts as 2 bit-ops) "
                                            + "and the float GEMMs, over each interval between two kernels events.",
                                         chart.svg(label: "kernel throughput over the search")))
        }
        if let latencies = history.latencies {
            let groups = latencies.latencies.map { entry in
                BarChart.Group(label: entry.operation.shortName, values: [entry.bitMilliseconds, entry.floatMilliseconds],
                               note: entry.bitMilliseconds > 0 ? String(format: "%.1fx", entry.floatMilliseconds / entry.bitMilliseconds) : "")
            }
            let chart = BarChart(seriesNames: ["bit path", "float path"], styles: ["c-bit", "c-float"], groups: groups, yLabel: "ms")
            let shape = [latencies.latencyChannels.map { "C = \($0)" }, latencies.latencySize.map { "\($0)x\($0)" },
                         latencies.latencyBatch.map { "batch \($0)" }].compactMap { $0 }.joined(separator: ", ")
            parts.append(HTMLPage.figure(id: "figure-latency",
                                         caption: "Forward latency of each binarized candidate operation at inference (\(shape); epoch \(latencies.epoch)'s probe), "
                                            + "on the bit kernels and in full precision; above each pair the speed-up.",
                                         chart.svg(label: "per-operation latency, bit path against float path")))
        } else {
            parts.append(HTMLPage.emptyFigure(id: "figure-latency", reason: "no latency probe yet (one runs after every epoch)"))
        }
        return [HTMLPage.row(parts)]
    }
}
