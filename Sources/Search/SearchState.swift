import Network

/// Running sums of the epoch in progress (kept in checkpoints, so a search resumed mid-epoch reports
/// the same epoch means as one that was never interrupted).
struct EpochSums: Codable, Equatable {
    var trainLoss = 0.0
    var trainCorrect = 0
    var trainSeen = 0
    var validationLoss = 0.0
    var validationCorrect = 0
    var validationSeen = 0
    var seconds = 0.0

    var trainMeanLoss: Double { trainLoss / Double(Swift.max(1, trainSeen)) }
    var trainAccuracy: Double { Double(trainCorrect) / Double(Swift.max(1, trainSeen)) }
    var validationMeanLoss: Double? { validationSeen > 0 ? validationLoss / Double(validationSeen) : nil }
    var validationAccuracy: Double? { validationSeen > 0 ? Double(validationCorrect) / Double(validationSeen) : nil }
}

/// The BNAS likelihoods S(o) of docs/algorithms.md#operation-space-reduction, one per op of every
/// edge of both cell types.
struct ReductionLikelihoods: Codable, Equatable {
    var normal = [Double](repeating: 0, count: CellTopology.edgeCount * OperationSpace.operationCount)
    var reduce = [Double](repeating: 0, count: CellTopology.edgeCount * OperationSpace.operationCount)

    init() {}

    private enum CodingKeys: String, CodingKey { case normal, reduce }

    /// Reads the likelihoods of a checkpoint, which must have one for every op of every edge.
    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        normal = try container.decode([Double].self, forKey: .normal)
        reduce = try container.decode([Double].self, forKey: .reduce)
        let size = CellTopology.edgeCount * OperationSpace.operationCount
        guard normal.count == size, reduce.count == size else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "the likelihoods number \(normal.count) and \(reduce.count), not \(size) per cell type"))
        }
    }

    subscript(cell: CellType, edge: Int, operation: OperationKind) -> Double {
        get { (cell == .normal ? normal : reduce)[edge * OperationSpace.operationCount + operation.index] }
        set {
            let index = edge * OperationSpace.operationCount + operation.index
            if cell == .normal { normal[index] = newValue } else { reduce[index] = newValue }
        }
    }
}

/// Everything of a search that is not a tensor: where it stands, what is gone, the bookkeeping of the
/// reduction, the RNG. Saved as the checkpoint's JSON header.
struct SearchState: Codable, Equatable {
    /// Epochs completed, and steps done in the epoch after them.
    var completedEpochs = 0
    var step = 0
    var sums = EpochSums()
    var space = OperationSpace()
    var likelihoods = ReductionLikelihoods()
    var reductionSteps = 0
    /// Vetoes in the order they were accepted.
    var vetoes: [OperationRef] = []
    /// The sub-network sampler's generator state.
    var rngState: [UInt64]
    var architectureSteps = 0
    /// Seconds of search before this process (a resumed search continues the clock).
    var elapsedSeconds = 0.0
    var history: [EpochEvent] = []
}
