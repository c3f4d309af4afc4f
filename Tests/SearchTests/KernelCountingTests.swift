import Binary
import Foundation
import Network
import Synchronization
import Testing
@testable import Search
import Tensor

/// The ops of an edge run as tasks on whichever thread of the worker pool is free; their kernels
/// count in the counters of the thread that started them (`CallerContext`), so a search's throughput
/// does not depend on which thread ran what.
struct KernelCountingTests {
    static func binarizedOperations() -> [any UnaryLayer] {
        var rng = SeededRNG(seed: 21)
        let binarization = BinarizationConfig(weights: .xnor, activations: .binary)
        let kinds: [OperationKind] = [.sepConv3x3, .sepConv5x5, .dilConv3x3, .dilConv5x5, .skipConnect, .sepConv3x3]
        return kinds.map { $0.makeLayer(channels: 16, stride: 1, affine: false, inSupernet: true, binarization: binarization, rng: &rng) }
    }

    /// The work counters saw: multiply-accumulates on bits and their calls, float FLOPs and their calls.
    static func work(_ counters: KernelCounters) -> [Int] {
        let totals = counters.snapshot()
        return [totals.binaryMACs, totals.binaryCalls, totals.floatFLOPs, totals.floatCalls]
    }

    @Test(arguments: [true, false]) func operationsRunAsTasksCountInTheCallersCounters(training: Bool) {
        let operations = Self.binarizedOperations().map(ThreadNoting.init)
        let input = seededTensor([8, 16, 16, 16], seed: 22, requiresGrad: training)
        let coefficients = Tensor(shape: [1, operations.count], data: (0..<operations.count).map { 0.1 + Float($0) / 10 })
        func run(_ body: () -> Void) { training ? body() : GradMode.disabled(body) }

        let oneAfterTheOther = KernelCounters()
        KernelCounters.counting(into: oneAfterTheOther) { run { for operation in operations { _ = operation(input, training: training) } } }
        #expect(Self.work(oneAfterTheOther)[0] > 0, "the bit kernels ran")
        // Until a worker thread has run one of the ops (the pool hands tasks to whichever thread is free).
        let caller = ObjectIdentifier(Thread.current)
        var workerRanAnOperation = false
        for _ in 0..<200 where !workerRanAnOperation {
            operations.forEach { $0.threads.withLock { $0.removeAll() } }
            let asTasks = KernelCounters()
            KernelCounters.counting(into: asTasks) {
                run { _ = ParallelSum.weighted(operations, input: input, coefficients: coefficients, at: Array(operations.indices), training: training) }
            }
            #expect(Self.work(asTasks) == Self.work(oneAfterTheOther))
            workerRanAnOperation = operations.contains { $0.threads.withLock { $0.contains { $0 != caller } } }
        }
        #expect(workerRanAnOperation || ProcessInfo.processInfo.activeProcessorCount == 1, "no worker thread took an op")
    }

    /// Why the backward tasks carry no counters: the ops' backward passes count nothing.
    @Test func backwardPassesRunNoCountedKernels() {
        let input = seededTensor([4, 16, 8, 8], seed: 23, requiresGrad: true)
        for operation in Self.binarizedOperations() {
            let output = operation(input, training: true)
            let counters = KernelCounters()
            KernelCounters.counting(into: counters) { output.sum().backward() }
            #expect(Self.work(counters) == [0, 0, 0, 0])
            #expect(input.grad.contains { $0 != 0 }, "a gradient reached the input")
            input.zeroGrad()
        }
    }
}

/// A layer that notes the threads it ran on.
final class ThreadNoting: UnaryLayer {
    let wrapped: any UnaryLayer
    let threads = Mutex<[ObjectIdentifier]>([])

    init(_ wrapped: any UnaryLayer) { self.wrapped = wrapped }

    func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        threads.withLock { $0.append(ObjectIdentifier(Thread.current)) }
        return wrapped(x, training: training)
    }
}
