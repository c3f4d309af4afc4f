import ArgumentParser
import Binary
import Foundation
import Network
import Tensor

/// `bnas bench conv`: the float convolution of each candidate operation and of a plain 3x3 conv,
/// against OpenBLAS sgemm on the equivalent GEMM; and the binarized (XNOR, sign activations) layers in
/// inference on the bit path against the float path; all measured in this process.
struct ConvBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv", abstract: "Float convolution against sgemm of the same GEMM.")

    @OptionGroup var options: BenchOptions

    @Option(help: "Batch size of the benchmarked layers.")
    var batch: Int = 64

    struct Row: Encodable {
        var layer: String
        var shape: String
        var threads: Int
        var forwardMilliseconds: Double
        var trainingStepMilliseconds: Double
        var forwardGFLOPS: Double
        var sgemmGFLOPS: Double
        var ratio: Double
    }

    struct BinaryRow: Encodable {
        var layer: String
        var shape: String
        var threads: Int
        var floatPathMilliseconds: Double
        var bitPathMilliseconds: Double
        var speedup: Double
    }

    struct Report: Encodable {
        var float: [Row]
        var binarized: [BinaryRow]
    }

    func run() throws {
        try reportingErrors {
            var rows: [Row] = []
            let threads = Parallelism.threads
            // The bar of docs/performance.md#targets: a 3x3 conv at 64 channels, 28x28, batch 64, against the sgemm of its own GEMM.
            for (channels, size) in [(64, 28), (32, 28), (16, 28), (64, 14)] {
                rows.append(benchPlainConv(channels: channels, size: size, threads: threads))
            }
            for kind in OperationKind.allCases where kind.isParameterized {
                for (channels, size) in [(16, 28), (64, 14)] {
                    rows.append(benchOperation(kind, channels: channels, size: size, threads: threads))
                }
            }
            var binarized: [BinaryRow] = []
            // 1x1 convolutions on few channels, where BinaryConvolution.minimumBitDepth decides between
            // packed bits and SignPointwise's float loops.
            for channels in [8, 16, 24] {
                binarized.append(benchBinarized("conv 1x1", channels: channels, size: 28, threads: threads) { rng in
                    Conv2d(inChannels: channels, outChannels: channels, kernel: 1, binarization: Self.xnorBinary, rng: &rng)
                })
            }
            for (channels, size) in [(32, 28), (64, 14)] {
                binarized.append(benchBinarized("conv 1x1", channels: channels, size: size, threads: threads) { rng in
                    Conv2d(inChannels: channels, outChannels: channels, kernel: 1, binarization: Self.xnorBinary, rng: &rng)
                })
                binarized.append(benchBinarized("conv 3x3", channels: channels, size: size, threads: threads) { rng in
                    Conv2d(inChannels: channels, outChannels: channels, kernel: 3, padding: 1, binarization: Self.xnorBinary, rng: &rng)
                })
                for kind in OperationKind.allCases where kind.isParameterized {
                    binarized.append(benchBinarized(kind.rawValue, channels: channels, size: size, threads: threads) { rng in
                        kind.makeLayer(channels: channels, stride: 1, affine: true, binarization: Self.xnorBinary, rng: &rng)
                    })
                }
            }
            if options.json { try printJSON(Report(float: rows, binarized: binarized)); return }
            var table = BenchTable(columns: ["layer", "input (NCHW)", "thr", "fwd ms", "fwd+bwd ms", "fwd GFLOP/s", "sgemm GFLOP/s", "ratio"])
            for row in rows {
                table.rows.append([row.layer, row.shape, String(row.threads), String(format: "%.2f", row.forwardMilliseconds),
                                   String(format: "%.2f", row.trainingStepMilliseconds), String(format: "%.1f", row.forwardGFLOPS),
                                   String(format: "%.1f", row.sgemmGFLOPS), String(format: "%.0f%%", row.ratio * 100)])
            }
            print(table.render())
            print("median of \(options.runs) runs after warm-up; sgemm = OpenBLAS on the conv's equivalent GEMM (M = out channels, N = batch*H*W, K = in*k*k), \(threads) threads")
            var bits = BenchTable(columns: ["binarized layer", "input (NCHW)", "thr", "float path ms", "bit path ms", "x"])
            for row in binarized {
                bits.rows.append([row.layer, row.shape, String(row.threads), String(format: "%.2f", row.floatPathMilliseconds),
                                  String(format: "%.2f", row.bitPathMilliseconds), String(format: "%.1f", row.speedup)])
            }
            print("")
            print(bits.render())
            print("xnor weights, sign activations, inference forward (BN with running statistics); float path = the same layer with")
            print("BinaryConvolution.onFloatKernels (sign and +1 padding as floats, float kernels); median of \(options.runs) runs")
        }
    }

    func benchPlainConv(channels: Int, size: Int, threads: Int) -> Row {
        var rng = SeededRNG(seed: 1)
        let input = Tensor.randomNormal([batch, channels, size, size], std: 1, rng: &rng, requiresGrad: true)
        let weight = Tensor.randomNormal([channels, channels, 3, 3], std: 0.1, rng: &rng, requiresGrad: true)
        let geometry = ConvGeometry(input: input.shape, weight: weight.shape, stride: 1, padding: 1, dilation: 1, groups: 1)
        let forward = Benchmark.median(runs: options.runs) { _ = Convolution.forward(geometry, input: input.data, weight: weight.data) }
        let step = Benchmark.median(runs: options.runs) {
            let output = input.conv2d(weight, padding: 1)
            output.backward(seed: [Float](repeating: 1, count: output.count))
            input.zeroGrad(); weight.zeroGrad()
        }
        let flops = 2 * Double(geometry.macs)
        let sgemm = sgemmGFLOPS(m: channels, n: batch * size * size, k: channels * 9, threads: threads)
        return Row(layer: "conv 3x3", shape: "\(batch)x\(channels)x\(size)x\(size)", threads: threads,
                   forwardMilliseconds: forward * 1e3, trainingStepMilliseconds: step * 1e3,
                   forwardGFLOPS: flops / forward / 1e9, sgemmGFLOPS: sgemm, ratio: flops / forward / 1e9 / sgemm)
    }

    /// A candidate operation as a whole (ReLU, depthwise, pointwise, BN); GFLOP/s counts its convolutions'
    /// multiply-adds, and the sgemm reference is the GEMM of its pointwise convolution.
    func benchOperation(_ kind: OperationKind, channels: Int, size: Int, threads: Int) -> Row {
        var rng = SeededRNG(seed: 2)
        let layer = kind.makeLayer(channels: channels, stride: 1, affine: true, rng: &rng)
        let input = Tensor.randomNormal([batch, channels, size, size], std: 1, rng: &rng, requiresGrad: true)
        let forward = Benchmark.median(runs: options.runs) { _ = GradMode.disabled { layer(input, training: true) } }
        let step = Benchmark.median(runs: options.runs) {
            let output = layer(input, training: true)
            output.backward(seed: [Float](repeating: 1, count: output.count))
            input.zeroGrad(); for parameter in layer.parameters { parameter.zeroGrad() }
        }
        let kernel = kind == .sepConv5x5 || kind == .dilConv5x5 ? 25 : 9
        let blocks = kind == .sepConv3x3 || kind == .sepConv5x5 ? 2 : 1
        let pixels = batch * size * size
        let macs = Double(blocks * pixels * channels * (kernel + channels))
        let sgemm = sgemmGFLOPS(m: channels, n: pixels, k: channels, threads: threads)
        return Row(layer: kind.rawValue, shape: "\(batch)x\(channels)x\(size)x\(size)", threads: threads,
                   forwardMilliseconds: forward * 1e3, trainingStepMilliseconds: step * 1e3,
                   forwardGFLOPS: 2 * macs / forward / 1e9, sgemmGFLOPS: sgemm, ratio: 2 * macs / forward / 1e9 / sgemm)
    }

    static let xnorBinary = BinarizationConfig(weights: .xnor, activations: .binary)

    /// One binarized layer's inference forward on the float path and on the bit path.
    func benchBinarized(_ name: String, channels: Int, size: Int, threads: Int, _ make: (inout SeededRNG) -> any UnaryLayer) -> BinaryRow {
        var rng = SeededRNG(seed: 5)
        let layer = make(&rng)
        let input = Tensor.randomNormal([batch, channels, size, size], std: 1, rng: &rng)
        func time(bits: Bool) -> Double {
            BinaryConvolution.onKernels(bits: bits) {
                Benchmark.median(runs: options.runs) { _ = GradMode.disabled { layer(input, training: false) } }
            }
        }
        let float = time(bits: false), bits = time(bits: true)
        return BinaryRow(layer: name, shape: "\(batch)x\(channels)x\(size)x\(size)", threads: threads,
                         floatPathMilliseconds: float * 1e3, bitPathMilliseconds: bits * 1e3, speedup: float / bits)
    }

    /// OpenBLAS sgemm on one M x K by K x N product, with OpenBLAS's own threads set to `threads`.
    func sgemmGFLOPS(m: Int, n: Int, k: Int, threads: Int) -> Double {
        var rng = SeededRNG(seed: 3)
        let a = (0..<(m * k)).map { _ in rng.nextUniform() }
        let b = (0..<(k * n)).map { _ in rng.nextUniform() }
        var c = [Float](repeating: 0, count: m * n)
        Parallelism.setBLASThreads(threads)
        defer { Parallelism.setBLASThreads(1) }
        let seconds = Benchmark.median(runs: options.runs) {
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
            } } }
        }
        return 2 * Double(m * n * k) / seconds / 1e9
    }
}
