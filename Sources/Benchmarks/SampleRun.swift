import Foundation
import Network
import Search

/// A deterministic synthetic search's events (no engine involved): what `bnas bench dashboard` renders a
/// late-run frame from, and what the grid tests fold. Warm-up epochs, then alpha drifting towards the
/// convolutions, one reduction step every second search epoch removing the weakest op of each edge, a
/// refused and an accepted veto, and kernel throughput with a latency table each epoch.
public enum SampleRun {
    /// The events of `epochs` epochs of `stepsPerEpoch` steps each, times 0.5 s a step. The events are
    /// written as the JSON lines of events.jsonl and decoded, as replay does.
    public static func records(epochs: Int = 20, warmupEpochs: Int = 5, stepsPerEpoch: Int = 40) throws -> [EventRecord] {
        var configuration = SearchConfiguration()
        configuration.dataset = "synthetic"
        configuration.epochs = epochs
        configuration.warmupEpochs = warmupEpochs
        configuration.reductionInterval = 2
        var records: [EventRecord] = []
        var t = 0.0
        func add(_ type: String, _ fields: [String: Any]) throws { records.append(try record(type, t: t, fields)) }
        let configurationObject = try JSONSerialization.jsonObject(with: SearchJSON.encoder().encode(configuration))
        try add("run_started", ["configuration": configurationObject, "operations": OperationKind.allCases.map(\.rawValue),
                                "dataset": "synthetic", "trainImages": stepsPerEpoch * 64, "validationImages": stepsPerEpoch * 64,
                                "imageChannels": 1, "imageSize": 28, "classes": 10, "stepsPerEpoch": stepsPerEpoch,
                                "supernetParameters": 41_234])
        var removed: Set<OperationRef> = []
        var reductionIndex = 0
        for epoch in 1...epochs {
            let phase: SearchPhase = epoch <= warmupEpochs ? .warmup : .search
            for step in 1...stepsPerEpoch {
                t += 0.5
                let progress = (Double(epoch - 1) + Double(step) / Double(stepsPerEpoch)) / Double(epochs)
                let wobble = 0.04 * sin(Double(step) * 0.7)
                var fields: [String: Any] = [
                    "epoch": epoch, "epochs": epochs, "step": step, "stepsPerEpoch": stepsPerEpoch, "phase": phase.rawValue,
                    "trainLoss": 2.3 - 1.6 * progress + wobble, "trainAccuracy": 0.1 + 0.75 * progress - wobble / 2,
                    "learningRate": 0.1 * (1 + cos(Double.pi * progress)) / 2, "imagesPerSecond": 850 + 30 * wobble]
                if phase == .search {
                    (fields["validationLoss"], fields["validationAccuracy"]) = (2.4 - 1.5 * progress + wobble, 0.1 + 0.68 * progress)
                }
                try add("step", fields)
                if phase == .search, step % 10 == 0 || step == stepsPerEpoch {
                    try add("alpha", alphaFields(epoch: epoch, step: step, progress: progress, removed: removed))
                }
                if step % 20 == 0 { try add("kernels", kernelsFields(epoch: epoch, withLatencies: false)) }
            }
            if epoch == warmupEpochs + 2 {
                let refused = OperationRef(cell: .reduce, edge: 1, operation: .sepConv3x3)
                try add("veto", ["operation": try object(refused), "accepted": false, "epoch": epoch, "step": stepsPerEpoch,
                                 "reason": "the last real operation of an edge cannot be vetoed"])
                let vetoed = OperationRef(cell: .normal, edge: 4, operation: .maxPool3x3)
                removed.insert(vetoed)
                try add("veto", ["operation": try object(vetoed), "accepted": true, "epoch": epoch, "step": stepsPerEpoch])
            }
            try add("epoch", ["epoch": epoch, "epochs": epochs, "phase": phase.rawValue, "trainLoss": 2.3 - 1.6 * Double(epoch) / Double(epochs),
                              "trainAccuracy": 0.1 + 0.75 * Double(epoch) / Double(epochs), "learningRate": 0.05,
                              "seconds": 0.5 * Double(stepsPerEpoch), "imagesPerSecond": 850, "survivingOperations": 224 - removed.count])
            try add("kernels", kernelsFields(epoch: epoch, withLatencies: true))
            if epoch < epochs, configuration.isReductionEpoch(epoch - 1) {
                reductionIndex += 1
                t += 2
                let scores = CellType.allCases.map { cell in scoreTable(cell: cell, removed: removed) }
                var removedNow: [OperationRef] = []
                for cell in CellType.allCases {
                    for edge in 0..<CellTopology.edgeCount {
                        let row = scores[cell == .normal ? 0 : 1][edge]
                        let candidates = row.indices.compactMap { index in row[index].map { (index, $0) } }
                        guard candidates.count > 1, let weakest = candidates.min(by: { $0.1 < $1.1 }) else { continue }
                        removedNow.append(OperationRef(cell: cell, edge: edge, operation: OperationKind.allCases[weakest.0]))
                    }
                }
                removed.formUnion(removedNow)
                try add("reduction", ["epoch": epoch, "index": reductionIndex, "policy": "performance", "normalScores": json(scores[0]),
                                      "reduceScores": json(scores[1]), "removed": try removedNow.map(object), "seconds": 2])
            }
        }
        return records
    }

