import Datasets
import Foundation
import Network
import Tensor

/// The reduction step of docs/algorithms.md#operation-space-reduction, for the `performance` and `alpha` policies.
extension SearchEngine {
    /// The edges that still have a choice to make, as (cell, edge, surviving ops).
    var openEdges: [(cell: CellType, edge: Int, surviving: [OperationKind])] {
        CellType.allCases.flatMap { cell in
            (0..<CellTopology.edgeCount).compactMap { edge in
                let surviving = state.space.surviving(cell, edge: edge)
                return surviving.count > 1 ? (cell, edge, surviving) : nil
            }
        }
    }

    /// Removes one operation from every edge that has more than one, by the configured policy.
    /// Returns the event describing the step, or nil when there is nothing left to reduce.
    func reduce(epoch: Int) -> ReductionEvent? {
        let edges = openEdges
        guard !edges.isEmpty, configuration.policy != .none else { return nil }
        let start = Date()
        var scores: [CellType: [[Double?]]] = [
            .normal: Array(repeating: Array(repeating: nil, count: OperationSpace.operationCount), count: CellTopology.edgeCount),
            .reduce: Array(repeating: Array(repeating: nil, count: OperationSpace.operationCount), count: CellTopology.edgeCount),
        ]
        switch configuration.policy {
        case .performance:
            updateLikelihoods(edges)
            for (cell, edge, surviving) in edges {
                for kind in surviving { scores[cell]![edge][kind.index] = state.likelihoods[cell, edge, kind] }
            }
        case .alpha, .none:
            for cell in CellType.allCases {
                let table = architecture.operationTable(cell, space: state.space)
                for (edgeCell, edge, _) in edges where edgeCell == cell { scores[cell]![edge] = table[edge] }
            }
        }
        var removed: [OperationRef] = []
        for (cell, edge, surviving) in edges {
            // The lowest score goes; ties go to the later op. `none` cannot outlive every real op.
            let removable = surviving.filter { state.space.refusal(toRemove: OperationRef(cell: cell, edge: edge, operation: $0)) == nil }
            guard let worst = removable.min(by: { (scores[cell]![edge][$0.index] ?? 0, -$0.index) < (scores[cell]![edge][$1.index] ?? 0, -$1.index) })
            else { continue }
            let ref = OperationRef(cell: cell, edge: edge, operation: worst)
            state.space.remove(ref, cause: .reduction)
            removed.append(ref)
        }
        state.reductionSteps += 1
        return ReductionEvent(epoch: epoch + 1, index: state.reductionSteps, policy: configuration.policy,
                              normalScores: scores[.normal]!, reduceScores: scores[.reduce]!, removed: removed,
                              seconds: Date().timeIntervalSince(start))
    }

