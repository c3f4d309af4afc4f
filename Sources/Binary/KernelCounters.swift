import Dispatch
import Foundation

/// Running totals of the work done by the 1-bit kernels (and, reported from elsewhere, the float
/// GEMMs), for the dashboard's throughput panel and `kernels` events. Thread-safe: every kernel call
/// adds its totals once, under a lock, so nothing is counted inside the inner loops.
///
/// Counters belong to whoever wants the numbers: a search counts its own work (`SearchRun`), `bnas
/// eval` each pass, a test its kernel calls. Kernels take them as a parameter; the layers that call
/// kernels do not, and pass nothing, so the kernels count in the `current` counters.
public final class KernelCounters: @unchecked Sendable {
    /// The counters of the search or measurement running on this thread (`counting(into:_:)`), which
    /// kernels count in when they are not handed others; outside any, counters that record nothing.
    ///
    /// Task-local rather than a parameter of every layer: kernels are called from deep inside the
    /// layers (a cell's mixed op calls a separable convolution's binarized convolutions), and threading
    /// counters through every layer's call would touch them all for numbers only the dashboard shows.
    /// Outside Swift tasks a task-local value belongs to the thread, as `GradMode` does: a `WorkerPool`
    /// iteration may run on any thread, so code that runs layers as tasks of a parallel region hands
    /// them its counters (`counting(into:_:)` inside the task, as `GradMode.carried`). The kernels'
    /// own parallel regions need nothing: they record once, on the calling thread, after the region.
    @TaskLocal public static var current = KernelCounters(recording: false)

    /// Runs `body` with `counters` as the `current` counters of this thread (restored afterwards).
    public static func counting<T>(into counters: KernelCounters, _ body: () throws -> T) rethrows -> T {
        try $current.withValue(counters, operation: body)
    }

    /// Totals at one moment. Subtract an earlier snapshot for the rates over an interval.
    public struct Snapshot: Equatable, Sendable, Codable {
        /// Binary multiply-accumulates (one sign times sign, M * N * K per XNOR GEMM).
        public var binaryMACs: Int = 0
        /// Wall-clock nanoseconds inside XNOR GEMM calls.
        public var binaryNanoseconds: Int = 0
        /// XNOR GEMM calls.
        public var binaryCalls: Int = 0
        /// Signs packed into bits (by `BitPacking`'s packers and the packed im2col).
        public var packedBits: Int = 0
        /// Wall-clock nanoseconds spent packing.
        public var packingNanoseconds: Int = 0
        /// Floating-point operations of float GEMMs (2 per multiply-add), as reported by their callers.
        public var floatFLOPs: Int = 0
        /// Wall-clock nanoseconds of those float GEMMs.
        public var floatNanoseconds: Int = 0
        /// Float GEMM calls reported.
        public var floatCalls: Int = 0

        public init() {}

        /// Binary multiply-accumulates per second over the time spent in XNOR GEMMs (0 before any).
        public var binaryMACsPerSecond: Double { Snapshot.rate(binaryMACs, binaryNanoseconds) }
        /// Float FLOP/s over the time spent in the reported float GEMMs (0 before any).
        public var floatFLOPsPerSecond: Double { Snapshot.rate(floatFLOPs, floatNanoseconds) }

        /// The work done between `earlier` and this snapshot.
        public func subtracting(_ earlier: Snapshot) -> Snapshot {
            var delta = Snapshot()
            delta.binaryMACs = binaryMACs - earlier.binaryMACs
            delta.binaryNanoseconds = binaryNanoseconds - earlier.binaryNanoseconds
            delta.binaryCalls = binaryCalls - earlier.binaryCalls
            delta.packedBits = packedBits - earlier.packedBits
            delta.packingNanoseconds = packingNanoseconds - earlier.packingNanoseconds
            delta.floatFLOPs = floatFLOPs - earlier.floatFLOPs
            delta.floatNanoseconds = floatNanoseconds - earlier.floatNanoseconds
            delta.floatCalls = floatCalls - earlier.floatCalls
            return delta
        }

        private static func rate(_ count: Int, _ nanoseconds: Int) -> Double {
            nanoseconds > 0 ? Double(count) / (Double(nanoseconds) * 1e-9) : 0
        }
    }

    private let lock = NSLock()
    private var totals = Snapshot()
    /// False only for the `current` counters outside any owner's: there is nobody to read them.
    private let isRecording: Bool

    public init() { isRecording = true }

    private init(recording: Bool) { isRecording = recording }

    /// The current totals.
    public func snapshot() -> Snapshot {
        lock.lock(); defer { lock.unlock() }
        return totals
    }

    /// Adds one XNOR GEMM call.
    public func recordBinary(macs: Int, nanoseconds: Int) {
        guard isRecording else { return }
        lock.lock(); defer { lock.unlock() }
        totals.binaryMACs += macs
        totals.binaryNanoseconds += nanoseconds
        totals.binaryCalls += 1
    }

    /// Adds one packing call.
    public func recordPacking(bits: Int, nanoseconds: Int) {
        guard isRecording else { return }
        lock.lock(); defer { lock.unlock() }
        totals.packedBits += bits
        totals.packingNanoseconds += nanoseconds
    }

    /// Adds one float GEMM (or convolution) of `flops` floating-point operations, timed by the caller.
    public func recordFloat(flops: Int, nanoseconds: Int) {
        guard isRecording else { return }
        lock.lock(); defer { lock.unlock() }
        totals.floatFLOPs += flops
        totals.floatNanoseconds += nanoseconds
        totals.floatCalls += 1
    }

    /// Runs a float GEMM (or convolution) of `flops` floating-point operations and records it with its time.
    public func countingFloat<T>(flops: Int, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        recordFloat(flops: flops, nanoseconds: Int(DispatchTime.now().uptimeNanoseconds - start))
        return result
    }

    /// Runs `body` and returns its result with the wall-clock nanoseconds it took.
    @inline(__always)
    static func timed<T>(_ body: () -> T) -> (T, Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        return (result, Int(DispatchTime.now().uptimeNanoseconds - start))
    }
}
