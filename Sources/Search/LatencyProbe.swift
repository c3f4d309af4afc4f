import Binary
import Network
import Tensor

/// Once per epoch, the deployment latency of each binarized candidate op (`kernels`
/// events, docs/design.md#events): the op at `channels` channels on one `size` x `size` image, inference mode, with its
/// convolutions on the XNOR-popcount kernels and, for comparison, in full precision.
enum LatencyProbe {
    static let channels = 64
    static let size = 14
    static let batch = 1
    static let runs = 5

    /// The bit path binarizes as the search does; a float search is measured as XNOR with binary
    /// activations, the deployment target of bnas. The probe's kernels count in counters of their own,
    /// not in the search's throughput.
    static func measure(binarization: BinarizationConfig) -> [OperationLatency] {
        let bitConfig = binarization.binarizesActivations ? binarization : BinarizationConfig(weights: .xnor, activations: .binary)
        var rng = SeededRNG(seed: 11)
        let input = Tensor.randomNormal([batch, channels, size, size], std: 1, rng: &rng)
        return KernelCounters.counting(into: KernelCounters()) { GradMode.disabled {
            OperationKind.allCases.filter(\.isParameterized).map { kind in
                let bitOp = kind.makeLayer(channels: channels, stride: 1, affine: true, binarization: bitConfig, rng: &rng)
                let floatOp = kind.makeLayer(channels: channels, stride: 1, affine: true, binarization: .float, rng: &rng)
                let bit = Benchmark.median(warmup: 1, runs: runs) { _ = bitOp(input, training: false) }
                let float = Benchmark.median(warmup: 1, runs: runs) { _ = floatOp(input, training: false) }
                return OperationLatency(operation: kind, bitMilliseconds: bit * 1000, floatMilliseconds: float * 1000)
            }
        } }
    }
}
