import Datasets
import Foundation
import Network
@testable import Search
import Tensor

/// A search small enough to run many times in a test: 3 cells, C = 4, K = 2 on 16x16 synthetic
/// images, 2 steps per epoch.
func tinyConfiguration(epochs: Int = 4, warmup: Int = 1, policy: ReductionPolicyKind = .performance) -> SearchConfiguration {
    var configuration = SearchConfiguration()
    configuration.dataset = DatasetKind.synthetic.rawValue
    configuration.layers = 3
    configuration.channels = 4
    configuration.partialK = 2
    configuration.epochs = epochs
    configuration.warmupEpochs = warmup
    configuration.reductionInterval = 1
    configuration.samplingRounds = 2
    configuration.scoringBatches = 1
    configuration.batchSize = 16
    configuration.trainSize = 32
    configuration.seed = 7
    configuration.policy = policy
    return configuration
}

func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func seededTensor(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return Tensor.randomNormal(shape, std: 1, rng: &rng, requiresGrad: requiresGrad)
}

/// Collects a session's events (they arrive on the engine thread).
final class EventCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [EventRecord] = []

    func append(_ record: EventRecord) {
        lock.lock(); defer { lock.unlock() }
        stored.append(record)
    }

    /// A copy made under the lock: a reader never shares the array's storage with the appending
    /// thread (whose in-place append checks the storage's reference count, which the thread sanitizer
    /// does not see as synchronisation).
    var records: [EventRecord] {
        lock.lock(); defer { lock.unlock() }
        return stored.map { $0 }
    }

    var events: [SearchEvent] {
        lock.lock(); defer { lock.unlock() }
        return stored.map(\.event)
    }
}
