import Testing
@testable import Binary

struct XNORGEMMTests {
    /// (M, N, K): ragged K around word boundaries and half words, M and N off the 4-row and
    /// 4/16/32-column tiles.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (5, 37, 32), (6, 100, 17), (9, 16, 31), (3, 5, 33), (3, 5, 63), (4, 32, 64), (5, 33, 65), (7, 17, 72),
        (9, 40, 200), (6, 35, 577), (13, 70, 129), (2, 3, 1000), (5, 70, 1100),
    ]

    @Test(arguments: KernelPath.allCases)
    func everyPathEqualsTheReference(path: KernelPath) {
        for (index, (m, n, k)) in Self.shapes.enumerated() {
            let a = TestData.packed(rows: m, k: k, seed: UInt64(2 * index + 1))
            let b = TestData.packed(rows: n, k: k, seed: UInt64(2 * index + 2))
            let expected = XNORGEMM.reference(a, b)
            #expect(XNORGEMM.multiply(a, b, path: path, counters: KernelCounters()) == expected, "\(path) M \(m) N \(n) K \(k)")
        }
    }

    /// The panel layout is its definition, buffer[w * width + j] = B[tile * width + j][w] and 0 past N,
    /// for word counts on both sides of the 8 x 8 transposed blocks and tiles cut by N anywhere.
    @Test(arguments: [16, 32])
    func panelsAreTheInterleavedColumns(width: Int) {
        for (n, k) in [(1, 64), (7, 512), (8, 513), (9, 1000), (31, 4608), (40, 4672), (70, 575), (96, 128)] {
            let b = TestData.packed(rows: n, k: k, seed: UInt64(n * 7 + k))
            b.words.withUnsafeBufferPointer { words in
                let o = XNORKernels.Operands(a: words.baseAddress!, b: words.baseAddress!, m: 0, n: n, words: b.wordsPerRow, k: k,
                                             c: UnsafeMutableRawPointer(mutating: words.baseAddress!), ldc: 0)
                for tile in 0..<(n + width - 1) / width {
                    var panel = [UInt64](repeating: 0xDEAD, count: b.wordsPerRow * width)
                    panel.withUnsafeMutableBufferPointer { XNORKernels.packPanel(o, tile: tile, width: width, into: $0.baseAddress!) }
                    let expected = (0..<b.wordsPerRow * width).map { index -> UInt64 in
                        let (word, column) = (index / width, tile * width + index % width)
                        return column < n ? words[column * b.wordsPerRow + word] : 0
                    }
                    #expect(panel == expected, "width \(width) N \(n) K \(k) tile \(tile)")
                }
            }
        }
    }

    /// The reference is the ±1 dot product written out.
    @Test func referenceIsTheSignDotProduct() {
        let (m, n, k) = (3, 4, 70)
        let aValues = TestData.values(m * k, seed: 5), bValues = TestData.values(n * k, seed: 6)
        let a = BitPacking.packRows(values: aValues, rows: m, k: k, counters: KernelCounters())
        let b = BitPacking.packRows(values: bValues, rows: n, k: k, counters: KernelCounters())
        var expected = [Int32](repeating: 0, count: m * n)
        for row in 0..<m {
            for column in 0..<n {
                var dot: Float = 0
                for index in 0..<k { dot += BitPacking.sign(aValues[row * k + index]) * BitPacking.sign(bValues[column * k + index]) }
                expected[row * n + column] = Int32(dot)
            }
        }
        #expect(XNORGEMM.reference(a, b) == expected)
    }

    /// Blocks cut at any row and at any tile compose to the whole product, split by rows or by
    /// columns over several workers.
    @Test(arguments: KernelPath.allCases)
    func blocksAndSplitsCompose(path: KernelPath) {
        let (m, n, k) = (11, 75, 130)
        let a = TestData.packed(rows: m, k: k, seed: 21), b = TestData.packed(rows: n, k: k, seed: 22)
        let expected = XNORGEMM.reference(a, b)
        let tiles = (n + XNORKernels.tileColumns(path) - 1) / XNORKernels.tileColumns(path)
        let byBlocks = product(a, b) { operands in
            for rows in [0..<5, 5..<m] {
                for range in [0..<1, 1..<tiles] { XNORKernels.block(path, operands, rows: rows, tiles: range) }
            }
        }
        #expect(byBlocks == expected)
        let split = product(a, b) { XNORGEMM.split(path, $0, minimumWork: 1) }
        #expect(split == expected)
        let transposed = XNORGEMM.reference(b, a)
        let splitByRows = product(b, a) { XNORGEMM.split(path, $0, minimumWork: 1) }
        #expect(splitByRows == transposed)
    }

    /// With scales (a binarized convolution's store), C is Float(dot) * scales[m], rows at ldc, the
    /// values between rows untouched, for K of one word or less and more, cut into blocks.
    /// With `norm` as well, each value then times norm.scale[m] plus norm.shift[m], each rounded.
    /// With `accumulate`, each value is added to the one in C (a node's second term), rounded once.
    @Test(arguments: KernelPath.allCases, [1, 20, 32, 33, 100])
    func scaledStoreIsTheDotTimesTheScale(path: KernelPath, k: Int) {
        for normalised in [false, true] {
            for accumulate in [false, true] { scaledStore(path: path, k: k, normalised: normalised, accumulate: accumulate) }
        }
    }

    func scaledStore(path: KernelPath, k: Int, normalised: Bool, accumulate: Bool) {
        let (m, n, ldc) = (7, 45, 50)
        let a = TestData.packed(rows: m, k: k, seed: 41), b = TestData.packed(rows: n, k: k, seed: 42)
        let expected = XNORGEMM.reference(a, b)
        let scales = TestData.values(m, seed: 43)
        let (normScale, normShift) = (TestData.values(m, seed: 44), TestData.values(m, seed: 45))
        let existing = TestData.values(m * ldc, seed: 46)
        var c = accumulate ? existing : [Float](repeating: -7, count: m * ldc)
        a.words.withUnsafeBufferPointer { aWords in b.words.withUnsafeBufferPointer { bWords in
            c.withUnsafeMutableBufferPointer { c in scales.withUnsafeBufferPointer { scales in
                normScale.withUnsafeBufferPointer { normScale in normShift.withUnsafeBufferPointer { normShift in
                var operands = XNORKernels.Operands(a: aWords.baseAddress!, b: bWords.baseAddress!, m: m, n: n, words: a.wordsPerRow, k: k,
                                                    c: UnsafeMutableRawPointer(c.baseAddress!), ldc: ldc, scales: scales.baseAddress!,
                                                    norm: normalised ? (normScale.baseAddress!, normShift.baseAddress!) : nil)
                operands.accumulate = accumulate
                let tiles = (n + XNORKernels.tileColumns(path) - 1) / XNORKernels.tileColumns(path)
                for rows in [0..<3, 3..<m] {
                    for range in [0..<1, 1..<tiles] { XNORKernels.block(path, operands, rows: rows, tiles: range) }
                }
                } }
            } }
        } }
        for row in 0..<m {
            for column in 0..<n {
                let scaled = Float(expected[row * n + column]) * scales[row]
                let value = normalised ? scaled * normScale[row] + normShift[row] : scaled
                let stored = accumulate ? existing[row * ldc + column] + value : value
                #expect(c[row * ldc + column].bitPattern == stored.bitPattern, "\(row), \(column), normalised \(normalised), accumulate \(accumulate)")
            }
            #expect(zip(c[row * ldc + n..<(row + 1) * ldc], accumulate ? existing[row * ldc + n..<(row + 1) * ldc] : ArraySlice(repeating: -7, count: ldc - n))
                        .allSatisfy { $0.bitPattern == $1.bitPattern })
        }
    }

    /// The sign store (a `sep_conv`'s first half writing its second half's input): bit (m, n) is set
    /// exactly where the scaled, normalised store writes a negative value, for scales of both signs
    /// and zero, on every path, in blocks; bits past N keep what they held.
    @Test(arguments: KernelPath.allCases, [1, 20, 32, 33, 100])
    func signStoreIsTheSignOfTheScaledStore(path: KernelPath, k: Int) {
        let (m, n) = (7, 45)
        let rowWords = PackedMatrix.wordCount(bits: n) + 1
        let a = TestData.packed(rows: m, k: k, seed: 51), b = TestData.packed(rows: n, k: k, seed: 52)
        let expected = XNORGEMM.reference(a, b)
        let scales = TestData.values(m, seed: 53).enumerated().map { $0 % 3 == 2 ? 0 : $1 }
        let (normScale, normShift) = (TestData.values(m, seed: 54), TestData.values(m, seed: 55))
        for normalised in [false, true] {
            func value(_ dot: Int32, row: Int) -> Float {
                let scaled = Float(dot) * scales[row]
                return normalised ? scaled * normScale[row] + normShift[row] : scaled
            }
            let rules = (0..<m).map { row in
                DepthwiseBits.SignRule(counts: k, negative: { value(Int32(k - 2 * $0), row: row) < 0 })!
            }
            let filler: UInt64 = 0xA5A5_5A5A_F0F0_0F0F
            var bits = [UInt64](repeating: filler, count: m * rowWords)
            a.words.withUnsafeBufferPointer { aWords in b.words.withUnsafeBufferPointer { bWords in
                bits.withUnsafeMutableBufferPointer { bits in scales.withUnsafeBufferPointer { scales in
                    rules.withUnsafeBufferPointer { rules in
                    normScale.withUnsafeBufferPointer { normScale in normShift.withUnsafeBufferPointer { normShift in
                    var operands = XNORKernels.Operands(a: aWords.baseAddress!, b: bWords.baseAddress!, m: m, n: n, words: a.wordsPerRow, k: k,
                                                        c: UnsafeMutableRawPointer(bits.baseAddress!), ldc: n, scales: scales.baseAddress!,
                                                        norm: normalised ? (normScale.baseAddress!, normShift.baseAddress!) : nil)
                    operands.signs = (rules.baseAddress!, bits.baseAddress!, rowWords)
                    let tiles = (n + XNORKernels.tileColumns(path) - 1) / XNORKernels.tileColumns(path)
                    for rows in [0..<3, 3..<m] {
                        for range in [0..<1, 1..<tiles] { XNORKernels.block(path, operands, rows: rows, tiles: range) }
                    }
                    } }
                    }
                } }
            } }
            for row in 0..<m {
                for column in 0..<n {
                    let set = bits[row * rowWords + column / 64] >> UInt64(column % 64) & 1 == 1
                    #expect(set == (value(expected[row * n + column], row: row) < 0), "\(row), \(column), normalised \(normalised)")
                }
                #expect(bits[row * rowWords] >> UInt64(n) == filler >> UInt64(n), "bits past N")
                #expect(bits[row * rowWords + 1] == filler, "the word past the row")
            }
            #expect(Set(bits.map(\.nonzeroBitCount)).count > 2, "the signs are not all alike")
        }
    }

    /// A caller buffer with a leading dimension wider than N keeps its other values.
    @Test(arguments: KernelPath.allCases)
    func writesIntoACallerBuffer(path: KernelPath) {
        let (m, n, k, ldc) = (5, 9, 100, 12)
        let a = TestData.packed(rows: m, k: k, seed: 31), b = TestData.packed(rows: n, k: k, seed: 32)
        let expected = XNORGEMM.reference(a, b)
        var buffer = [Int32](repeating: -7, count: m * ldc)
        buffer.withUnsafeMutableBufferPointer { XNORGEMM.multiply(a, b, into: $0.baseAddress!, ldc: ldc, path: path, counters: KernelCounters()) }
        for row in 0..<m {
            #expect(Array(buffer[row * ldc..<row * ldc + n]) == Array(expected[row * n..<(row + 1) * n]))
            #expect(buffer[row * ldc + n..<(row + 1) * ldc].allSatisfy { $0 == -7 })
        }
    }

    @Test func emptyShapes() {
        let counters = KernelCounters()
        #expect(XNORGEMM.multiply(PackedMatrix(rows: 3, bitsPerRow: 0), PackedMatrix(rows: 2, bitsPerRow: 0), counters: counters) == [0, 0, 0, 0, 0, 0])
        #expect(XNORGEMM.multiply(PackedMatrix(rows: 0, bitsPerRow: 10), PackedMatrix(rows: 2, bitsPerRow: 10), counters: counters).isEmpty)
        #expect(XNORGEMM.reference(PackedMatrix(rows: 2, bitsPerRow: 0), PackedMatrix(rows: 1, bitsPerRow: 0)) == [0, 0])
    }

    /// Runs `body` on the operands of A x B^T and returns C.
    func product(_ a: PackedMatrix, _ b: PackedMatrix, _ body: (XNORKernels.Operands) -> Void) -> [Int32] {
        var c = [Int32](repeating: .min, count: a.rows * b.rows)
        a.words.withUnsafeBufferPointer { aWords in
            b.words.withUnsafeBufferPointer { bWords in
                c.withUnsafeMutableBufferPointer { out in
                    body(XNORKernels.Operands(a: aWords.baseAddress!, b: bWords.baseAddress!, m: a.rows, n: b.rows,
                                              words: a.wordsPerRow, k: a.bitsPerRow, c: out.baseAddress!, ldc: b.rows))
                }
            }
        }
        return c
    }
}
