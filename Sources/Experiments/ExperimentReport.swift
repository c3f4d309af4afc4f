import Foundation

/// What a finished training run measured: results.json and evaluation.json, reduced to the table's columns.
public struct TrainingMeasurement: Equatable, Sendable {
    /// Of the final model, on the recipe's test images (fraction, 0...1).
    public var testAccuracy: Double
    public var binaryParameters: Int
    public var floatParameters: Int
    public var modelFileBytes: Int
    /// Inference on the bit path, as `bnas eval` measures it.
    public var bitPathImagesPerSecond: Double
    public var trainSeconds: Double

    public init(testAccuracy: Double, binaryParameters: Int, floatParameters: Int, modelFileBytes: Int,
                bitPathImagesPerSecond: Double, trainSeconds: Double) {
        self.testAccuracy = testAccuracy
        self.binaryParameters = binaryParameters
        self.floatParameters = floatParameters
        self.modelFileBytes = modelFileBytes
        self.bitPathImagesPerSecond = bitPathImagesPerSecond
        self.trainSeconds = trainSeconds
    }
}

/// The measurements of the finished runs, by run name (runs not finished are absent: pending).
public struct RunMeasurements: Equatable, Sendable {
    public var trainings: [String: TrainingMeasurement] = [:]
    /// Wall time of a finished search, across resumes.
    public var searchSeconds: [String: Double] = [:]

    public init() {}
}

/// One table of an experiment as Markdown (rows, summary, targets) and as CSV.
///
/// The targets (docs/experiments.md#targets): the searched genotypes reach 90.0% on average and beat the random
/// genotypes' mean by 0.5 points; binarizing costs at most 3 points against full precision (in `binarization`:
/// the best binarized row, which must reach 90.0%, against full precision with the same recipe); the
/// performance search (and the early schedule) takes at most 0.6x the time of the search without reduction.
public struct ExperimentReport {
    public let plan: ExperimentPlan
    public let table: ExperimentKind
    public let measurements: RunMeasurements

    public init(plan: ExperimentPlan, table: ExperimentKind, measurements: RunMeasurements) {
        self.plan = plan
        self.table = table
        self.measurements = measurements
    }

    var rows: [ExperimentRow] { plan.rows.filter { $0.table == table } }

    /// Whether the table has rows of `group` (a compare with a search variant has no vetoed or twin rows).
    func has(_ group: RowGroup) -> Bool { rows.contains { $0.group == group } }

    func training(_ key: String) -> TrainingMeasurement? {
        rows.first { $0.key == key }.flatMap { measurements.trainings[$0.trainRun] }
    }

    /// Test accuracy of row `variant` minus that of row `baseline`, once both are measured.
    func accuracyDifference(_ variant: String, _ baseline: String) -> Double? {
        training(variant).flatMap { v in training(baseline).map { v.testAccuracy - $0.testAccuracy } }
    }

    /// "VARIANT − BASELINE: +x.xx points" (or "pending"), by the rows' labels; nil when either row is not planned.
    func differenceLine(_ variant: String, _ baseline: String) -> String? {
        guard let a = rows.first(where: { $0.key == variant }), let b = rows.first(where: { $0.key == baseline }) else { return nil }
        return "\(a.label) − \(b.label): \(accuracyDifference(variant, baseline).map { Self.points($0) } ?? "pending")"
    }

    func searchSeconds(_ key: String) -> Double? {
        rows.first { $0.key == key }?.searchRun.flatMap { measurements.searchSeconds[$0] }
    }

    // MARK: - Markdown

