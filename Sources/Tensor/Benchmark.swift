import Foundation

/// Timing: the median of repeated runs after warm-up runs. It stays in Tensor, below the `Benchmarks`
/// module, because product code times with it too: the search's latency probe (`kernels` events) and
/// `bnas eval`'s alternating passes.
public enum Benchmark {
    /// Median wall-clock seconds of `body` over `runs` runs, after `warmup` untimed runs. With
    /// `minimumSeconds`, more runs are added until the timed runs add up to at least that long.
    public static func median(warmup: Int = 2, runs: Int = 7, minimumSeconds: Double = 0, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var samples: [Double] = []
        var total = 0.0
        while samples.count < runs || (total < minimumSeconds && samples.count < 1000) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            samples.append(seconds)
            total += seconds
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// The middle value of `values` (the mean of the two middle ones for an even count), for
    /// measurements taken one at a time elsewhere (`bnas eval`'s alternating passes).
    public static func median(of values: [Double]) -> Double {
        precondition(!values.isEmpty, "median of no values")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
