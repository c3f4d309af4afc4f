import ArgumentParser
import Datasets
import Experiments
import Foundation
import Network
import Search

extension ExperimentKind: ExpressibleByArgument {}
extension SearchVariant: ExpressibleByArgument {}

/// `bnas experiment compare|ablations|binarization|all`: a whole comparison as separate runs under
/// runs/, reused when finished, continued when partial, summed up in Markdown and CSV tables under results/.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run a comparison (searched vs random and published genotypes, the ablations, or the binarization recipes) and write its tables.",
        discussion: """
            Every row is a search and/or a training in runs/exp-SIZE-…/ (run one after another). Finished runs are \
            reused, partial ones continued from their checkpoints; Ctrl-C stops cleanly and running the same command \
            again continues. The tables go to results/exp-SIZE-EXPERIMENT.md and .csv after every run.
            """)

    @Argument(help: "compare, ablations, binarization or all (compare and ablations).")
    var experiment: ExperimentKind

    @Flag(help: "The quick size (about 10 minutes for all): tiny searches and one epoch on 2,000 images; not the protocol.")
    var quick = false

    @Option(help: "Data set: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetKindOption = .init(kind: .fashionMNIST)

    @Option(name: .customLong("data-dir"), help: "Folder holding the data set's files (default for Fashion-MNIST: \(DatasetLoader.defaultFashionMNISTDirectory)).")
    var dataDirectory: String?

    @Option(help: ArgumentHelp("With compare: the protocol's search changed ("
                               + SearchVariant.allCases.filter { $0 != .standard }.map(\.rawValue).joined(separator: ", ")
                               + "), its searched rows against the protocol's random ones, in results/exp-SIZE-compare-VARIANT.md.",
                               valueName: "variant"))
    var variant: SearchVariant = .standard

    @Flag(help: "Print the plan (rows, runs and their status) and run nothing.")
    var list = false

    func run() throws {
        let root = URL(fileURLWithPath: "runs")
        let tables = URL(fileURLWithPath: "results")
        if variant != .standard && experiment != .compare {
            try reportingErrors { throw CommandError("--variant changes the searched rows of compare, not of \(experiment.rawValue)") }
        }
        var recipe = ExperimentRecipe.named(quick: quick).on(dataset: dataset.kind, dataDirectory: dataDirectory)
        recipe.searchVariant = variant
        let plan = ExperimentPlan(kind: experiment, recipe: recipe, root: root)
        let runner = ExperimentRunner(plan: plan, root: root, tables: tables, observer: ExperimentProgress())
        if list {
            printPlan(runner)
            return
        }
        var outcome = ExperimentOutcome.finished
        var markdown: [String] = []
        try reportingErrors {
            outcome = try whileInterruptible({ runner.requestStop() }) { try runner.run() }
            markdown = try runner.writeTables()
        }
        let files = plan.kind.tables.map { plan.tableFile($0, root: tables).path + ".md" }
        let reports = plan.kind.tables.map { "bnas report results/\(plan.tableFile($0, root: tables).lastPathComponent).csv" }
        switch outcome {
        case .finished:
            print("")
            print(markdown.joined(separator: "\n"))
            print("tables: \(files.joined(separator: ", ")) (and .csv)")
            print("figures: " + reports.joined(separator: "; "))
        case .stopped(let run):
            print("stopped in \(run); the tables so far are in \(files.joined(separator: ", ")); run the same command again to continue")
            print("figures so far: " + reports.joined(separator: "; "))
            throw ExitCode(130)
        }
    }

    func printPlan(_ runner: ExperimentRunner) {
        let plan = runner.plan
        print("bnas experiment \(experiment.rawValue)\(plan.recipe.searchVariant.flag), \(plan.recipe.name) size: \(plan.runs.count) runs under \(runner.root.path)/")
        for (index, entry) in runner.statuses().enumerated() {
            let kind: String
            switch entry.run.work {
            case .search(let c): kind = "search (policy \(c.policy.rawValue), K = \(c.partialK))"
            case .train(let c, _): kind = "train \(c.genotype) (\(c.binarization.label), \(c.epochs) epoch\(c.epochs == 1 ? "" : "s"))"
            }
            print(String(format: "%2d. %@  %@  %@", index + 1, entry.run.name, entry.status.label, kind))
        }
        for table in plan.kind.tables {
            print("\(table.rawValue) rows -> \(plan.tableFile(table, root: runner.tables).path).md, .csv")
            for row in plan.rows where row.table == table {
                print("  \(row.label): " + [row.searchRun, row.trainRun].compactMap { $0 }.joined(separator: " + "))
            }
        }
    }
}

/// Progress lines of an experiment: a header per run and the search's and the training's own progress printers.
final class ExperimentProgress: ExperimentObserver, @unchecked Sendable {
    private var searchPrinter: SearchProgressPrinter?
    private var trainingPrinter = ProgressPrinter()

    func runStarting(_ run: PlannedRun, index: Int, of total: Int, status: RunStatus) {
        print("== [\(index)/\(total)] \(run.name)" + (status == .todo ? "" : ": continuing, \(status.label)"))
        fflush(stdout)
        if case .search = run.work { searchPrinter = SearchProgressPrinter(folder: "runs/\(run.name)") }
    }

    func runReused(_ run: PlannedRun) {
        print("== \(run.name): done, reused")
    }

    func searchEvent(_ record: EventRecord) {
        searchPrinter?.print(record)
    }

    func trainingStarting(_ session: TrainingSession, data: DatasetSplits) {
        print(TrainCommand.header(session, data))
        fflush(stdout)
        trainingPrinter = ProgressPrinter()
    }

    func trainingStep(_ progress: TrainingProgress) {
        trainingPrinter.step(progress)
    }

    func trainingEpoch(_ metrics: EpochMetrics, of epochs: Int) {
        trainingPrinter.epoch(metrics, of: epochs)
    }

    func runFinished(_ run: PlannedRun) {
        print("== \(run.name): finished")
        fflush(stdout)
    }

    func warning(_ text: String) {
        FileHandle.standardError.write(Data("bnas: \(text)\n".utf8))
    }
}
