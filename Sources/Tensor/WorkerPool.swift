import Foundation

/// Persistent threads for `Parallelism.forEachWorkerChunk`. `DispatchQueue.concurrentPerform` was
/// seen to run both iterations of short jobs (0.05 to 1 ms work items) on the calling thread of this
/// 2-core machine; these threads wait on a condition variable instead and take the chunks of a job as
/// soon as it is posted. `bnas bench kernels` compares the two (its last table).
///
/// A job is `chunks` calls of `body(chunk)`: the calling thread and the pool's threads claim chunk
/// indices in turn until none is left, and the caller returns when all have finished. Which thread
/// runs a chunk does not change what it computes, so results do not depend on the scheduling. One job
/// runs at a time: a call made while the pool is busy (from inside a job, or from another thread)
/// gets `false` and should run its chunks some other way.
final class WorkerPool: @unchecked Sendable {
    /// Guards every variable below; signalled when a job is posted and when its last chunk finishes.
    private let condition = NSCondition()
    /// Taken for the whole of a job.
    private let entry = NSLock()
    private var body: ((Int) -> Void)?
    private var chunks = 0
    private var nextChunk = 0
    private var unfinished = 0
    /// Bumped for every job, so that a waiting thread can tell a new job from a spurious wake-up.
    private var generation = 0

    /// A pool of `threads` threads besides the callers'.
    init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in self.serve() }
            thread.name = "bnas worker \(index + 1)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(0)`, ..., `body(chunks - 1)` on the calling thread and the pool's threads; false
    /// (nothing run) when the pool is busy with another job.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard entry.try() else { return false }
        defer { entry.unlock() }
        withoutActuallyEscaping(body) { body in
            condition.lock()
            self.body = body
            self.chunks = chunks
            nextChunk = 0
            unfinished = chunks
            generation &+= 1
            condition.broadcast()
            condition.unlock()
            work()
            condition.lock()
            while unfinished > 0 { condition.wait() }
            self.body = nil
            condition.unlock()
        }
        return true
    }

    /// Claims and runs chunks of the current job until none is left.
    private func work() {
        condition.lock()
        while nextChunk < chunks, let body {
            let chunk = nextChunk
            nextChunk += 1
            condition.unlock()
            body(chunk)
            condition.lock()
            unfinished -= 1
            if unfinished == 0 { condition.broadcast() }
        }
        condition.unlock()
    }

    /// A pool thread: waits for each new job and helps with it.
    private func serve() {
        var seen = 0
        while true {
            condition.lock()
            while generation == seen { condition.wait() }
            seen = generation
            condition.unlock()
            work()
        }
    }
}
