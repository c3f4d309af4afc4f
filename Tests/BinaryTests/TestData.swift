@testable import Binary
import Tensor

/// Seeded inputs for the bit tests.
enum TestData {
    /// Normal values with about one in eight exactly +0.0 or -0.0 (both must pack as +1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in
            switch rng.nextInt(below: 16) {
            case 0: return 0
            case 1: return -0.0
            default: return rng.nextNormal()
            }
        }
    }

    /// A random packed matrix (padding bits 0).
    static func packed(rows: Int, k: Int, seed: UInt64) -> PackedMatrix {
        BitPacking.packRows(values: values(rows * k, seed: seed), rows: rows, k: k, counters: KernelCounters())
    }
}
