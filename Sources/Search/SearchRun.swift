import Binary
import Datasets
import Foundation
import Network
import Tensor

/// Why a search stops before its last epoch.
enum SearchInterruption: Error {
    case stopRequested
    case diverged(String)
}

/// One execution of a session's search on the engine thread: the epoch loop, commands between
/// steps, events, metrics, checkpoints and the result files.
final class SearchRun {
    let session: SearchSession
    let engine: SearchEngine
    let onEvent: @Sendable (EventRecord) -> Void
    let clockStart = Date()
    let startSeconds: Double
    var log: EventLog?
    /// The kernel work of this search: its steps, reductions and validation, not the latency probe.
    let counters = KernelCounters()
    /// The totals at the last `kernels` event.
    var reported = KernelCounters.Snapshot()
    var countersTime = Date()

    /// Steps between two `alpha` events in search epochs, and seconds between live `kernels` events.
    static let alphaInterval = 10
    static let kernelsInterval = 2.0

    init(session: SearchSession, onEvent: @escaping @Sendable (EventRecord) -> Void) {
        self.session = session
        engine = session.engine
        self.onEvent = onEvent
        startSeconds = session.engine.state.elapsedSeconds
    }

    var configuration: SearchConfiguration { engine.configuration }
    var elapsed: Double { startSeconds + Date().timeIntervalSince(clockStart) }

    func run() -> SearchOutcome {
        KernelCounters.counting(into: counters) { runCounted() }
    }

    private func runCounted() -> SearchOutcome {
        do {
            log = try EventLog(appendingTo: session.folder.file("events.jsonl"))
            try emit(.runStarted(runStartedEvent()))
            if session.resumedFromEpoch == nil { try checkpoint(reason: .start) }
            try emit(.alpha(engine.alphaEvent()))
            if session.resumedFromEpoch == nil && configuration.warmupEpochs == 0 { try sendScriptedVetoes() }
            while !engine.isComplete { try runEpoch() }
            let genotype = try finish(stopped: false)
            return .finished(genotype)
        } catch SearchInterruption.stopRequested {
            do {
                try checkpoint(reason: .stop)
                return .stopped(try finish(stopped: true))
            } catch {
                return fail("\(error)")
            }
        } catch SearchInterruption.diverged(let message) {
            return fail(message)
        } catch {
            return fail("\(error)")
        }
    }

    func fail(_ message: String) -> SearchOutcome {
        try? emit(.error(ErrorEvent(message: message)))
        return .failed(message)
    }

    func runStartedEvent() -> RunStartedEvent {
        let data = engine.data.weights
        return RunStartedEvent(configuration: configuration, operations: OperationKind.allCases.map(\.rawValue),
                               dataset: engine.data.displayName, trainImages: engine.data.weights.count,
                               validationImages: engine.data.architecture.count, imageChannels: data.channels,
                               imageSize: data.height, classes: data.classes, stepsPerEpoch: engine.stepsPerEpoch,
                               supernetParameters: engine.parameterCount, resumedFromEpoch: session.resumedFromEpoch)
    }

    func emit(_ event: SearchEvent) throws {
        let record = EventRecord(t: (elapsed * 1000).rounded() / 1000, event: event)
        try log?.append(record)
        onEvent(record)
    }

    // MARK: - Epochs

    func runEpoch() throws {
        let epoch = engine.state.completedEpochs
        let phase = engine.phase(ofEpoch: epoch)
        let learningRate = engine.schedule.rate(epoch: epoch)
        engine.weightOptimizer.learningRate = learningRate
        var (weightBatches, architectureBatches) = engine.batches(epoch: epoch)
        let steps = engine.stepsPerEpoch
        for _ in 0..<engine.state.step { _ = weightBatches.next(); _ = architectureBatches.next() }
        let epochClock = Date().addingTimeInterval(-engine.state.sums.seconds)
        while engine.state.step < steps, let weightBatch = weightBatches.next(), let architectureBatch = architectureBatches.next() {
            var sums = engine.state.sums
            if phase == .search {
                let (loss, correct) = engine.architectureStep(architectureBatch)
                try checkFinite(loss, epoch: epoch)
                sums.validationLoss += loss * Double(architectureBatch.count)
                sums.validationCorrect += correct
                sums.validationSeen += architectureBatch.count
            }
            let (loss, correct) = engine.weightStep(weightBatch)
            try checkFinite(loss, epoch: epoch)
            sums.trainLoss += loss * Double(weightBatch.count)
            sums.trainCorrect += correct
            sums.trainSeen += weightBatch.count
            sums.seconds = Date().timeIntervalSince(epochClock)
            engine.state.sums = sums
            engine.state.step += 1
            try emit(.step(StepEvent(epoch: epoch + 1, epochs: configuration.epochs, step: engine.state.step, stepsPerEpoch: steps,
                                     phase: phase, trainLoss: sums.trainMeanLoss, trainAccuracy: sums.trainAccuracy,
                                     validationLoss: sums.validationMeanLoss, validationAccuracy: sums.validationAccuracy,
                                     learningRate: Double(learningRate),
                                     imagesPerSecond: Double(sums.trainSeen + sums.validationSeen) / max(1e-9, sums.seconds))))
            if phase == .search && engine.state.step % Self.alphaInterval == 0 { try emit(.alpha(engine.alphaEvent())) }
            if Date().timeIntervalSince(countersTime) >= Self.kernelsInterval { try emit(.kernels(liveKernelsEvent(epoch: epoch + 1))) }
            try takeCommands()
        }
        try endEpoch(epoch, phase: phase, learningRate: learningRate)
    }

