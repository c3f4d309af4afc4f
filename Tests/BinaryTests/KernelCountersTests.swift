import Dispatch
import Testing
@testable import Binary
import Tensor

struct KernelCountersTests {
    @Test func gemmCallsAddTheirMACs() {
        let counters = KernelCounters()
        let a = TestData.packed(rows: 5, k: 70, seed: 51), b = TestData.packed(rows: 9, k: 70, seed: 52)
        for path in KernelPath.allCases { _ = XNORGEMM.multiply(a, b, path: path, counters: counters) }
        _ = XNORGEMM.reference(a, b)
        let totals = counters.snapshot()
        #expect(totals.binaryMACs == 3 * 5 * 9 * 70)
        #expect(totals.binaryCalls == 3)
        #expect(totals.binaryNanoseconds > 0)
        #expect(totals.binaryMACsPerSecond > 0)
        #expect(totals.packedBits == 0 && totals.floatCalls == 0)
    }

    @Test func packingAddsItsBits() {
        let counters = KernelCounters()
        _ = BitPacking.packRows(values: TestData.values(3 * 100, seed: 53), rows: 3, k: 100, counters: counters)
        _ = BitPacking.packWeights(weight: TestData.values(4 * 2 * 9, seed: 54), outChannels: 4, inChannels: 2, kernel: 3, counters: counters)
        let g = ConvGeometry(input: [2, 3, 5, 5], weight: [4, 3, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1)
        _ = BitPacking.packedIm2col(input: TestData.values(2 * 3 * 25, seed: 55), geometry: g, counters: counters)
        #expect(counters.snapshot().packedBits == 300 + 72 + 2 * 25 * 27)
    }

    /// Kernels handed no counters count in the innermost owner's (`counting(into:)`), and outside any
    /// owner in counters that record nothing.
    @Test func kernelsCountInTheCurrentOwnersCounters() {
        let a = TestData.packed(rows: 4, k: 100, seed: 56), b = TestData.packed(rows: 6, k: 100, seed: 57)
        let outer = KernelCounters(), inner = KernelCounters()
        _ = XNORGEMM.multiply(a, b)
        KernelCounters.counting(into: outer) {
            _ = XNORGEMM.multiply(a, b)
            KernelCounters.counting(into: inner) { _ = XNORGEMM.multiply(a, b) }
            _ = XNORGEMM.multiply(a, b)
        }
        #expect(outer.snapshot().binaryCalls == 2 && outer.snapshot().binaryMACs == 2 * 4 * 6 * 100)
        #expect(inner.snapshot().binaryCalls == 1 && inner.snapshot().binaryMACs == 4 * 6 * 100)
        #expect(KernelCounters.current.snapshot() == KernelCounters.Snapshot())
    }

    /// Many threads recording at once lose nothing; `subtracting` and `reset` give the interval and zero.
    @Test func concurrentRecordsAddUp() {
        let counters = KernelCounters()
        counters.recordFloat(flops: 1, nanoseconds: 1)
        let before = counters.snapshot()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for step in 0..<1000 {
                counters.recordBinary(macs: worker + step, nanoseconds: 2)
                counters.recordFloat(flops: 10, nanoseconds: 5)
            }
        }
        counters.countingFloat(flops: 6) {}
        let interval = counters.snapshot().subtracting(before)
        #expect(interval.binaryMACs == 1000 * (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7) + 8 * (999 * 1000 / 2))
        #expect(interval.binaryCalls == 8000 && interval.binaryNanoseconds == 16000)
        #expect(interval.floatFLOPs == 80006 && interval.floatCalls == 8001)
        #expect(interval.floatNanoseconds >= 40000)
    }
}
