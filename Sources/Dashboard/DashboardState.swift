import Network
import Search

/// Everything the dashboard shows, folded from the engine's events (`apply`); rendering reads only this.
/// Pure: the same events give the same state, live or in replay.
public struct DashboardState: Equatable, Sendable {
    /// What the status bar says the search is doing.
    public enum Phase: String, Sendable {
        case starting, warmup, search, reduction, paused, finished, error
    }

    /// One point of the curves: running means of the epoch so far at a global step.
    package struct CurvePoint: Equatable, Sendable {
        var step: Int
        var trainLoss: Double
        var trainAccuracy: Double
        var validationLoss: Double?
        var validationAccuracy: Double?
    }

    /// Why an operation left the search space.
    enum Removal: Equatable, Sendable {
        /// By reduction step `index`, with the score it was ranked by.
        case reduction(index: Int, epoch: Int, score: Double?)
        /// By the user's veto.
        case veto(epoch: Int, step: Int)
    }

    /// A line of the reduction history: a reduction step or a veto (accepted or refused).
    enum HistoryEntry: Equatable, Sendable {
        case reduction(ReductionEvent)
        case veto(VetoEvent)
    }

    public let runName: String
    var configuration: SearchConfiguration?
    var stepsPerEpoch = 0
    var epochs = 0
    package var epoch = 0
    package var step = 0
    var searchPhase: SearchPhase?
    var isReducing = false
    var isPaused = false
    var finished: FinishedEvent?
    var errorMessage: String?
    /// Seconds since the search started, from the last event.
    package var elapsed = 0.0
    var imagesPerSecond = 0.0
    package var curve: [CurvePoint] = []
    var alpha: [CellType: [[Double?]]] = [:]
    var beta: [CellType: [Double]] = [:]
    var removals: [OperationRef: Removal] = [:]
    var history: [HistoryEntry] = []
    var kernels: KernelsEvent?
    var latencies: KernelsEvent?
    var lastVeto: VetoEvent?
    var genotype: GenotypeEvent?
    var eventCount = 0

    public init(runName: String) { self.runName = runName }

    /// The state after all of `records`.
    public init(runName: String, records: [EventRecord]) {
        self.init(runName: runName)
        for record in records { apply(record) }
    }

    /// Folds one event in.
    public mutating func apply(_ record: EventRecord) {
        elapsed = max(elapsed, record.t)
        eventCount += 1
        switch record.event {
        case .runStarted(let started):
            configuration = started.configuration
            stepsPerEpoch = started.stepsPerEpoch
            epochs = started.configuration.epochs
            epoch = started.resumedFromEpoch ?? 0
            elapsed = record.t
        case .step(let event):
            (epoch, step, epochs, stepsPerEpoch) = (event.epoch, event.step, event.epochs, event.stepsPerEpoch)
            searchPhase = event.phase
            isReducing = false
            imagesPerSecond = event.imagesPerSecond
            let global = SearchPosition.globalStep(epoch: event.epoch, step: event.step, stepsPerEpoch: event.stepsPerEpoch)
            curve.append(CurvePoint(step: global, trainLoss: event.trainLoss, trainAccuracy: event.trainAccuracy,
                                    validationLoss: event.validationLoss, validationAccuracy: event.validationAccuracy))
        case .epoch(let event):
            (epoch, epochs, searchPhase) = (event.epoch, event.epochs, event.phase)
            step = stepsPerEpoch
            imagesPerSecond = event.imagesPerSecond
            isReducing = event.epoch < event.epochs && configuration?.isReductionEpoch(event.epoch - 1) == true
        case .alpha(let event):
            guard event.isWellFormed else { break }
            alpha[.normal] = event.normal
            alpha[.reduce] = event.reduce
            beta[.normal] = event.betaNormal
            beta[.reduce] = event.betaReduce
        case .kernels(let event):
            kernels = event
            if !event.latencies.isEmpty { latencies = event }
        case .reduction(let event):
            isReducing = false
            history.append(.reduction(event))
            for op in event.removed {
                let scores = op.cell == .normal ? event.normalScores : event.reduceScores
                removals[op] = .reduction(index: event.index, epoch: event.epoch, score: Self.value(scores, op))
            }
        case .veto(let event):
            history.append(.veto(event))
            lastVeto = event
            if event.accepted { removals[event.operation] = .veto(epoch: event.epoch, step: event.step) }
        case .paused(let position):
            isPaused = true
            (epoch, step) = (position.epoch, position.step)
        case .resumed:
            isPaused = false
        case .checkpoint:
            break
        case .genotype(let event):
            genotype = event
        case .finished(let event):
            finished = event
            isPaused = false
            isReducing = false
        case .error(let event):
            errorMessage = event.message
        }
    }

    var phase: Phase {
        if errorMessage != nil { return .error }
        if finished != nil { return .finished }
        if isPaused { return .paused }
        if isReducing { return .reduction }
        switch searchPhase {
        case .warmup: return .warmup
        case .search: return .search
        case nil: return .starting
        }
    }

    /// Whether the engine is still computing (the clock runs on between events).
    var isRunning: Bool { phase != .paused && phase != .finished && phase != .error }

    /// Fraction of all the search's steps done.
    var progress: Double {
        guard epochs > 0, stepsPerEpoch > 0 else { return 0 }
        if finished != nil { return 1 }
        let done = Double(max(0, epoch - 1) * stepsPerEpoch + step)
        return min(1, done / Double(epochs * stepsPerEpoch))
    }

    /// softmax(alpha) of one op, nil when the op is gone (removed by a reduction or a veto).
    func alphaValue(_ op: OperationRef) -> Double? {
        guard removals[op] == nil, let table = alpha[op.cell] else { return nil }
        return Self.value(table, op)
    }

    /// beta of one edge (softmax over the edges into its node).
    func betaValue(cell: CellType, edge: Int) -> Double? {
        guard let values = beta[cell], values.indices.contains(edge) else { return nil }
        return values[edge]
    }

    /// Whether an op has left the search space: by the tables of the last `alpha` event or a later removal.
    func isRemoved(_ op: OperationRef) -> Bool {
        if removals[op] != nil { return true }
        guard let table = alpha[op.cell] else { return false }
        return Self.value(table, op) == nil
    }

    /// The ops still in the search space on one edge, in column order.
    func survivors(cell: CellType, edge: Int) -> [OperationKind] {
        OperationKind.allCases.filter { !isRemoved(OperationRef(cell: cell, edge: edge, operation: $0)) }
    }

    private static func value(_ table: [[Double?]], _ op: OperationRef) -> Double? {
        guard table.indices.contains(op.edge) else { return nil }
        let row = table[op.edge]
        return row.indices.contains(op.operation.index) ? row[op.operation.index] : nil
    }
}
