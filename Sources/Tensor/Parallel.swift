import CBLAS
import Foundation
import Synchronization

/// How the numeric ops use the cores: work is split over images or channels on `WorkerPool`
/// (threads that stay awake between parallel regions), and OpenBLAS runs one thread inside each worker.
public enum Parallelism {
    /// Worker count for the ops; 1 makes every op single-threaded (for one-thread benchmarks).
    /// Atomic: a benchmark or test may change it while other threads start parallel regions; results
    /// do not depend on it, only the split of the work does.
    public static var threads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set { threadCount.store(max(1, newValue), ordering: .relaxed) }
    }

    private static let threadCount = Atomic<Int>(max(1, ProcessInfo.processInfo.activeProcessorCount))

    private static let blasConfigured: Void = { openblas_set_num_threads(1) }()

    /// Keeps OpenBLAS at one thread (our own loops own the cores). Called by every GEMM wrapper.
    @inline(__always) static func configureBLAS() { _ = blasConfigured }

    /// Sets OpenBLAS's own thread count (benchmarks compare against multi-threaded sgemm).
    public static func setBLASThreads(_ count: Int) {
        configureBLAS()
        openblas_set_num_threads(Int32(count))
    }

    /// Calls `body(range)` on contiguous chunks of 0..<count, in parallel when worthwhile.
    /// `body` must only write disjoint memory for distinct ranges.
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        forEachWorkerChunk(count, minimumChunk: minimumChunk) { _, range in body(range) }
    }

    /// `forEachChunk` over items (images, planes) of `valuesEach` values each, in chunks of at least
    /// 2^15 values: a smaller piece costs more to hand to another core than it saves.
    public static func forEachChunk(_ count: Int, valuesEach: Int, _ body: (Range<Int>) -> Void) {
        forEachChunk(count, minimumChunk: max(1, (1 << 15) / max(1, valuesEach)), body)
    }

    /// Like `forEachChunk`, also passing the worker's index in 0..<workerCount(count, minimumChunk:),
    /// so that each worker can accumulate into a buffer of its own.
    public static func forEachWorkerChunk(_ count: Int, minimumChunk: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = workerCount(count, minimumChunk: minimumChunk)
        if workers <= 1 { body(0, 0..<count); return }
        let chunk = (count + workers - 1) / workers
        WorkerPool.shared.run(workers) { worker in
            let start = worker * chunk
            let end = min(count, start + chunk)
            if start < end { body(worker, start..<end) }
        }
    }

    /// Calls `body(index)` for every index in 0..<count, each a task of its own handed to whichever
    /// core is free (independent pieces of uneven size, such as the candidate ops of one edge).
    /// `body` must only write memory of its own index.
    public static func forEachTask(_ count: Int, _ body: (Int) -> Void) {
        if threads <= 1 || count <= 1 {
            for index in 0..<count { body(index) }
            return
        }
        WorkerPool.shared.run(count, body)
    }

    /// `body(index)` for every index in 0..<count as tasks of `forEachTask`, collected in index order.
    public static func map<Result>(_ count: Int, _ body: (Int) -> Result) -> [Result] {
        var results = [Result?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = buffer
            forEachTask(count) { slots[$0] = body($0) }
        }
        return results.map { $0! }
    }

    /// Runs `body`, and returns with its result the CPU seconds the threads of the parallel regions
    /// (of all of them, whatever they ran for) spent spinning for work meanwhile: process CPU time
    /// minus this is the time spent working.
    public static func countingSpin<Result>(_ body: () throws -> Result) rethrows -> (result: Result, spinningSeconds: Double) {
        let (result, nanoseconds) = try WorkerPool.shared.countingSpin(body)
        return (result, Double(nanoseconds) / 1e9)
    }

    /// The number of chunks `forEachChunk` would use, for callers that keep per-worker buffers.
    public static func workerCount(_ count: Int, minimumChunk: Int = 1) -> Int {
        min(threads, max(1, count / max(1, minimumChunk)))
    }
}
