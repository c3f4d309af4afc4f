import ArgumentParser
import Binary
import Dashboard
import Datasets
import Foundation
import Network
import Search

extension ReductionPolicyKind: ExpressibleByArgument {}

/// `bnas search`: the BNAS search, in the dashboard or (`--headless`) with progress lines.
struct SearchCommandLine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search a binarized cell (BNAS: PC-DARTS + performance-based operation-space reduction); writes runs/NAME/.")

    /// The options' defaults are the search's own, so that they cannot drift apart.
    static let defaults = SearchConfiguration()

    @Flag(help: "No dashboard: progress lines on stdout, the genotype at the end.")
    var headless = false

    @Option(help: "Data set: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetKindOption = .init(kind: .fashionMNIST)

    @Option(name: .customLong("data-dir"), help: "Folder holding the data set's files (default for Fashion-MNIST: \(DatasetLoader.defaultFashionMNISTDirectory)).")
    var dataDirectory: String?

    @OptionGroup(title: "Binarization") var binarization: BinarizationOptions

    @Option(help: "Operation-space reduction: performance (BNAS), alpha (lowest softmax(alpha) goes), none (plain PC-DARTS).")
    var policy: ReductionPolicyKind = SearchCommandLine.defaults.policy

    @Option(help: "Cells in the supernet (reductions at layers/3 and 2*layers/3).")
    var layers: Int = SearchCommandLine.defaults.layers

    @Option(help: "Channels C of the first cells.")
    var channels: Int = SearchCommandLine.defaults.channels

    @Option(name: .customLong("partial-k"), help: "PC-DARTS K: 1/K of the channels go through the mixed operations.")
    var partialK: Int = SearchCommandLine.defaults.partialK

    @Option(help: "Search epochs.")
    var epochs: Int = SearchCommandLine.defaults.epochs

    @Option(name: .customLong("warmup-epochs"), help: "Epochs of weight steps only (alpha and beta frozen).")
    var warmupEpochs: Int = SearchCommandLine.defaults.warmupEpochs

    @Option(name: .customLong("reduction-interval"), help: "Epochs of search between two reduction steps.")
    var reductionInterval: Int = SearchCommandLine.defaults.reductionInterval

    @Option(name: .customLong("sampling-rounds"), help: "T: sampling rounds per reduction step (performance policy).")
    var samplingRounds: Int = SearchCommandLine.defaults.samplingRounds

    @Option(name: .customLong("scoring-batches"), help: "Validation batches each sampled sub-network is scored on.")
    var scoringBatches: Int = SearchCommandLine.defaults.scoringBatches

    @Option(name: .customLong("batch-size"), help: "Images per step.")
    var batchSize: Int = SearchCommandLine.defaults.batchSize

    @Option(name: .customLong("train-size"), help: "Images for the weight steps; as many again, disjoint, train the architecture.")
    var trainSize: Int = SearchCommandLine.defaults.trainSize

    @Option(name: .customLong("learning-rate"), help: "Initial SGD learning rate of the weights (cosine-annealed).")
    var learningRate: Float = SearchCommandLine.defaults.learningRate

    @Option(name: .customLong("arch-learning-rate"), help: "Adam learning rate of alpha and beta.")
    var architectureLearningRate: Float = SearchCommandLine.defaults.architectureLearningRate

    @Option(help: "Seed for initialisation, data order and sampling.")
    var seed: UInt64 = SearchCommandLine.defaults.seed

    @Option(help: ArgumentHelp("Operations to veto on every edge of both cells when the warm-up ends, comma-separated "
                               + "(e.g. max_pool_3x3,avg_pool_3x3,skip_connect): sent as the dashboard's x sends a veto.",
                               valueName: "ops"))
    var veto: String?

    @Option(name: .customLong("run"), help: "Run name: files go to runs/NAME/ (default: a timestamp).")
    var runName: String?

    @Option(help: "Continue the search in runs/NAME (or a run folder path) from its last checkpoint.")
    var resume: String?

    @OptionGroup(title: "Dashboard") var dashboardArguments: DashboardArguments

    func searchConfiguration() throws -> SearchConfiguration {
        var c = SearchConfiguration()
        c.dataset = dataset.kind.rawValue
        c.dataDirectory = dataDirectory
        c.binarization = try binarization.configuration(default: .xnor)
        c.policy = policy
        c.layers = layers
        c.channels = channels
        c.partialK = partialK
        c.epochs = epochs
        c.warmupEpochs = warmupEpochs
        c.reductionInterval = reductionInterval
        c.samplingRounds = samplingRounds
        c.scoringBatches = scoringBatches
        c.batchSize = batchSize
        c.trainSize = trainSize
        c.learningRate = learningRate
        c.architectureLearningRate = architectureLearningRate
        c.seed = seed
        if let veto { c.vetoes = try Self.operations(veto) }
        return c
    }

    /// The operations of a comma-separated list, each named as in genotypes.
    static func operations(_ list: String) throws -> [OperationKind] {
        try list.split(separator: ",", omittingEmptySubsequences: false).map { name in
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let kind = OperationKind(rawValue: name) else {
                throw ValidationError("--veto: unknown operation '\(name)'; use \(OperationKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
    }

    func validate() throws {
        if resume != nil && runName != nil { throw ValidationError("--resume continues an existing run; it cannot be combined with --run") }
        do { try searchConfiguration().validate() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        var session: SearchSession?
        let dashboard = dashboardArguments.options
        try reportingErrors {
            if !headless { try dashboard.validate() }
            if let resume {
                let path = resume.contains("/") ? resume : "runs/\(resume)"
                session = try SearchSession.resume(run: path)
            } else {
                session = try SearchSession.create(configuration: searchConfiguration(), runName: runName, root: URL(fileURLWithPath: "runs"))
            }
        }
        guard let session else { throw ExitCode(1) }
        if let warning = session.checkpointWarning { FileHandle.standardError.write(Data("bnas: \(warning)\n".utf8)) }
        // The folder as the user names it: what --resume was given, or runs/NAME.
        let folder = resume.flatMap { $0.contains("/") ? $0 : nil } ?? "runs/\(session.folder.name)"
        if !headless {
            var code: Int32 = 0
            try reportingErrors { code = try Dashboard.runLive(session: session, options: dashboard) }
            if code != 0 { throw ExitCode(code) }
            print("figures of the run: bnas report \(folder)")
            return
        }
        let outcome = HeadlessSearch(session: session).run()
        switch outcome {
        case .finished, .stopped:
            print("figures of the run: bnas report \(folder)")
        case .failed(let message):
            FileHandle.standardError.write(Data("bnas: \(message)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `bnas search --headless`: a live bar on a terminal, a line per epoch and per reduction step, the
/// genotype at the end; Ctrl-C stops the search cleanly (checkpoint, genotype).
struct HeadlessSearch {
    let session: SearchSession

    func run() -> SearchOutcome {
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { [session] in session.send(.stop) }
        interrupt.resume()
        defer { interrupt.cancel(); signal(SIGINT, SIG_DFL) }
        let printer = SearchProgressPrinter(folder: session.folder.url.path)
        session.start { record in printer.print(record) }
        return session.waitUntilFinished()
    }
}

/// Turns search events into progress lines (thread-confined to the engine thread).
final class SearchProgressPrinter: @unchecked Sendable {
    let folder: String
    let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = Date.distantPast

    init(folder: String) { self.folder = folder }

    func print(_ record: EventRecord) {
        switch record.event {
        case .runStarted(let e):
            let c = e.configuration
            line("bnas search: \(e.dataset), \(e.trainImages) + \(e.validationImages) images, \(c.layers) cells, C=\(c.channels), K=\(c.partialK), "
                 + "\(c.binarization.label), policy \(c.policy.rawValue), \(c.epochs) epochs (\(c.warmupEpochs) warm-up), "
                 + "\(e.supernetParameters) parameters -> \(folder)" + (e.resumedFromEpoch.map { ", resumed after epoch \($0)" } ?? ""))
        case .step(let e):
            guard isTerminal else { return }
            let now = Date()
            guard now.timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = now
            let width = 30
            let filled = width * e.step / max(1, e.stepsPerEpoch)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            Swift.print("\r\u{1B}[2K" + String(format: "epoch %d/%d %@ %d/%d  loss %.4f  acc %.2f%%  %.0f img/s", e.epoch, e.epochs, bar,
                                                 e.step, e.stepsPerEpoch, e.trainLoss, e.trainAccuracy * 100, e.imagesPerSecond),
                        terminator: "")
            fflush(stdout)
        case .epoch(let e):
            var text = String(format: "epoch %d/%d %@  lr %.4f  train loss %.4f acc %.2f%%", e.epoch, e.epochs, e.phase.rawValue,
                              e.learningRate, e.trainLoss, e.trainAccuracy * 100)
            if let loss = e.validationLoss, let accuracy = e.validationAccuracy {
                text += String(format: "  val loss %.4f acc %.2f%%", loss, accuracy * 100)
            }
            line(text + String(format: "  ops %d  %.0fs  %.0f img/s", e.survivingOperations, e.seconds, e.imagesPerSecond))
        case .reduction(let e):
            line("reduction \(e.index) (\(e.policy.rawValue)): removed \(e.removed.count) ops"
                 + String(format: " in %.1fs", e.seconds))
        case .veto(let e):
            line(e.accepted ? "veto: removed \(e.operation)" : "veto refused: \(e.reason ?? "")")
        case .genotype(let e):
            line(e.darts)
        case .finished(let e):
            line(String(format: "%@ after %d epochs in %.0fs -> %@/genotype.json", e.stopped ? "stopped" : "finished", e.epochs, e.seconds, folder))
        case .paused, .resumed, .alpha, .kernels, .checkpoint, .error:
            return
        }
    }

    private func line(_ text: String) {
        if isTerminal { Swift.print("\r\u{1B}[2K", terminator: "") }
        Swift.print(text)
        fflush(stdout)
    }
}
