import Binary
import Datasets
import Foundation
import Network
import Search
import Tensor

/// Timings for `bnas bench search`: the cost of the search's minibatch iterations.
public enum SearchBenchmark {
    public struct IterationTimes: Encodable, Sendable {
        /// Median seconds of one weight step (a warm-up iteration).
        public var weightStep: Double
        /// Median seconds of one search iteration: an architecture step and a weight step.
        public var searchIteration: Double
        public var parameters: Int
        /// Process CPU time, less the time the worker pool's threads spun waiting, over wall time
        /// during the search iterations: how many of the cores the search kept working (2 would be
        /// both, all the time).
        public var coresBusy: Double
    }

    /// Medians of `runs` iterations after warm-up, on the configuration's first batches, with every
    /// op of the search space alive (the start of a search, its most expensive point).
    public static func iterationTimes(_ configuration: SearchConfiguration, data: SearchData, runs: Int) throws -> IterationTimes {
        let engine = try SearchEngine(configuration: configuration, data: data)
        let (weightBatches, architectureBatches) = engine.batches(epoch: 0)
        guard let weightBatch = weightBatches.first(where: { _ in true }),
              let architectureBatch = architectureBatches.first(where: { _ in true }) else {
            throw SearchConfigurationError("the data set has fewer images than one batch")
        }
        let weightStep = Benchmark.median(warmup: 1, runs: runs) { _ = engine.weightStep(weightBatch) }
        let (cpuStart, wallStart) = (clockSeconds(CLOCK_PROCESS_CPUTIME_ID), clockSeconds(CLOCK_MONOTONIC))
        let (searchIteration, spinning) = Parallelism.countingSpin {
            Benchmark.median(warmup: 1, runs: runs) {
                _ = engine.architectureStep(architectureBatch)
                _ = engine.weightStep(weightBatch)
            }
        }
        // The pool's threads spin while they wait; that CPU time is not work.
        let working = clockSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpuStart - spinning
        let coresBusy = working / (clockSeconds(CLOCK_MONOTONIC) - wallStart)
        return IterationTimes(weightStep: weightStep, searchIteration: searchIteration, parameters: engine.parameterCount,
                              coresBusy: coresBusy)
    }

    static func clockSeconds(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// PC-DARTS's CIFAR-10 search (8 cells, C = 16, K = 4, batch 256,
    /// docs/algorithms.md#bi-level-optimisation) scaled to a 2-core machine: batch 256 / `batchDivisor`, on synthetic 32x32 RGB images of CIFAR's shape.
    public static func pcDartsCIFARTimes(batchDivisor: Int, runs: Int) throws -> (configuration: SearchConfiguration, times: IterationTimes) {
        var configuration = SearchConfiguration()
        configuration.dataset = DatasetKind.synthetic.rawValue
        configuration.layers = 8
        configuration.channels = 16
        configuration.partialK = 4
        configuration.batchSize = 256 / batchDivisor
        configuration.trainSize = configuration.batchSize
        let splits = try SyntheticDataset.splits(trainCount: 2 * configuration.batchSize, testCount: 1, channels: 3, side: 32, seed: 1)
        var rng = SeededRNG(seed: 2)
        let (weights, architecture) = try splits.train.split(first: configuration.batchSize, second: configuration.batchSize, rng: &rng)
        let data = SearchData(weights: weights, architecture: architecture, displayName: "synthetic CIFAR-10 shape")
        return (configuration, try iterationTimes(configuration, data: data, runs: runs))
    }

    public struct PolicyRun: Encodable, Sendable {
        public var policy: ReductionPolicyKind
        public var seconds: Double
        public var survivingOperations: Int
        public var genotype: Genotype
    }

    /// Whole searches of `configuration` under each policy, one after the other in this process
    /// (their run folders go to a temporary directory that is removed afterwards).
    public static func policyRuns(_ configuration: SearchConfiguration, policies: [ReductionPolicyKind],
                                  progress: (String) -> Void) throws -> [PolicyRun] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        var results: [PolicyRun] = []
        for policy in policies {
            var setting = configuration
            setting.policy = policy
            let session = try SearchSession.create(configuration: setting, runName: policy.rawValue, root: root)
            let start = Date()
            session.start { _ in }
            let outcome = session.waitUntilFinished()
            let seconds = Date().timeIntervalSince(start)
            guard case .finished(let genotype) = outcome else { throw SearchConfigurationError("the \(policy.rawValue) search failed: \(outcome)") }
            results.append(PolicyRun(policy: policy, seconds: seconds, survivingOperations: session.engine.space.survivingCount, genotype: genotype))
            progress(String(format: "policy %@: %.1f s", policy.rawValue, seconds))
        }
        return results
    }

    public struct OperationTime: Encodable, Sendable {
        public var operation: OperationKind
        /// Median milliseconds of a training forward pass and of forward + backward.
        public var forwardMilliseconds: Double
        public var trainingMilliseconds: Double
    }

    /// Each candidate op on what the first cell's mixed ops see: C/K channels of `size` x `size`
    /// images, a batch of `batch`, with the search's binarization; training mode, stride 1.
    public static func operationTimes(_ configuration: SearchConfiguration, size: Int, runs: Int) -> [OperationTime] {
        let channels = configuration.channels / configuration.partialK
        var rng = SeededRNG(seed: 3)
        let input = Tensor.randomNormal([configuration.batchSize, channels, size, size], std: 1, rng: &rng, requiresGrad: true)
        return OperationKind.allCases.filter { $0 != .none }.map { kind in
            let layer = kind.makeLayer(channels: channels, stride: 1, affine: false, inSupernet: true,
                                       binarization: configuration.binarization, rng: &rng)
            let forward = Benchmark.median(warmup: 1, runs: runs) { _ = layer(input, training: true) }
            let training = Benchmark.median(warmup: 1, runs: runs) {
                layer(input, training: true).sum().backward()
                input.zeroGrad()
                for parameter in layer.parameters { parameter.zeroGrad() }
            }
            return OperationTime(operation: kind, forwardMilliseconds: forward * 1000, trainingMilliseconds: training * 1000)
        }
    }
}
