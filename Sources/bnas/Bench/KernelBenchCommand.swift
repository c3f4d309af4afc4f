import ArgumentParser
import Binary
import Foundation
import Tensor

/// `bnas bench kernels`: the XNOR-popcount GEMM on every kernel path against OpenBLAS sgemm of the
/// same M, N, K (multiply-accumulates against multiply-accumulates), and a binary 3x3 convolution
/// (packed im2col + XNOR GEMM) against the float convolution, on one thread and on all threads.
struct KernelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernels", abstract: "XNOR-popcount GEMM against sgemm of the same shape.")

    @OptionGroup var options: BenchOptions

    static let gemmRows = 256, gemmColumns = 1024
    static let reductionSizes = [72, 288, 576, 1152, 2304, 4608]

    struct GEMMRow: Encodable {
        var threads, m, n, k: Int
        var sgemmGMACs: Double
        /// G MAC/s of each kernel path, by path name.
        var binaryGMACs: [String: Double]
        /// binaryGMACs / sgemmGMACs, by path name.
        var speedup: [String: Double]
    }

    struct ConvRow: Encodable {
        var threads: Int
        var shape: String
        var floatMilliseconds: Double
        /// The packed im2col alone.
        var packingMilliseconds: Double
        /// `BinaryConvolution.forward` on bits: packing, XNOR GEMM, scaled Float32 NCHW output.
        var binaryMilliseconds: Double
        var speedup: Double
    }

    /// Two equal work items of `microseconds` each run by `Parallelism.forEachChunk` on two threads,
    /// against running both on one thread: whether short parallel regions get the second core.
    struct ScalingRow: Encodable {
        var microseconds: Int
        var serialMicroseconds: Double
        var speedup: Double
    }

    struct Report: Encodable {
        var bestPath: String
        var gemm: [GEMMRow]
        var conv: [ConvRow]
        var scaling: [ScalingRow]
    }

    func run() throws {
        try reportingErrors {
            let allThreads = Parallelism.threads
            var report = Report(bestPath: KernelPath.best.rawValue, gemm: [], conv: [],
                                scaling: allThreads > 1 ? [50, 200, 1000].map(benchScaling) : [])
            for threads in Set([1, allThreads]).sorted() {
                withThreads(threads) {
                    // Our kernels before sgemm: OpenBLAS's worker threads keep spinning for a while after a
                    // multi-threaded sgemm and would take the other core from the binary kernels.
                    let binary = Self.reductionSizes.map { benchBinaryGEMM(m: Self.gemmRows, n: Self.gemmColumns, k: $0) }
                    report.conv.append(benchConv(batch: 64, channels: 64, size: 28, threads: threads))
                    for (k, rates) in zip(Self.reductionSizes, binary) {
                        let sgemm = sgemmGMACs(m: Self.gemmRows, n: Self.gemmColumns, k: k, threads: threads)
                        report.gemm.append(GEMMRow(threads: threads, m: Self.gemmRows, n: Self.gemmColumns, k: k, sgemmGMACs: sgemm,
                                                   binaryGMACs: rates, speedup: rates.mapValues { $0 / sgemm }))
                    }
                }
            }
            if options.json { try printJSON(report); return }
            print(render(report))
        }
    }

    /// Runs `body` with `Parallelism.threads` = `threads`, restoring the setting afterwards.
    func withThreads(_ threads: Int, _ body: () -> Void) {
        let saved = Parallelism.threads
        Parallelism.threads = threads
        defer { Parallelism.threads = saved }
        body()
    }

    func seconds(_ body: () -> Void) -> Double {
        Benchmark.median(runs: options.runs, minimumSeconds: 0.2, body)
    }

    /// G MAC/s of the XNOR GEMM of an M x K by N x K pair of random sign matrices, by kernel path.
    func benchBinaryGEMM(m: Int, n: Int, k: Int) -> [String: Double] {
        var rng = SeededRNG(seed: UInt64(k))
        let a = BitPacking.packRows(values: (0..<(m * k)).map { _ in rng.nextNormal() }, rows: m, k: k)
        let b = BitPacking.packRows(values: (0..<(n * k)).map { _ in rng.nextNormal() }, rows: n, k: k)
        var c = [Int32](repeating: 0, count: m * n)
        var rates: [String: Double] = [:]
        for path in KernelPath.allCases {
            let time = seconds {
                c.withUnsafeMutableBufferPointer { out in
                    guard let out = out.baseAddress else { return }
                    XNORGEMM.multiply(a, b, into: out, ldc: n, path: path)
                }
            }
            rates[path.rawValue] = Double(m * n * k) / time / 1e9
        }
        return rates
    }

    /// G MAC/s of OpenBLAS sgemm on M x K by K x N, with OpenBLAS's own threads set to `threads`
    /// (back to 1 afterwards, the setting the rest of bnas relies on).
    func sgemmGMACs(m: Int, n: Int, k: Int, threads: Int) -> Double {
        var rng = SeededRNG(seed: UInt64(k))
        let a = (0..<(m * k)).map { _ in rng.nextNormal() }
        let b = (0..<(k * n)).map { _ in rng.nextNormal() }
        var c = [Float](repeating: 0, count: m * n)
        Parallelism.setBLASThreads(threads)
        defer { Parallelism.setBLASThreads(1) }
        let time = seconds {
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { out in
                guard let a = a.baseAddress, let b = b.baseAddress, let out = out.baseAddress else { return }
                GEMM.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: out, ldc: n)
            } } }
        }
        return Double(m * n * k) / time / 1e9
    }

    /// A 3x3 convolution, stride 1, padding 1, of sign activations: the float convolution of the ±1
    /// values against `BinaryConvolution.forward` on bits (packed im2col of the activations, XNOR GEMM
    /// against the layer's packed kernel, Float32 NCHW output with the scales applied).
    func benchConv(batch: Int, channels: Int, size: Int, threads: Int) -> ConvRow {
        var rng = SeededRNG(seed: 4)
        let input = (0..<(batch * channels * size * size)).map { _ in BitPacking.sign(rng.nextNormal()) }
        let weights = BinaryWeights.xnor((0..<(channels * channels * 9)).map { _ in rng.nextNormal() }, outChannels: channels)
        let kernel = BinaryKernel(weights, channelsPerGroup: channels, kernel: 3)
        let geometry = ConvGeometry(input: [batch, channels, size, size], weight: [channels, channels, 3, 3],
                                    stride: 1, padding: 1, dilation: 1, groups: 1)
        let float = seconds { _ = Convolution.forward(geometry, input: input, weight: weights.signs) }
        let packing = seconds { _ = BitPacking.packedIm2col(input: input, geometry: geometry) }
        let binary = seconds { _ = BinaryConvolution.forward(geometry, input: input, kernel: kernel, binaryInput: true) }
        return ConvRow(threads: threads, shape: "\(batch)x\(channels)x\(size)x\(size) 3x3 -> \(channels)",
                       floatMilliseconds: float * 1e3, packingMilliseconds: packing * 1e3, binaryMilliseconds: binary * 1e3,
                       speedup: float / binary)
    }

    func benchScaling(microseconds: Int) -> ScalingRow {
        // A dependent chain of float multiply-adds: about 1 ns per step on any core.
        func item(_ steps: Int, _ seed: Float) -> Float {
            var x = seed
            for step in 0..<steps { x = x * 0.999_999 + Float(step & 7) }
            return x
        }
        let calibration = 1 << 16
        var sink = [Float](repeating: 0, count: 2)
        let steps = Int(Double(calibration) * Double(microseconds) * 1e-6 / seconds { sink[0] = item(calibration, sink[0]) })
        let serial = seconds { sink[0] = item(steps, sink[1]); sink[1] = item(steps, sink[0]) }
        let parallel = seconds {
            sink.withUnsafeMutableBufferPointer { out in Parallelism.forEachChunk(2) { range in for i in range { out[i] = item(steps, Float(i)) } } }
        }
        return ScalingRow(microseconds: microseconds, serialMicroseconds: serial * 1e6, speedup: serial / parallel)
    }

    func render(_ report: Report) -> String {
        let paths = KernelPath.allCases.map(\.rawValue)
        var gemm = BenchTable(columns: ["thr", "M x N x K", "sgemm GMAC/s"] + paths.flatMap { ["\($0) GMAC/s", "x"] })
        for row in report.gemm {
            gemm.rows.append([String(row.threads), "\(row.m) x \(row.n) x \(row.k)", String(format: "%.1f", row.sgemmGMACs)]
                + paths.flatMap { [String(format: "%.0f", row.binaryGMACs[$0] ?? 0), String(format: "%.1f", row.speedup[$0] ?? 0)] })
        }
        var conv = BenchTable(columns: ["thr", "conv", "float ms", "pack ms", "bit conv ms", "x"])
        for row in report.conv {
            conv.rows.append([String(row.threads), row.shape, String(format: "%.2f", row.floatMilliseconds),
                              String(format: "%.2f", row.packingMilliseconds), String(format: "%.2f", row.binaryMilliseconds),
                              String(format: "%.1f", row.speedup)])
        }
        var scaling = BenchTable(columns: ["work item", "2 items on 1 thread us", "2 threads x"])
        for row in report.scaling {
            scaling.rows.append(["\(row.microseconds) us", String(format: "%.0f", row.serialMicroseconds), String(format: "%.2f", row.speedup)])
        }
        return [gemm.render(),
                "bit GEMM C = K - 2 popcount(a XOR b) against OpenBLAS sgemm of the same M, N, K; x = binary MAC/s over sgemm MAC/s",
                "", conv.render(),
                "float = Convolution.forward of the ±1 values (im2col + sgemm); pack = packed im2col alone; bit conv = BinaryConvolution.forward:",
                "packed im2col + XNOR GEMM (\(report.bestPath)) by the layer's packed kernel, Float32 NCHW output with the scales applied",
                "median of \(options.runs)+ runs after warm-up; best path on this CPU: \(report.bestPath)",
                "", scaling.render(),
                "two equal work items: speed-up of running them on two threads (Parallelism.forEachChunk) over one"]
            .joined(separator: "\n")
    }
}