    public var markdown: String {
        var lines = ["# \(plan.title(table))", "", plan.recipe.description(for: table)]
        if let deviation = plan.recipe.deviation { lines += ["", "Note: \(deviation)."] }
        lines += [
            "",
            "| row | group | test accuracy | 1-bit params | 32-bit params | model.bnn bytes | bit path images/s | training s | search s | runs | command |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for row in rows {
            let runs = ([row.searchRun, row.trainRun].compactMap { $0 }).map { "`\($0)`" }.joined(separator: ", ")
            let search = row.searchRun.map { measurements.searchSeconds[$0].map(Self.seconds) ?? "pending" } ?? "–"
            let command = "`\(plan.command(row))`"
            guard let m = measurements.trainings[row.trainRun] else {
                lines.append("| \(row.label) | \(row.group.rawValue) | pending | | | | | | \(search) | \(runs) | \(command) |")
                continue
            }
            lines.append("| \(row.label) | \(row.group.rawValue) | \(Self.percent(m.testAccuracy)) | \(ExperimentRecipe.count(m.binaryParameters)) | "
                         + "\(ExperimentRecipe.count(m.floatParameters)) | \(ExperimentRecipe.count(m.modelFileBytes)) | "
                         + "\(String(format: "%.0f", m.bitPathImagesPerSecond)) | \(Self.seconds(m.trainSeconds)) | \(search) | \(runs) | \(command) |")
        }
        var searches: [String] = []
        for command in rows.compactMap(plan.searchCommand) where !searches.contains(command) { searches.append(command) }
        if !searches.isEmpty { lines += ["", "Searches:", ""] + searches.map { "- `\($0)`" } }
        lines += ["", "## Summary", ""] + summary.map { "- \($0)" }
        lines += ["", "## Targets", "", "| target | measured | result |", "| --- | --- | --- |"]
        lines += targets.map { "| \($0.target) | \($0.measured ?? "pending") | \($0.met.map { $0 ? "met" : "missed" } ?? "pending") |" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The test accuracies (fractions) of a group's rows, in row order, when every one is measured.
    func accuracies(_ group: RowGroup) -> [Double]? {
        let keys = rows.filter { $0.group == group }.map(\.key)
        let values = keys.compactMap { training($0)?.testAccuracy }
        return values.count == keys.count && !values.isEmpty ? values : nil
    }

    /// "mean ± spread (n; range)" of a group, or what is measured of it so far.
    func groupText(_ group: RowGroup) -> String {
        let keys = rows.filter { $0.group == group }.map(\.key)
        guard let values = accuracies(group) else {
            return "pending (\(keys.compactMap { training($0) }.count) of \(keys.count) measured)"
        }
        let (mean, spread) = Statistics.meanAndSpread(values)
        guard values.count > 1 else { return Self.percent(mean) }
        return String(format: "%.2f%% ± %.2f (sample standard deviation of %d; range %.2f-%.2f%%)", mean * 100, spread * 100,
                      values.count, (values.min() ?? 0) * 100, (values.max() ?? 0) * 100)
    }

    var summary: [String] {
        switch table {
        case .compare:
            let groups: [RowGroup] = [.searched, .random, .published, .fullPrecision, .vetoed]
            var lines = groups.filter(has).map { "\($0.rawValue): \(groupText($0))" }
            lines.append("searched − random: " + (searchedMinusRandom.map { interval in
                String(format: "%+.2f points, 95%% confidence interval [%+.2f, %+.2f] (Welch's t, %.1f degrees of freedom)",
                       interval.difference * 100, interval.low * 100, interval.high * 100, interval.degreesOfFreedom)
            } ?? "pending"))
            if has(.fullPrecision) {
                lines.append("full precision − searched, per seed (the binarization gap): " + (binarizationGaps.map { gaps in
                    gaps.map { Self.points($0) }.joined(separator: ", ") + ", mean " + Self.points(Statistics.meanAndSpread(gaps).mean)
                } ?? "pending"))
            }
            let vetoed = accuracies(.vetoed).flatMap { v in accuracies(.searched).map { v[0] - Statistics.meanAndSpread($0).mean } }
            if has(.vetoed) {
                lines.append("vetoed − searched mean: \(vetoed.map { Self.points($0) } ?? "pending")")
            }
            if let noise = trainingNoise {
                lines.append("training noise, \(noise.label) trained with seeds \(noise.seeds): " + (noise.accuracies.map { values in
                    let (mean, spread) = Statistics.meanAndSpread(values)
                    return values.map(Self.percent).joined(separator: ", ")
                        + String(format: " (mean %.2f%% ± %.2f)", mean * 100, spread * 100)
                } ?? "pending"))
            }
            let searchTimes = rows.filter { $0.group == .searched }.compactMap { $0.searchRun.flatMap { measurements.searchSeconds[$0] } }
            lines.append("search cost: " + (searchTimes.isEmpty ? "pending" : searchTimes.map(Self.seconds).joined(separator: ", ")
                                            + " s (mean \(Self.seconds(Statistics.meanAndSpread(searchTimes).mean)) s)"))
            return lines
        case .binarization:
            // The recipe row against the paper's XNOR; every ingredient (and all of them) against the
            // recipe row it is added to, which is what that ingredient buys.
            var lines = rows.filter { $0.group == .ablation && $0.key != "paper-xnor" }.compactMap { row in
                differenceLine(row.key, row.key == "recipe" ? "paper-xnor" : "recipe")
            }
            lines.append("full precision − best binarized row (the binarization gap): "
                         + (bestBinarizedGap.map { "\(Self.points($0.gap)) (\($0.row.label))" } ?? "pending"))
            return lines
        case .ablations, .all:
            let lines = ["search time, policy performance / none: \(ratioText(searchTimeRatio, "policy-performance", "policy-none"))",
                         "search time, early schedule / policy none: \(ratioText(earlyTimeRatio, "schedule-early", "policy-none"))",
                         "search time, K = 1 / K = \(plan.recipe.search.partialK): \(ratioText(kTimeRatio, "k-1", "k-\(plan.recipe.search.partialK)"))"]
            let pairs = [("policy-alpha", "policy-performance"), ("policy-none", "policy-performance"), ("schedule-early", "policy-performance"),
                         ("weights-pcnn", "weights-xnor"),
                         ("k-1", "k-\(plan.recipe.search.partialK)"), ("activations-real", "activations-binary")]
            return lines + pairs.compactMap { differenceLine($0.0, $0.1) }
        }
    }

    /// Mean searched minus mean random accuracy with its Welch interval, once both groups are measured.
    var searchedMinusRandom: (difference: Double, low: Double, high: Double, degreesOfFreedom: Double)? {
        guard let searched = accuracies(.searched), let randoms = accuracies(.random) else { return nil }
        return Statistics.welchInterval(searched, randoms)
    }

    /// The first searched genotype's training seeds and accuracies, its own row's and the noise rows'
    /// (nil accuracies until all are measured); nil when the table has no noise rows.
    var trainingNoise: (seeds: String, label: String, accuracies: [Double]?)? {
        let noise = rows.filter { $0.group == .trainingNoise }
        guard !noise.isEmpty, let seed = plan.recipe.searchSeeds.first,
              let searched = rows.first(where: { $0.key == "searched-\(seed)" }) else { return nil }
        let keys = [searched.key] + noise.map(\.key)
        let values = keys.compactMap { training($0)?.testAccuracy }
        let seeds = ([searched] + noise).compactMap { row -> UInt64? in
            guard case .train(let configuration, _)? = plan.run(named: row.trainRun)?.work else { return nil }
            return configuration.seed
        }.map(String.init).joined(separator: ", ")
        return (seeds, searched.label, values.count == keys.count ? values : nil)
    }

    /// Full precision minus binarized accuracy of each searched genotype whose two rows are measured
    /// (keys `searched-SEED` and `full-precision-SEED`); nil while none is.
    var binarizationGaps: [Double]? {
        let gaps = rows.filter { $0.group == .searched }.compactMap { row -> Double? in
            let seed = row.key.dropFirst("searched-".count)
            guard let binary = training(row.key)?.testAccuracy, let float = training("full-precision-\(seed)")?.testAccuracy else { return nil }
            return float - binary
        }
        return gaps.isEmpty ? nil : gaps
    }

    /// Full precision with the recipe for binary networks, minus the best binarized row measured so far
    /// (nil until full precision and one binarized row are measured).
    var bestBinarizedGap: (gap: Double, row: ExperimentRow)? {
        guard let float = training("full-precision")?.testAccuracy else { return nil }
        let measured = rows.filter { $0.group == .ablation }.compactMap { row in training(row.key).map { (row, $0.testAccuracy) } }
        guard let best = measured.max(by: { $0.1 < $1.1 }) else { return nil }
        return (float - best.1, best.0)
    }

    var searchTimeRatio: Double? { ratio(searchSeconds("policy-performance"), searchSeconds("policy-none")) }
    var earlyTimeRatio: Double? { ratio(searchSeconds("schedule-early"), searchSeconds("policy-none")) }
    var kTimeRatio: Double? { ratio(searchSeconds("k-1"), searchSeconds("k-\(plan.recipe.search.partialK)")) }

    func ratio(_ numerator: Double?, _ denominator: Double?) -> Double? {
        guard let numerator, let denominator, denominator > 0 else { return nil }
        return numerator / denominator
    }

    func ratioText(_ ratio: Double?, _ numerator: String, _ denominator: String) -> String {
        guard let ratio, let a = searchSeconds(numerator), let b = searchSeconds(denominator) else { return "pending" }
        return String(format: "%.2fx (%@ s / %@ s)", ratio, Self.seconds(a), Self.seconds(b))
    }

    /// A target, what was measured (nil: pending) and whether it was met.
    struct Target: Equatable {
        var target: String
        var measured: String?
        var met: Bool?
    }

    var targets: [Target] {
        switch table {
        case .compare:
            let searched = accuracies(.searched).map { Statistics.meanAndSpread($0).mean }
            let difference = searchedMinusRandom
            let gap = binarizationGaps.map { Statistics.meanAndSpread($0).mean }
            return [
                Target(target: "searched mean ≥ 90.0% (1-bit weights and activations)", measured: searched.map(Self.percent),
                       met: searched.map { $0 * 100 >= 90.0 }),
                Target(target: "searched mean ≥ random mean + 0.5 points",
                       measured: difference.map { String(format: "%+.2f points [%+.2f, %+.2f]", $0.difference * 100, $0.low * 100, $0.high * 100) },
                       met: difference.map { $0.difference * 100 >= 0.5 }),
            ] + (has(.fullPrecision) ? [Target(target: "binarization gap ≤ 3 points (mean over seeds)", measured: gap.map { Self.points($0) },
                                    met: gap.map { $0 * 100 <= 3 })] : [])
        case .binarization:
            let gap = bestBinarizedGap
            let best = gap.flatMap { training($0.row.key)?.testAccuracy }
            return [Target(target: "best binarized row ≥ 90.0% (1-bit weights and activations)", measured: best.map(Self.percent),
                           met: best.map { $0 * 100 >= 90.0 }),
                    Target(target: "best binarized row ≤ 3 points under full precision", measured: gap.map { Self.points($0.gap) },
                           met: gap.map { $0.gap * 100 <= 3 })]
        case .ablations, .all:
            let text = searchTimeRatio.map { _ in ratioText(searchTimeRatio, "policy-performance", "policy-none") }
            let earlyText = earlyTimeRatio.map { _ in ratioText(earlyTimeRatio, "schedule-early", "policy-none") }
            let earlyAccuracy = accuracyDifference("schedule-early", "policy-performance")
            return [Target(target: "performance search ≤ 0.6x the time of policy none", measured: text, met: searchTimeRatio.map { $0 <= 0.6 }),
                    Target(target: "early schedule ≤ 0.6x the time of policy none", measured: earlyText, met: earlyTimeRatio.map { $0 <= 0.6 }),
                    Target(target: "early schedule's accuracy ≥ the protocol schedule's", measured: earlyAccuracy.map { Self.points($0) },
                           met: earlyAccuracy.map { $0 >= 0 })]
        }
    }

    // MARK: - CSV

    /// The columns of the CSV, in order (results/README.md describes them); `bnas report` reads them by name.
    public enum Column: String, CaseIterable, Sendable {
        case experiment, size, key, row, group, status
        case testAccuracy = "test_accuracy"
        case binaryParameters = "binary_parameters"
        case floatParameters = "float_parameters"
        case modelBytes = "model_bytes"
        case bitPathImagesPerSecond = "bit_path_images_per_second"
        case trainSeconds = "train_seconds"
        case searchSeconds = "search_seconds"
        case searchRun = "search_run"
        case trainRun = "train_run"
        case command
        case searchCommand = "search_command"
    }

    /// A row's `status`: measured, or its runs not finished yet.
    public static let doneStatus = "done", pendingStatus = "pending"

    public var csv: String {
        var lines = [Column.allCases.map(\.rawValue).joined(separator: ",")]
        for row in rows {
            let m = measurements.trainings[row.trainRun]
            let search = row.searchRun.flatMap { measurements.searchSeconds[$0] }
            let fields: [String] = [
                table.rawValue, plan.recipe.name, row.key, row.label, row.group.rawValue, m == nil ? Self.pendingStatus : Self.doneStatus,
                m.map { String(format: "%.4f", $0.testAccuracy) } ?? "", m.map { String($0.binaryParameters) } ?? "",
                m.map { String($0.floatParameters) } ?? "", m.map { String($0.modelFileBytes) } ?? "",
                m.map { String(format: "%.1f", $0.bitPathImagesPerSecond) } ?? "", m.map { String(format: "%.1f", $0.trainSeconds) } ?? "",
                search.map { String(format: "%.1f", $0) } ?? "", row.searchRun ?? "", row.trainRun, plan.command(row),
                plan.searchCommand(row) ?? "",
            ]
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    // MARK: - Numbers

    static func percent(_ fraction: Double) -> String { String(format: "%.2f%%", fraction * 100) }
    static func points(_ fraction: Double) -> String { String(format: "%+.2f points", fraction * 100) }
    static func seconds(_ value: Double) -> String { ExperimentRecipe.count(Int(value.rounded())) }
}
