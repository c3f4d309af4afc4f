import Network

/// What the engine reports: every event goes to the dashboard (or the headless printer) and, as one
/// JSON line, to `runs/NAME/events.jsonl` (schema in docs/design.md#events). Epochs and steps count from 1.
public enum SearchEvent: Equatable, Sendable {
    case runStarted(RunStartedEvent)
    case step(StepEvent)
    case epoch(EpochEvent)
    case alpha(AlphaEvent)
    case kernels(KernelsEvent)
    case reduction(ReductionEvent)
    case veto(VetoEvent)
    case paused(PositionEvent)
    case resumed(PositionEvent)
    case checkpoint(CheckpointEvent)
    case genotype(GenotypeEvent)
    case finished(FinishedEvent)
    case error(ErrorEvent)

    /// The `"type"` of the JSON line.
    public var type: String {
        switch self {
        case .runStarted: return "run_started"
        case .step: return "step"
        case .epoch: return "epoch"
        case .alpha: return "alpha"
        case .kernels: return "kernels"
        case .reduction: return "reduction"
        case .veto: return "veto"
        case .paused: return "paused"
        case .resumed: return "resumed"
        case .checkpoint: return "checkpoint"
        case .genotype: return "genotype"
        case .finished: return "finished"
        case .error: return "error"
        }
    }
}

/// An event with its time: seconds since the search (or the resumed search) started.
public struct EventRecord: Equatable, Sendable {
    public var t: Double
    public var event: SearchEvent

    public init(t: Double, event: SearchEvent) {
        self.t = t
        self.event = event
    }
}

/// Where a search stands, in steps since its start. Events give a position as (epoch, step): step > 0 is
/// that step of `epoch`, step 0 the end of `epoch` (epoch 0: the start).
public enum SearchPosition {
    public static func globalStep(epoch: Int, step: Int, stepsPerEpoch: Int) -> Int {
        step > 0 ? (epoch - 1) * stepsPerEpoch + step : epoch * stepsPerEpoch
    }
}

/// Warm-up epochs train the weights only; search epochs alternate weight and architecture steps.
public enum SearchPhase: String, Codable, Sendable {
    case warmup
    case search
}

/// One operation of one edge of one cell type: what a reduction removes and a veto names.
public struct OperationRef: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var cell: CellType
    /// Edge 0...13 in the numbering of docs/algorithms.md#search-space.
    public var edge: Int
    public var operation: OperationKind

    public init(cell: CellType, edge: Int, operation: OperationKind) {
        self.cell = cell
        self.edge = edge
        self.operation = operation
    }

    public var description: String { "\(cell.rawValue) edge \(edge) \(operation.rawValue)" }

    /// Whether `edge` is one of a cell's edges (a command may name any number; it is then refused).
    public var isInCell: Bool { (0..<CellTopology.edgeCount).contains(edge) }
}

/// `run_started`: the configuration and what the search runs on.
public struct RunStartedEvent: Codable, Equatable, Sendable {
    public var configuration: SearchConfiguration
    /// The candidate operations in column order of every alpha table.
    public var operations: [String]
    public var dataset: String
    public var trainImages: Int
    public var validationImages: Int
    public var imageChannels: Int
    public var imageSize: Int
    public var classes: Int
    public var stepsPerEpoch: Int
    public var supernetParameters: Int
    /// Completed epochs when this start resumes a checkpoint; nil for a fresh search.
    public var resumedFromEpoch: Int?
}

/// `step`: after each minibatch step; losses and accuracies are running means over the epoch so far.
public struct StepEvent: Codable, Equatable, Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var stepsPerEpoch: Int
    public var phase: SearchPhase
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// Architecture-step loss and accuracy on the validation half (search epochs only).
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var imagesPerSecond: Double
}

/// `epoch`: the epoch's means, also appended to metrics.csv.
public struct EpochEvent: Codable, Equatable, Sendable {
    public var epoch: Int
    public var epochs: Int
    public var phase: SearchPhase
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var imagesPerSecond: Double
    /// Surviving operations over both cell types (2 * 14 * 8 = 224 at the start).
    public var survivingOperations: Int
}

/// `alpha`: softmax(alpha) over the surviving operations of each edge (rows = edges 0...13, columns =
/// operations in `RunStartedEvent.operations` order, null for removed ops) and softmax(beta) per node.
public struct AlphaEvent: Codable, Equatable, Sendable {
    public var epoch: Int
    public var step: Int
    public var normal: [[Double?]]
    public var reduce: [[Double?]]
    public var betaNormal: [Double]
    public var betaReduce: [Double]