    /// softmax-like alpha: convolutions grow with progress, the rest shrink; removed ops are null.
    static func alphaFields(epoch: Int, step: Int, progress: Double, removed: Set<OperationRef>) -> [String: Any] {
        func table(_ cell: CellType) -> [[Double?]] {
            (0..<CellTopology.edgeCount).map { edge in
                let raw = OperationKind.allCases.map { op -> Double? in
                    if removed.contains(OperationRef(cell: cell, edge: edge, operation: op)) { return nil }
                    let preference = Double((op.index * 5 + edge * 3 + (cell == .reduce ? 2 : 0)) % 8) / 8
                    return exp((op.isParameterized ? 2.0 : -1.0) * progress * preference + 0.3 * preference)
                }
                let total = raw.compactMap { $0 }.reduce(0, +)
                return raw.map { $0.map { $0 / total } }
            }
        }
        func beta(_ cell: CellType) -> [Double] {
            (0..<CellTopology.edgeCount).map { edge in
                let count = Double(CellTopology.edges(into: CellTopology.node(of: edge)).count)
                return (1 + 0.3 * sin(Double(edge) + (cell == .reduce ? 1 : 0))) / count
            }
        }
        return ["epoch": epoch, "step": step, "normal": json(table(.normal)), "reduce": json(table(.reduce)),
                "betaNormal": beta(.normal), "betaReduce": beta(.reduce)]
    }

    static func scoreTable(cell: CellType, removed: Set<OperationRef>) -> [[Double?]] {
        (0..<CellTopology.edgeCount).map { edge in
            OperationKind.allCases.map { op in
                removed.contains(OperationRef(cell: cell, edge: edge, operation: op))
                    ? nil : Double((op.index * 7 + edge * 5 + (cell == .reduce ? 3 : 0)) % 11) / 100 + 0.001 * Double(edge)
            }
        }
    }

    static func kernelsFields(epoch: Int, withLatencies: Bool) -> [String: Any] {
        var fields: [String: Any] = ["epoch": epoch, "binaryMACsPerSecond": 6.2e9 + 1e7 * Double(epoch), "floatFLOPsPerSecond": 4.1e9,
                                     "binaryMACs": 1 << 34, "floatFLOPs": 1 << 32, "latencies": [[String: Any]]()]
        if withLatencies {
            fields["latencies"] = OperationKind.allCases.filter(\.isParameterized).enumerated().map { index, op -> [String: Any] in
                ["operation": op.rawValue, "bitMilliseconds": 0.21 + 0.07 * Double(index), "floatMilliseconds": 0.95 + 0.4 * Double(index)]
            }
            (fields["latencyChannels"], fields["latencySize"], fields["latencyBatch"]) = (16, 28, 1)
        }
        return fields
    }

    /// `finished` at time `t` after `epochs` epochs.
    public static func finished(t: Double, epochs: Int, stopped: Bool) throws -> EventRecord {
        try record("finished", t: t, ["epochs": epochs, "seconds": t, "stopped": stopped])
    }

    /// `paused` at time `t`.
    public static func paused(t: Double, epoch: Int, step: Int) throws -> EventRecord {
        try record("paused", t: t, ["epoch": epoch, "step": step])
    }

    /// An event from its JSON fields, decoded as events.jsonl is.
    private static func record(_ type: String, t: Double, _ fields: [String: Any]) throws -> EventRecord {
        var object = fields
        (object["type"], object["t"]) = (type, t)
        return try decoder.decode(EventRecord.self, from: JSONSerialization.data(withJSONObject: object))
    }

    private static let decoder = SearchJSON.decoder()

    /// A table with JSON nulls for removed ops.
    private static func json(_ table: [[Double?]]) -> [[Any]] { table.map { $0.map { value -> Any in value.map { $0 as Any } ?? NSNull() } } }

    private static func object(_ op: OperationRef) throws -> Any {
        try JSONSerialization.jsonObject(with: SearchJSON.encoder().encode(op))
    }
}
