import Foundation
import Synchronization

/// Worker threads that stay awake between parallel regions, so that a short region is split
/// across the cores without waking a sleeping thread first, and that help with the parallel
/// regions nested inside other threads' tasks.
///
/// Why not `DispatchQueue.concurrentPerform`: waking libdispatch's sleeping worker can cost as much
/// as a short region's whole work, so splitting a region of tens or hundreds of µs over two cores
/// gained little or nothing (docs/performance.md#worker-pool). A search step is
/// thousands of such regions (a batch norm over a [64, 2, 28, 28] tensor, one op's kernel). And a
/// nested `concurrentPerform` runs on its caller's thread alone, so when a node's third edge (a
/// task) runs its ops (a nested region), the other core has nothing to do.
///
/// How it works: a job (`run`) takes a free `Job` slot and publishes it in the slot's atomic
/// `ticket` (the slot's generation number, the iteration count and the next unclaimed
/// iteration). Every thread that has nothing else to do, the idle workers and any caller waiting
/// for its own job to finish, claims iterations of any open job, each claim a compare-and-swap on
/// that job's ticket. A thread reads a job's body only after claiming one of its iterations, and
/// the job's caller does not replace the body before every iteration is done, so the body read is
/// always the one claimed for. Which thread runs which iteration varies; callers write only memory
/// of their own iteration, so results do not depend on it. An iteration may run on a thread that
/// is waiting for a job of its own, so a body must not rely on its thread's state (`GradMode`'s
/// per-thread mode is carried into tasks explicitly), and a caller's return may wait for the other
/// job's iteration it took on.
///
/// Workers spin for `spinLimit` after their last iteration (yielding the core every few µs, in case
/// other threads wait for it), then sleep on a condition until the next job is published; a caller does not wait for a sleeping worker, it wakes it and starts on
/// its iterations itself. With every slot taken, a job runs on its caller's thread alone.
final class WorkerPool: @unchecked Sendable {
    /// One pool for the process: one worker fewer than the cores (the calling thread is the other).
    static let shared = WorkerPool(workers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// How long an idle worker spins before it sleeps: long enough to bridge the serial code
    /// between two parallel regions of a training step, short enough not to keep a core busy
    /// while a search is paused.
    static let spinLimit: UInt64 = 2_000_000  // ns

    /// Jobs open at once (nested regions take one each).
    static let slotCount = 8

    // ticket = generation << 40 | iterations << 20 | next
    static let fieldBits = 20
    static let fieldMask = (1 << fieldBits) - 1
    /// Larger jobs run on the calling thread (no caller comes near: at most a few hundred iterations).
    static let maximumIterations = fieldMask

    /// One open (or free) job.
    final class Job: @unchecked Sendable {
        let ticket = Atomic<Int>(0)
        let completed = Atomic<Int>(0)
        let taken = Atomic<Bool>(false)
        /// Written by the slot's owner only, between jobs.
        var generation = 0
        var body: ((Int) -> Void)?

        /// The next unclaimed iteration, or nil when all are claimed.
        func claim() -> Int? {
            var current = ticket.load(ordering: .acquiring)
            while true {
                let next = current & WorkerPool.fieldMask
                guard next < (current >> WorkerPool.fieldBits) & WorkerPool.fieldMask else { return nil }
                let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
                if exchanged { return next }
                current = original
            }
        }

        /// Runs a claimed iteration and counts it done. The body is called out of line so that
        /// this thread's reference to it is released before the count (the caller's
        /// `withoutActuallyEscaping` checks that no reference outlives the job).
        func perform(_ index: Int) {
            call(index)
            completed.add(1, ordering: .releasing)
        }

        @inline(never) private func call(_ index: Int) { body.unsafelyUnwrapped(index) }
    }

    let workers: Int
    private let slots: [Job] = (0..<WorkerPool.slotCount).map { _ in Job() }
    /// Counts publications, so that idle threads notice new jobs by one load.
    private let published = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let condition = NSCondition()
    private let spun = Atomic<Int>(0)
    /// How many `countingSpin` scopes are open: the threads time their spinning only while one is.
    private let spinCounters = Atomic<Int>(0)

    /// CPU nanoseconds the pool's threads spent spinning, waiting for work (workers) or for other
    /// threads to finish a job's last iterations (callers), while `body` ran. Spinning is CPU time
    /// without work, so a benchmark subtracts it to count the cores doing work. It is the threads'
    /// own CPU time, not wall time: a spinning thread that yields its core to another (more threads
    /// than cores) is not spinning while it waits for the core. Reading a thread's CPU clock is a
    /// system call, so the threads read it only inside such a scope.
    func countingSpin<Result>(_ body: () throws -> Result) rethrows -> (result: Result, nanoseconds: Int) {
        spinCounters.add(1, ordering: .sequentiallyConsistent)
        defer { spinCounters.subtract(1, ordering: .sequentiallyConsistent) }
        let start = spun.load(ordering: .relaxed)
        let result = try body()
        return (result, spun.load(ordering: .relaxed) - start)
    }

    init(workers: Int) {
        self.workers = workers
        for index in 0..<workers {
            // The threads keep the pool alive: a pool lives as long as the process.
            let thread = Thread { self.workerLoop() }
            thread.name = "bnas worker \(index + 1)"
            thread.stackSize = 8 << 20  // as the main thread's: the ops' code runs on either
            thread.start()
        }
    }

    /// Calls `body(index)` for every index in 0..<iterations, spread over the calling thread and
    /// whichever threads are free; returns when all are done.
    func run(_ iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 1, workers > 0, iterations <= Self.maximumIterations, let job = takeSlot() else {
            for index in 0..<iterations { body(index) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job.body = body
            job.completed.store(0, ordering: .relaxed)
            job.generation = (job.generation + 1) & ((1 << 23) - 1)
            job.ticket.store(job.generation << (2 * Self.fieldBits) | iterations << Self.fieldBits, ordering: .sequentiallyConsistent)
            published.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock()
                condition.broadcast()
                condition.unlock()
            }
            while let index = job.claim() { job.perform(index) }
            // Help with other open jobs (the ones nested in this job's iterations on other threads) until done.
            var idleSince: Int?
            var idle = false
            var idleSpins = 0
            while job.completed.load(ordering: .acquiring) < iterations {
                if let (other, index) = claimAny() {
                    countSpin(since: idleSince)
                    (idle, idleSince) = (false, nil)
                    other.perform(index)
                } else if !idle {
                    (idle, idleSince) = (true, spinClock())
                } else {
                    idleSpins += 1
                    if idleSpins & 255 == 0 { sched_yield() }  // let a descheduled thread finish our iteration
                }
            }
            countSpin(since: idleSince)
            job.body = nil
        }
        job.taken.store(false, ordering: .releasing)
    }

    private func takeSlot() -> Job? {
        slots.first { $0.taken.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged }
    }

    /// An unclaimed iteration of any open job, the most deeply nested first (slots are taken
    /// lowest first, so later slots tend to hold the jobs nested in earlier ones' iterations).
    private func claimAny() -> (Job, Int)? {
        for job in slots.reversed() {
            if let index = job.claim() { return (job, index) }
        }
        return nil
    }

    private func workerLoop() {
        while true {
            let epoch = published.load(ordering: .acquiring)
            if let (job, index) = claimAny() {
                job.perform(index)
                continue
            }
            waitForPublication(after: epoch)
        }
    }

    /// The calling thread's CPU nanoseconds when a `countingSpin` scope is open, else nil.
    private func spinClock() -> Int? {
        guard spinCounters.load(ordering: .relaxed) > 0 else { return nil }
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }

    private func countSpin(since start: Int?) {
        guard let start, let now = spinClock() else { return }
        spun.add(now - start, ordering: .relaxed)
    }

    /// Spins, then sleeps, until a job is published after `epoch`.
    private func waitForPublication(after epoch: Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        let spinStart = spinClock()
        var spins = 0
        while published.load(ordering: .acquiring) == epoch {
            spins += 1
            guard spins & 1023 == 0 else { continue }
            sched_yield()  // every few µs: with more threads than cores, the spinning must not hold a core others need
            if DispatchTime.now().uptimeNanoseconds - start > Self.spinLimit {
                countSpin(since: spinStart)
                condition.lock()
                defer { condition.unlock() }
                sleepers.add(1, ordering: .sequentiallyConsistent)
                defer { sleepers.subtract(1, ordering: .sequentiallyConsistent) }
                while published.load(ordering: .sequentiallyConsistent) == epoch { condition.wait() }
                return
            }
        }
        countSpin(since: spinStart)
    }
}