    func checkFinite(_ loss: Double, epoch: Int) throws {
        guard loss.isFinite else {
            let last = engine.state.completedEpochs
            throw SearchInterruption.diverged(
                "the loss became \(loss.isNaN ? "NaN" : "infinite") in epoch \(epoch + 1), step \(engine.state.step + 1): the search stopped; "
                    + "its last good state is \(session.folder.file(SearchCheckpoint.fileName).path) (\(last) epoch\(last == 1 ? "" : "s") done); "
                    + "lower --learning-rate")
        }
    }

    func endEpoch(_ epoch: Int, phase: SearchPhase, learningRate: Float) throws {
        let sums = engine.state.sums
        let event = EpochEvent(epoch: epoch + 1, epochs: configuration.epochs, phase: phase, trainLoss: sums.trainMeanLoss,
                               trainAccuracy: sums.trainAccuracy, validationLoss: sums.validationMeanLoss,
                               validationAccuracy: sums.validationAccuracy, learningRate: Double(learningRate), seconds: sums.seconds,
                               imagesPerSecond: Double(sums.trainSeen + sums.validationSeen) / max(1e-9, sums.seconds),
                               survivingOperations: engine.state.space.survivingCount)
        engine.state.completedEpochs = epoch + 1
        engine.state.step = 0
        engine.state.sums = EpochSums()
        engine.state.history.append(event)
        try emit(.epoch(event))
        try session.folder.appendLine(MetricsFile.line(event), to: MetricsFile.name, header: MetricsFile.header)
        if configuration.isReductionEpoch(epoch), let reduction = engine.reduce(epoch: epoch) {
            try emit(.reduction(reduction))
        }
        if epoch + 1 == configuration.warmupEpochs { try sendScriptedVetoes() }
        try emit(.alpha(engine.alphaEvent()))
        try emit(.kernels(latencyKernelsEvent(epoch: epoch + 1)))
        try checkpoint(reason: .epoch)
    }

    // MARK: - Commands

    /// `configuration.vetoes`, sent as the dashboard sends a veto (one command per surviving
    /// operation on every edge of both cells) and taken at once, so that the checkpoint after them
    /// holds them and a resumed search does not send them again.
    func sendScriptedVetoes() throws {
        guard let kinds = configuration.vetoes else { return }
        for cell in CellType.allCases {
            for edge in 0..<CellTopology.edgeCount {
                for kind in kinds {
                    let ref = OperationRef(cell: cell, edge: edge, operation: kind)
                    if engine.state.space.isSurviving(ref) { session.send(.veto(ref)) }
                }
            }
        }
        try takeCommands()
    }

    /// Applies the queued commands; while paused, waits for more. Throws `stopRequested` on stop.
    func takeCommands() throws {
        var paused = false
        repeat {
            for command in session.takeCommands(waiting: paused) {
                switch command {
                case .pause where !paused:
                    paused = true
                    try emit(.paused(position))
                    try checkpoint(reason: .pause)
                case .resume where paused:
                    paused = false
                    try emit(.resumed(position))
                case .pause, .resume:
                    continue
                case .veto(let ref):
                    let refusal = engine.veto(ref)
                    try emit(.veto(VetoEvent(operation: ref, accepted: refusal == nil, reason: refusal,
                                             epoch: position.epoch, step: position.step)))
                    if refusal == nil { try emit(.alpha(engine.alphaEvent())) }
                case .checkpoint:
                    try checkpoint(reason: .request)
                case .stop:
                    throw SearchInterruption.stopRequested
                }
            }
        } while paused
    }

    var position: PositionEvent {
        PositionEvent(epoch: engine.state.completedEpochs + (engine.state.step > 0 ? 1 : 0), step: engine.state.step)
    }

    // MARK: - Files

    func checkpoint(reason: CheckpointReason) throws {
        engine.state.elapsedSeconds = elapsed
        try engine.checkpoint().write(to: session.folder)
        try emit(.checkpoint(CheckpointEvent(epoch: engine.state.completedEpochs, step: engine.state.step, reason: reason,
                                             file: SearchCheckpoint.fileName)))
    }

    /// Derives the genotype and writes genotype.json, genotype.py, normal.dot and reduce.dot.
    func finish(stopped: Bool) throws -> Genotype {
        let genotype = engine.genotype
        let folder = session.folder
        try folder.write(genotype.jsonData(), to: "genotype.json")
        try folder.write(Data(genotype.dartsFile(name: "BNAS").utf8), to: "genotype.py")
        try folder.write(Data(genotype.dot(.normal).utf8), to: "normal.dot")
        try folder.write(Data(genotype.dot(.reduce).utf8), to: "reduce.dot")
        try emit(.genotype(GenotypeEvent(genotype: genotype, darts: genotype.dartsText(name: "BNAS"))))
        try emit(.finished(FinishedEvent(epochs: engine.state.completedEpochs, seconds: elapsed, stopped: stopped)))
        return genotype
    }

    // MARK: - Kernels

    func liveKernelsEvent(epoch: Int) -> KernelsEvent {
        let now = counters.snapshot()
        let delta = now.subtracting(reported)
        reported = now
        countersTime = Date()
        return KernelsEvent(epoch: epoch, binaryMACsPerSecond: delta.binaryMACsPerSecond, floatFLOPsPerSecond: delta.floatFLOPsPerSecond,
                            binaryMACs: delta.binaryMACs, floatFLOPs: delta.floatFLOPs, latencies: [],
                            latencyChannels: nil, latencySize: nil, latencyBatch: nil)
    }

    func latencyKernelsEvent(epoch: Int) -> KernelsEvent {
        var event = liveKernelsEvent(epoch: epoch)
        event.latencies = LatencyProbe.measure(binarization: configuration.binarization)
        event.latencyChannels = LatencyProbe.channels
        event.latencySize = LatencyProbe.size
        event.latencyBatch = LatencyProbe.batch
        return event
    }
}
