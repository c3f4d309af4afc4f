import Tensor

/// Binary GEMM on packed signs: C[m][n] = K - 2 * popcount(a_m XOR b_n), the dot product of row m of
/// A and row n of B as ±1 vectors of K = bitsPerRow values (docs/algorithms.md#bit-kernels). C = A * B^T is M x N,
/// row-major, Int32.
///
/// The kernels tile 4 rows of A against a panel of columns of B (see `XNORKernels`); the work is
/// split over `Parallelism.threads` cores by column tiles, or by rows when B has too few of them.
/// `BinaryConvolution` multiplies the kernel's bits (A, M = output channels) by one image's packed
/// im2col (B, N = output pixels) at a time, so that C = [outChannels][outPixels] is the image's NCHW
/// output; it calls the kernels directly and has them store Float(dot) * scale.
public enum XNORGEMM {
    /// The product as a new M x N array.
    public static func multiply(_ a: PackedMatrix, _ b: PackedMatrix, path: KernelPath = .best, counters: KernelCounters = .current) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: a.rows * b.rows) { buffer, count in
            if let base = buffer.baseAddress {
                multiply(a, b, into: base, ldc: b.rows, path: path, counters: counters)
            }
            count = a.rows * b.rows
        }
    }

    /// Writes the product into `c`: row m at `c + m * ldc`, N values (ldc >= N).
    public static func multiply(
        _ a: PackedMatrix, _ b: PackedMatrix, into c: UnsafeMutablePointer<Int32>, ldc: Int,
        path: KernelPath = .best, counters: KernelCounters = .current
    ) {
        precondition(a.bitsPerRow == b.bitsPerRow, "XNORGEMM: A has \(a.bitsPerRow) bits per row, B \(b.bitsPerRow)")
        precondition(ldc >= b.rows, "XNORGEMM: ldc \(ldc) is less than N = \(b.rows)")
        let (m, n, k) = (a.rows, b.rows, a.bitsPerRow)
        guard m > 0 && n > 0 else { return }
        let (_, nanoseconds) = KernelCounters.timed {
            guard k > 0 else {
                for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
                return
            }
            a.words.withUnsafeBufferPointer { aWords in
                b.words.withUnsafeBufferPointer { bWords in
                    guard let aBase = aWords.baseAddress, let bBase = bWords.baseAddress else { return }
                    let operands = XNORKernels.Operands(a: aBase, b: bBase, m: m, n: n, words: a.wordsPerRow, k: k, c: UnsafeMutableRawPointer(c), ldc: ldc)
                    split(path, operands)
                }
            }
        }
        counters.recordBinary(macs: m * n * k, nanoseconds: nanoseconds)
    }

    /// Word-pair operations (popcount of a XOR) below which a worker is not worth starting.
    static let minimumWorkPerWorker = 1 << 20

    /// Splits the product into blocks over the cores: by column tiles when there are enough of them
    /// for every worker, else by groups of 4 rows.
    static func split(_ path: KernelPath, _ o: XNORKernels.Operands, minimumWork: Int = minimumWorkPerWorker) {
        let width = XNORKernels.tileColumns(path)
        let tiles = (o.n + width - 1) / width
        let rowGroups = (o.m + XNORKernels.tileRows - 1) / XNORKernels.tileRows
        if tiles >= 2 * Parallelism.threads || tiles >= rowGroups {
            let minimumTiles = max(1, minimumWork / max(1, o.m * width * o.words))
            Parallelism.forEachChunk(tiles, minimumChunk: minimumTiles) { range in
                XNORKernels.block(path, o, rows: 0..<o.m, tiles: range)
            }
        } else {
            let minimumGroups = max(1, minimumWork / max(1, XNORKernels.tileRows * o.n * o.words))
            Parallelism.forEachChunk(rowGroups, minimumChunk: minimumGroups) { groups in
                let rows = groups.lowerBound * XNORKernels.tileRows..<min(o.m, groups.upperBound * XNORKernels.tileRows)
                XNORKernels.block(path, o, rows: rows, tiles: 0..<tiles)
            }
        }
    }

    /// The plain kernel every path must equal: one dot product at a time, word by word with
    /// `nonzeroBitCount`. Not counted in `KernelCounters`.
    public static func reference(_ a: PackedMatrix, _ b: PackedMatrix) -> [Int32] {
        precondition(a.bitsPerRow == b.bitsPerRow, "XNORGEMM: A has \(a.bitsPerRow) bits per row, B \(b.bitsPerRow)")
        let words = a.wordsPerRow
        var c = [Int32](repeating: 0, count: a.rows * b.rows)
        for row in 0..<a.rows {
            for column in 0..<b.rows {
                var popcount = 0
                for word in 0..<words {
                    popcount += (a.words[row * words + word] ^ b.words[column * words + word]).nonzeroBitCount
                }
                c[row * b.rows + column] = Int32(a.bitsPerRow - 2 * popcount)
            }
        }
        return c
    }
}