    /// Whether the event has the 14x8 tables and 14 betas that readers index into (a file may hold anything).
    public var isWellFormed: Bool {
        let edges = CellTopology.edgeCount, columns = OperationKind.allCases.count
        return [normal, reduce].allSatisfy { $0.count == edges && $0.allSatisfy { $0.count == columns } }
            && betaNormal.count == edges && betaReduce.count == edges
    }
}

/// The latency of one candidate operation at a deployment size on the bit path and the float path.
public struct OperationLatency: Codable, Equatable, Sendable {
    public var operation: OperationKind
    /// Milliseconds per forward pass, binarized convolutions on the XNOR-popcount kernels.
    public var bitMilliseconds: Double
    /// Milliseconds per forward pass of the same op in full precision.
    public var floatMilliseconds: Double
}

/// `kernels`: throughput of the bit kernels and the float GEMMs since the previous `kernels` event and,
/// once per epoch, the latency of each parameterised candidate op.
public struct KernelsEvent: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Binary multiply-accumulates per second inside the XNOR GEMMs over the interval.
    public var binaryMACsPerSecond: Double
    /// Float operations per second inside the float GEMMs over the interval.
    public var floatFLOPsPerSecond: Double
    /// Binary MACs and float FLOPs done in the interval.
    public var binaryMACs: Int
    public var floatFLOPs: Int
    /// Per-op latencies at `latencyChannels` channels, `latencySize` x `latencySize` pixels, batch
    /// `latencyBatch`; empty in the live events between epochs.
    public var latencies: [OperationLatency]
    public var latencyChannels: Int?
    public var latencySize: Int?
    public var latencyBatch: Int?

    /// Bit operations per second: each binary multiply-accumulate is an XNOR and a popcount.
    public var bitOpsPerSecond: Double { 2 * binaryMACsPerSecond }
}

/// `reduction`: one operation-space reduction step (docs/algorithms.md#operation-space-reduction).
public struct ReductionEvent: Codable, Equatable, Sendable {
    public var epoch: Int
    /// 1 for the first reduction step of the search.
    public var index: Int
    public var policy: ReductionPolicyKind
    /// The score each surviving op was ranked by (S(o) for `performance`, softmax(alpha) for `alpha`),
    /// 14x8 per cell type, null for ops that were already gone.
    public var normalScores: [[Double?]]
    public var reduceScores: [[Double?]]
    public var removed: [OperationRef]
    public var seconds: Double
}

/// `veto`: a veto from the user, accepted (the op is gone as if reduced) or refused with the reason.
public struct VetoEvent: Codable, Equatable, Sendable {
    public var operation: OperationRef
    public var accepted: Bool
    public var reason: String?
    public var epoch: Int
    public var step: Int
}

/// `paused` and `resumed`: where the search stands.
public struct PositionEvent: Codable, Equatable, Sendable {
    public var epoch: Int
    public var step: Int
}

/// `checkpoint`: a checkpoint was written.
public struct CheckpointEvent: Codable, Equatable, Sendable {
    /// Epochs completed at the checkpoint, and steps done in the epoch after them.
    public var epoch: Int
    public var step: Int
    public var reason: CheckpointReason
    public var file: String
}

/// Why a checkpoint was written; the raw value is the `reason` of the `checkpoint` event.
public enum CheckpointReason: String, Codable, CaseIterable, Sendable {
    /// At the start of a fresh search.
    case start
    /// After every epoch.
    case epoch
    /// On a `pause` command.
    case pause
    /// On a `checkpoint` command.
    case request
    /// On a `stop` command, before the genotype is written.
    case stop

    /// Decodes the raw value; an unknown one is an error naming it (a log line that is not a bnas event).
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let reason = CheckpointReason(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown checkpoint reason '\(name)'")
        }
        self = reason
    }
}

/// `genotype`: the derived architecture (also written to genotype.json / .py / normal.dot / reduce.dot).
public struct GenotypeEvent: Codable, Equatable, Sendable {
    public var genotype: Genotype
    /// The DARTS `Genotype(...)` text.
    public var darts: String
}

/// `finished`: the search ended; `stopped` is true when the user stopped it early.
public struct FinishedEvent: Codable, Equatable, Sendable {
    public var epochs: Int
    public var seconds: Double
    public var stopped: Bool
}

/// `error`: the search stopped on a failure (the message is the one-line reason).
public struct ErrorEvent: Codable, Equatable, Sendable {
    public var message: String
}
