/// A matrix of signs (+1 / -1) packed 64 to a word along its rows, the operand of `XNORGEMM`.
///
/// Layout (shared by every packer and kernel in this module):
/// ```
/// row r, bit j (0 <= j < bitsPerRow)  ->  words[r * wordsPerRow + j / 64], bit (j % 64), least significant first
/// bit = 1  <=>  the value was negative (sign -1);   bit = 0  <=>  the value was >= 0 (sign +1)
/// wordsPerRow = ceil(bitsPerRow / 64); the bits past bitsPerRow in a row's last word are always 0
/// ```
/// Rows are the reduction vectors: the dot product of two rows of n = bitsPerRow signs is
/// n - 2 * popcount(a XOR b) (docs/algorithms.md#bit-kernels). Because the padding bits are 0 in both operands,
/// their XOR is 0 and they never count. Rows follow each other with no gap (stride = wordsPerRow).
public struct PackedMatrix: Equatable, Sendable {
    /// Number of rows (M or N of the GEMM).
    public let rows: Int
    /// Signs per row (K of the GEMM).
    public let bitsPerRow: Int
    /// 64-bit words per row: ceil(bitsPerRow / 64).
    public let wordsPerRow: Int
    /// rows * wordsPerRow words, row after row.
    public internal(set) var words: [UInt64]

    /// An all-(+1) matrix (every bit 0).
    public init(rows: Int, bitsPerRow: Int) {
        precondition(rows >= 0 && bitsPerRow >= 0, "PackedMatrix: negative size \(rows) x \(bitsPerRow)")
        self.rows = rows
        self.bitsPerRow = bitsPerRow
        wordsPerRow = PackedMatrix.wordCount(bits: bitsPerRow)
        words = [UInt64](repeating: 0, count: rows * wordsPerRow)
    }

    /// A matrix whose words `fill` must all write (the padding bits 0), for packers that write every word
    /// anyway and should not pay for zeroing them first.
    init(rows: Int, bitsPerRow: Int, fill: (UnsafeMutableBufferPointer<UInt64>) -> Void) {
        precondition(rows >= 0 && bitsPerRow >= 0, "PackedMatrix: negative size \(rows) x \(bitsPerRow)")
        self.rows = rows
        self.bitsPerRow = bitsPerRow
        wordsPerRow = PackedMatrix.wordCount(bits: bitsPerRow)
        words = [UInt64](unsafeUninitializedCapacity: rows * wordsPerRow) { buffer, count in
            fill(buffer)
            count = buffer.count
        }
    }

    /// A matrix from stored words (for example read from a model file); nil when the word count does not
    /// match the size or a padding bit past `bitsPerRow` is set.
    public init?(rows: Int, bitsPerRow: Int, words: [UInt64]) {
        guard rows >= 0, bitsPerRow >= 0 else { return nil }
        let wordsPerRow = PackedMatrix.wordCount(bits: bitsPerRow)
        guard words.count == rows * wordsPerRow else { return nil }
        let padding = PackedMatrix.paddingMask(bits: bitsPerRow)
        if padding != 0 {
            for row in 0..<rows where words[row * wordsPerRow + wordsPerRow - 1] & padding != 0 { return nil }
        }
        self.rows = rows
        self.bitsPerRow = bitsPerRow
        self.wordsPerRow = wordsPerRow
        self.words = words
    }

    /// True when bit `index` of `row` is set, i.e. the packed value was negative.
    public func isNegative(row: Int, bit index: Int) -> Bool {
        precondition(row >= 0 && row < rows && index >= 0 && index < bitsPerRow, "PackedMatrix: (\(row), \(index)) out of range")
        return words[row * wordsPerRow + index >> 6] >> UInt64(index & 63) & 1 == 1
    }

    /// The sign (+1 or -1) at bit `index` of `row`.
    public func sign(row: Int, bit index: Int) -> Float {
        isNegative(row: row, bit: index) ? -1 : 1
    }

    /// Words needed for `bits` bits.
    @inline(__always) static func wordCount(bits: Int) -> Int { (bits + 63) >> 6 }

    /// The bits of a row's last word that lie past `bits` (0 when `bits` is a multiple of 64).
    @inline(__always) static func paddingMask(bits: Int) -> UInt64 {
        bits & 63 == 0 ? 0 : ~0 << UInt64(bits & 63)
    }
}
