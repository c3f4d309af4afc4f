import Benchmarks
import Foundation
@testable import Search
import Tensor
import Testing

/// `bnas bench search`'s measurements on a tiny search.
struct SearchBenchmarkTests {
    /// Iteration times are positive, and the cores kept busy lie between none and all of them.
    @Test func iterationTimesAndCoresBusy() throws {
        let configuration = tinyConfiguration()
        let times = try SearchBenchmark.iterationTimes(configuration, data: SearchData.load(configuration), runs: 2)
        #expect(times.weightStep > 0 && times.searchIteration > 0)
        #expect(times.coresBusy > 0 && times.coresBusy <= Double(Parallelism.threads) + 0.25, "\(times.coresBusy)")
    }
}
