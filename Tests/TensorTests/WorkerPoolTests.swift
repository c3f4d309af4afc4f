import Foundation
import Synchronization
import Testing
@testable import Tensor

/// `WorkerPool` runs every iteration of a job exactly once, nested jobs and jobs from several
/// threads included, and its workers do take part (also after they went to sleep). Each test uses
/// a pool of its own, so the process-wide one stays free for the other suites.
struct WorkerPoolTests {
    /// The thread an iteration ran on.
    static var threadID: UInt { UInt(pthread_self()) }

    /// About `microseconds` of work on the calling thread (not a sleep: a sleeping thread would
    /// let the other thread run every iteration's start and hide whether both take part).
    static func spin(microseconds: Double) {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(microseconds * 1000)
        while DispatchTime.now().uptimeNanoseconds < end {}
    }

    /// How often each index of 0..<count ran in `job` (each index writes only its own counter).
    static func hits(_ count: Int, _ job: (Int, (Int) -> Void) -> Void) -> [Int] {
        var hits = [Int](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { hits in
            let slots = hits
            job(count) { slots[$0] += 1 }
        }
        return hits
    }

    @Test(arguments: [0, 1, 3])
    func everyIterationRunsOnce(workers: Int) {
        let pool = WorkerPool(workers: workers)
        for count in [0, 1, 2, 7, 100, 5000] {
            for _ in 0..<20 {
                #expect(Self.hits(count) { pool.run($0, $1) }.allSatisfy { $0 == 1 }, "\(count) iterations, \(workers) workers")
            }
        }
    }

    /// Jobs started inside iterations (on whichever thread runs them) are jobs too, down to more
    /// levels than the pool has slots (the deepest ones then run on their caller's thread).
    @Test func nestedJobsRunEveryIterationOnce() {
        let pool = WorkerPool(workers: 1)
        let (outer, inner, innermost) = (5, 7, 3)
        let counts = Self.hits(outer * inner * innermost) { count, hit in
            pool.run(outer) { a in
                pool.run(inner) { b in
                    pool.run(innermost) { c in hit((a * inner + b) * innermost + c) }
                }
            }
        }
        #expect(counts.allSatisfy { $0 == 1 })

        func descend(_ depth: Int, _ hit: (Int) -> Void, prefix: Int) {
            guard depth > 0 else { hit(prefix); return }
            pool.run(2) { descend(depth - 1, hit, prefix: prefix * 2 + $0) }
        }
        let depth = WorkerPool.slotCount + 3
        #expect(Self.hits(1 << depth) { _, hit in descend(depth, hit, prefix: 0) }.allSatisfy { $0 == 1 })
    }

    /// Several threads running jobs on one pool at once each get all of their own iterations.
    @Test func concurrentCallersEachRunTheirOwnIterations() {
        let pool = WorkerPool(workers: 1)
        let callers = 4
        let totals = Mutex([Int](repeating: 0, count: callers))
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for round in 0..<200 {
                let count = 1 + (caller + round) % 9
                let sum = Atomic<Int>(0)
                pool.run(count) { sum.add($0 + 1, ordering: .relaxed) }
                totals.withLock { $0[caller] += sum.load(ordering: .relaxed) == count * (count + 1) / 2 ? 1 : 0 }
            }
        }
        #expect(totals.withLock { $0 } == [Int](repeating: 200, count: callers))
    }

    /// The threads that ran a job's iterations (50 iterations of about 1 ms each, so that a worker
    /// that is awake, or wakes within tens of milliseconds, takes some).
    static func threads(of pool: WorkerPool, nestedIn outer: Int = 1) -> Set<UInt> {
        var ran = [UInt](repeating: 0, count: 50)
        ran.withUnsafeMutableBufferPointer { ran in
            let slots = ran
            func job() {
                pool.run(slots.count) { index in
                    spin(microseconds: 1000)
                    slots[index] = threadID
                }
            }
            if outer == 1 {
                job()
            } else {
                // Only the last outer iteration has work: it runs the job nested, and the thread
                // that finished the others helps with it.
                pool.run(outer) { index in if index == outer - 1 { job() } }
            }
        }
        return Set(ran)
    }

    @Test func theWorkersTakePartInJobsAndInNestedJobs() {
        let pool = WorkerPool(workers: 1)
        #expect(Self.threads(of: pool).count == 2)
        #expect(Self.threads(of: pool, nestedIn: 3).count == 2, "a nested job gets help")
    }

    @Test func aSleepingWorkerWakesForTheNextJob() {
        let pool = WorkerPool(workers: 1)
        pool.run(2) { _ in }
        Thread.sleep(forTimeInterval: 4 * Double(WorkerPool.spinLimit) / 1e9)  // past the spin: the worker sleeps
        #expect(Self.threads(of: pool).count == 2)
    }

    /// The process's CPU seconds so far.
    static var processCPUSeconds: Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The spinning counted is the spinning threads' CPU time, so it cannot exceed the process's.
    /// Here twice as many callers as cores wait at once, each for the iteration a worker took
    /// (while the caller slept in its own): counted in wall time, as it once was, their spinning
    /// exceeded what the process spent at all, and `bnas bench search` reported negative busy cores.
    @Test func spinningIsCountedInCPUTime() {
        let callers = 2 * ProcessInfo.processInfo.activeProcessorCount
        let pool = WorkerPool(workers: callers)
        let cpuStart = Self.processCPUSeconds
        let (_, spun) = pool.countingSpin {
            let done = DispatchGroup()
            for _ in 0..<callers {
                done.enter()
                Thread {
                    pool.run(2) { index in
                        if index == 0 { Thread.sleep(forTimeInterval: 0.002) } else { Self.spin(microseconds: 30_000) }
                    }
                    done.leave()
                }.start()
            }
            done.wait()
        }
        let cpu = Self.processCPUSeconds - cpuStart
        #expect(spun > 0)
        #expect(Double(spun) / 1e9 <= cpu, "spun \(Double(spun) / 1e9) s of \(cpu) s of process CPU time")
    }
}