    /// BNAS's performance-based likelihoods (docs/algorithms.md#operation-space-reduction): on each
    /// edge the ceil(K_e/2) surviving ops with the lowest softmax(alpha) form W_e; T rounds each
    /// sample ceil(K_e/2) sub-networks that draw one op per edge from W_e without replacement and
    /// score them on validation batches; then s = softmax over W_e of the mean accuracy, ops outside
    /// W_e get (max + mean of s) / 2, and S(o) <- S(o) / 2 + s(o).
    func updateLikelihoods(_ edges: [(cell: CellType, edge: Int, surviving: [OperationKind])]) {
        var candidates: [CellType: [Int: [OperationKind]]] = [.normal: [:], .reduce: [:]]
        for cell in CellType.allCases {
            let table = architecture.operationTable(cell, space: state.space)
            for (edgeCell, edge, surviving) in edges where edgeCell == cell {
                let ranked = surviving.sorted { (table[edge][$0.index] ?? 0, $0.index) < (table[edge][$1.index] ?? 0, $1.index) }
                candidates[cell]![edge] = Array(ranked.prefix((surviving.count + 1) / 2))
            }
        }
        let draws = candidates.values.flatMap(\.values).map(\.count).max() ?? 0
        var accuracySums: [OperationRef: Double] = [:]
        var accuracyCounts: [OperationRef: Int] = [:]
        var rng = SeededRNG(state: state.rngState) ?? SeededRNG(seed: configuration.seed)
        for round in 0..<configuration.samplingRounds {
            // Shuffled in a fixed order of cells and edges (dictionary order differs between processes).
            var orders: [CellType: [Int: [OperationKind]]] = [.normal: [:], .reduce: [:]]
            for (cell, edge, _) in edges {
                guard var ops = candidates[cell]?[edge] else { continue }
                rng.shuffle(&ops)
                orders[cell]?[edge] = ops
            }
            let batches = scoringBatches(round: round)
            for draw in 0..<draws {
                var choice: [CellType: [OperationKind]] = [:]
                for cell in CellType.allCases {
                    choice[cell] = (0..<CellTopology.edgeCount).map { edge in
                        if let order = orders[cell]?[edge] { return order[draw % order.count] }
                        return state.space.surviving(cell, edge: edge).first { $0 != .none } ?? .none
                    }
                }
                let accuracy = subnetworkAccuracy(normal: choice[.normal]!, reduce: choice[.reduce]!, batches: batches)
                for cell in CellType.allCases {
                    for (edge, ops) in candidates[cell]! where draw < ops.count {
                        let ref = OperationRef(cell: cell, edge: edge, operation: choice[cell]![edge])
                        accuracySums[ref, default: 0] += accuracy
                        accuracyCounts[ref, default: 0] += 1
                    }
                }
            }
        }
        state.rngState = rng.state
        for (cell, edge, surviving) in edges {
            let sampled = candidates[cell]![edge]!
            let means = sampled.map { kind -> Double in
                let ref = OperationRef(cell: cell, edge: edge, operation: kind)
                return accuracySums[ref, default: 0] / Double(max(1, accuracyCounts[ref, default: 0]))
            }
            let (inside, outside) = Self.performanceScores(meanAccuracies: means)
            for kind in surviving {
                let s = sampled.firstIndex(of: kind).map { inside[$0] } ?? outside
                state.likelihoods[cell, edge, kind] = state.likelihoods[cell, edge, kind] / 2 + s
            }
        }
    }

    /// s of docs/algorithms.md#operation-space-reduction for one edge: the softmax of the sampled ops'
    /// mean accuracies, and the score of every op outside the sample, (max + mean of s) / 2.
    static func performanceScores(meanAccuracies: [Double]) -> (inside: [Double], outside: Double) {
        let largest = meanAccuracies.max() ?? 0
        let exponentials = meanAccuracies.map { Foundation.exp($0 - largest) }
        let total = exponentials.reduce(0, +)
        let softmax = exponentials.map { $0 / total }
        return (softmax, ((softmax.max() ?? 0) + softmax.reduce(0, +) / Double(max(1, softmax.count))) / 2)
    }

    /// The validation batches of one sampling round: the same for every sub-network of the round.
    func scoringBatches(round: Int) -> [Batch] {
        let iterator = BatchIterator(dataset: data.architecture, batchSize: configuration.batchSize, shuffle: true, dropLast: true,
                                     seed: configuration.seed &+ 2 &+ UInt64(state.reductionSteps) &* 1_000, epoch: round)
        return Array(iterator.prefix(configuration.scoringBatches))
    }

    /// Accuracy of the sub-network with one op per edge on `batches`. BN normalises with each batch's
    /// own statistics, as in the search steps, and the running statistics are left as they were.
    func subnetworkAccuracy(normal: [OperationKind], reduce: [OperationKind], batches: [Batch]) -> Double {
        let statistics = supernet.batchNormStatistics
        let saved = statistics.map { ($0.mean, $0.variance) }
        defer { for (entry, (mean, variance)) in zip(statistics, saved) { entry.mean = mean; entry.variance = variance } }
        let normalPlan = Supernet.subnetworkPlan(.normal, choice: normal, architecture: architecture)
        let reducePlan = Supernet.subnetworkPlan(.reduce, choice: reduce, architecture: architecture)
        var (correct, seen) = (0, 0)
        GradMode.disabled {
            for batch in batches {
                let images = Tensor(shape: [batch.count, batch.channels, batch.height, batch.width], data: batch.images)
                let logits = supernet(images, normal: normalPlan, reduce: reducePlan, training: true)
                correct += Metrics.correctPredictions(logits, labels: batch.labels)
                seen += batch.count
            }
        }
        return Double(correct) / Double(max(1, seen))
    }
}
