import Network
import Search

/// A search's events.jsonl arranged for the report: the curves, alpha·beta of every op on every edge, the
/// reduction steps and vetoes, the kernels' throughput and the outcome. A resumed search does again what
/// came after the checkpoint it started from; the second recording replaces the first.
struct SearchHistory {
    /// An `alpha` event and its place: steps since the start (`SearchPosition`).
    struct AlphaSample {
        var position: Int
        var event: AlphaEvent
    }

    /// What took operations out of the search space, in the order of the log.
    enum Removal {
        case reduction(ReductionEvent)
        case veto(VetoEvent)
    }

    /// A `kernels` event and its time (seconds since the start).
    struct KernelsSample {
        var time: Double
        var event: KernelsEvent
    }

    private(set) var started: RunStartedEvent?
    /// The completed epochs each resume started from.
    private(set) var resumes: [Int] = []
    private(set) var steps: [StepEvent] = []
    private(set) var epochs: [EpochEvent] = []
    private(set) var alphas: [AlphaSample] = []
    /// Reduction steps and vetoes (accepted or refused) as they happened.
    private(set) var removals: [Removal] = []
    private(set) var kernels: [KernelsSample] = []
    private(set) var genotype: GenotypeEvent?
    private(set) var finished: FinishedEvent?
    private(set) var errorMessage: String?
    /// The time of the last event.
    private(set) var lastTime = 0.0
    private var lastCheckpoint: CheckpointEvent?

    init(records: [EventRecord]) {
        for record in records { apply(record) }
    }

    var stepsPerEpoch: Int { max(1, started?.stepsPerEpoch ?? 1) }

    var configuration: SearchConfiguration? { started?.configuration }

    var reductions: [ReductionEvent] {
        removals.compactMap { if case .reduction(let event) = $0 { return event }; return nil }
    }

    var vetoes: [VetoEvent] {
        removals.compactMap { if case .veto(let event) = $0 { return event }; return nil }
    }

    /// A position (epoch, step) in epochs since the start, the x axis of the report's search figures.
    func epochAxis(epoch: Int, step: Int) -> Double {
        Double(SearchPosition.globalStep(epoch: epoch, step: step, stepsPerEpoch: stepsPerEpoch)) / Double(stepsPerEpoch)
    }

    mutating func apply(_ record: EventRecord) {
        lastTime = record.t
        switch record.event {
        case .runStarted(let event):
            started = event
            if let completed = event.resumedFromEpoch { resume(after: completed, at: record.t) }
        case .step(let event): steps.append(event)
        case .epoch(let event): epochs.append(event)
        case .alpha(let event):
            guard event.isWellFormed else { break }
            alphas.append(AlphaSample(position: SearchPosition.globalStep(epoch: event.epoch, step: event.step, stepsPerEpoch: stepsPerEpoch),
                                      event: event))
        case .kernels(let event): kernels.append(KernelsSample(time: record.t, event: event))
        case .reduction(let event): removals.append(.reduction(event))
        case .veto(let event): removals.append(.veto(event))
        case .checkpoint(let event): lastCheckpoint = event
        case .genotype(let event): genotype = event
        case .finished(let event): finished = event
        case .error(let event): errorMessage = event.message
        case .paused, .resumed: break
        }
    }

    /// Forgets what came after the checkpoint a resume started from (`completed` epochs and, for a
    /// checkpoint taken inside the next epoch, its steps), and the ending of the interrupted part.
    private mutating func resume(after completed: Int, at time: Double) {
        resumes.append(completed)
        let checkpointSteps = lastCheckpoint.flatMap { $0.epoch == completed ? $0.step : nil } ?? 0
        let limit = completed * stepsPerEpoch + checkpointSteps
        let perEpoch = stepsPerEpoch
        func position(_ epoch: Int, _ step: Int) -> Int { SearchPosition.globalStep(epoch: epoch, step: step, stepsPerEpoch: perEpoch) }
        steps.removeAll { position($0.epoch, $0.step) > limit }
        epochs.removeAll { $0.epoch > completed }
        alphas.removeAll { $0.position > limit }
        removals.removeAll { removal in
            switch removal {
            case .reduction(let event): return event.epoch > completed
            case .veto(let event): return position(event.epoch, event.step) > limit
            }
        }
        kernels.removeAll { $0.time > time }
        (genotype, finished, errorMessage) = (nil, nil, nil)
    }

    /// How the search ended, or where it stands.
    var outcome: String {
        if let errorMessage { return "failed: \(errorMessage)" }
        let resumed = resumes.isEmpty ? "" : "; resumed after epoch " + resumes.map(String.init).joined(separator: ", ")
        if let finished {
            let how = finished.stopped ? "stopped by the user after \(finished.epochs) of \(configuration?.epochs ?? finished.epochs) epochs"
                                       : "finished all \(finished.epochs) epochs"
            return how + " in \(Self.duration(finished.seconds))" + resumed
        }
        let at = steps.last.map { "epoch \($0.epoch), step \($0.step) of \($0.stepsPerEpoch)" } ?? "before the first step"
        return "not finished (still running, or killed): the last event is at \(Self.duration(lastTime)), \(at)" + resumed
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return String(format: "%.1f s", seconds) }
        let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? "\(hours) h \(minutes) min \(rest) s" : "\(minutes) min \(rest) s"
    }

    /// alpha·beta of one op of one edge over the search (nil where the op was gone), x in epochs.
    func alphaBeta(cell: CellType, edge: Int, operation: OperationKind) -> [ChartPoint] {
        alphas.map { sample in
            let table = cell == .normal ? sample.event.normal : sample.event.reduce
            let beta = cell == .normal ? sample.event.betaNormal : sample.event.betaReduce
            let alpha = table[edge][operation.index]
            return ChartPoint(x: Double(sample.position) / Double(stepsPerEpoch), y: alpha.map { $0 * beta[edge] })
        }
    }

    /// The genotype derived from the last alpha and beta: the kept edges and their ops.
    func derivedEdges(_ cell: CellType) -> [DerivedEdge] {
        guard let last = alphas.last?.event else { return [] }
        return cell == .normal ? GenotypeDerivation.derivedEdges(alpha: last.normal, beta: last.betaNormal)
                               : GenotypeDerivation.derivedEdges(alpha: last.reduce, beta: last.betaReduce)
    }

    /// The last `kernels` event with the per-op latencies.
    var latencies: KernelsEvent? { kernels.last { !$0.event.latencies.isEmpty }?.event }
}
