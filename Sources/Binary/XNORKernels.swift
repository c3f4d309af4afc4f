import Tensor

/// The XNOR-popcount micro-kernels behind `XNORGEMM`. Each computes one block of C = K - 2 *
/// popcount(a_m XOR b_n) for rows `rows` of A and column tiles `tiles` of B; `XNORGEMM` splits the
/// whole product into such blocks over the cores. All of them must equal `XNORGEMM.reference`.
///
/// SIMD paths (`V` = SIMD8<UInt64> or SIMD4<UInt64>, L lanes): a column tile is 4 panels of L columns
/// of B, copied word-interleaved into a buffer (a chunk of tiles at a time, sized for L2):
/// ```
/// panel buffer  word w, column j (0 <= j < 4L)  ->  buffer[w * 4L + j] = B[tile * 4L + j][w]   (0 past N)
/// ```
/// One step reads word w of four A rows (broadcast to every lane) and the four panel vectors of word w,
/// and adds popcount(a XOR b) into a 4 x 4 tile of accumulators whose lanes are columns of C, so no
/// horizontal sums are needed and any K (any number of words) is one step per word. Rows past M reuse
/// the block's first row and columns past N are zero; neither is stored.
enum XNORKernels {
    /// Rows of A per tile (all paths) and columns of B per tile for the portable path.
    static let tileRows = 4
    static let portableTileColumns = 4

    /// Columns of B per tile for a path.
    static func tileColumns(_ path: KernelPath) -> Int {
        switch path {
        case .avx512: return 4 * SIMD8<UInt64>.scalarCount
        case .avx2: return 4 * SIMD4<UInt64>.scalarCount
        case .portable: return portableTileColumns
        }
    }

    /// The shapes and pointers one product shares between its blocks. C holds 4-byte values, row m
    /// at `c + m * ldc`: Int32 dot products, or with `scales` the Float32 Float(dot) * scales[m]
    /// (a binarized convolution's per-channel scale applied as each tile is stored), and with `norm`
    /// too, that value * norm.scale[m] + norm.shift[m] (the batch norm after the convolution, the
    /// multiply and the add each rounded, as `ChannelAffine.apply` does).
    struct Operands {
        let a, b: UnsafePointer<UInt64>
        let m, n, words, k: Int
        let c: UnsafeMutableRawPointer
        let ldc: Int
        var scales: UnsafePointer<Float>? = nil
        var norm: Norm? = nil
        /// Sign bits instead of values (`c` and `scales` unused): bit `column % 64` of word
        /// `row * rowWords + column / 64` of `bits` is set where the value the scaled, normalised
        /// store would write is negative, which each row's rule (`DepthwiseBits.SignRule`) reads off
        /// the popcount. Bits past N in a row's last word are left as they were.
        var signs: Signs? = nil
        /// With `scales`: each value added to the one already in C (the second term of a cell node's
        /// sum written into the sum), the add rounded once, as `Tensor.sum` does.
        var accumulate = false

        /// The pointers of `norm`'s scales and shifts.
        typealias Norm = (scale: UnsafePointer<Float>, shift: UnsafePointer<Float>)
        typealias Signs = (rules: UnsafePointer<DepthwiseBits.SignRule>, bits: UnsafeMutablePointer<UInt64>, rowWords: Int)

        /// Where element (row, column) of C goes.
        @inline(__always) func target(row: Int, column: Int) -> UnsafeMutableRawPointer {
            c + (row &* ldc &+ column) &* 4
        }
    }

    /// Runs `body` with `affine`'s scales and shifts as `Operands.norm` (nil without an affine).
    static func withNorm<T>(_ affine: ChannelAffine?, _ body: (Operands.Norm?) -> T) -> T {
        guard let affine else { return body(nil) }
        return affine.scale.withUnsafeBufferPointer { scale in
            affine.shift.withUnsafeBufferPointer { shift in body((scale.baseAddress!, shift.baseAddress!)) }
        }
    }

    /// Rows `rows` x column tiles `tiles` of C on `path` (tiles are `tileColumns(path)` wide).
    static func block(_ path: KernelPath, _ o: Operands, rows: Range<Int>, tiles: Range<Int>) {
        precondition(!o.accumulate || o.scales != nil, "XNORKernels: accumulate adds scaled values")
        switch path {
        case .avx512: simdBlock(SIMD8<UInt64>.self, o, rows: rows, tiles: tiles)
        case .avx2: simdBlock(SIMD4<UInt64>.self, o, rows: rows, tiles: tiles)
        case .portable: portableBlock(o, rows: rows, tiles: tiles)
        }
    }

    // MARK: SIMD tiles

    /// Panel words packed at a time (256 KB, well inside L2): the tiles of one chunk are packed, then
    /// every group of 4 rows runs over all of them, so A's rows stay in L1 and C is written row-wise.
    static let panelBudgetWords = 1 << 15

    /// Rows `rows` x column tiles `tiles` of C on a SIMD path.
    @inline(never)
    static func simdBlock<V: PopcountLanes>(_ type: V.Type, _ o: Operands, rows: Range<Int>, tiles: Range<Int>) {
        let width = 4 * V.scalarCount
        let panelWords = o.words * width
        let chunkTiles = max(1, min(tiles.count, panelBudgetWords / max(1, panelWords)))
        let panels = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, chunkTiles * panelWords))
        defer { panels.deallocate() }
        var chunkStart = tiles.lowerBound
        while chunkStart < tiles.upperBound {
            let chunk = chunkStart..<min(tiles.upperBound, chunkStart + chunkTiles)
            for tile in chunk { packPanel(o, tile: tile, width: width, into: panels + (tile - chunk.lowerBound) * panelWords) }
            var row = rows.lowerBound
            while row < rows.upperBound {
                let count = min(tileRows, rows.upperBound - row)
                let r0 = o.a + row * o.words
                let (r1, r2, r3) = (count > 1 ? r0 + o.words : r0, count > 2 ? r0 + 2 * o.words : r0, count > 3 ? r0 + 3 * o.words : r0)
                for tile in chunk {
                    let first = tile * width
                    simdTile(type, r0, r1, r2, r3, panel: panels + (tile - chunk.lowerBound) * panelWords, o,
                             row: row, first: first, rows: count, columns: min(width, o.n - first))
                }
                row += tileRows
            }
            chunkStart = chunk.upperBound
        }
    }

    /// Copies column tile `tile` of B (`width` rows of B) into the word-interleaved panel layout.
    /// Blocks of 8 columns x 8 words are transposed in registers (`transposeBlock`, rather than copied word
    /// by word: docs/performance.md#xnor-gemm); the columns past the last
    /// whole group of 8 and the words past the last whole block of 8 are copied one by one, and the
    /// columns past N are zero. Out of line: inlined, it made the compiler call `simdTile` out of
    /// line instead, reloading the transpose's constants around every tile.
    @inline(never)
    static func packPanel(_ o: Operands, tile: Int, width: Int, into panel: UnsafeMutablePointer<UInt64>) {
        let first = tile * width
        let columns = min(width, o.n - first)
        let source = o.b + first * o.words
        let (groupedColumns, blockedWords) = (columns & ~7, o.words & ~7)
        for group in stride(from: 0, to: groupedColumns, by: 8) {
            for word in stride(from: 0, to: blockedWords, by: 8) {
                transposeBlock(source + group * o.words + word, rowLength: o.words, into: panel + word * width + group, rowLength: width)
            }
        }
        for word in 0..<o.words {
            let target = panel + word * width
            for column in (word < blockedWords ? groupedColumns : 0)..<columns { target[column] = source[column * o.words + word] }
            for column in columns..<width { target[column] = 0 }
        }
    }

    /// Writes the transpose of the 8 x 8 block of words at `source` (rows `sourceRow` words apart) at
    /// `target` (rows `targetRow` words apart). Three rounds of splitting pairs of rows into their even
    /// and odd words rotate each word's 6-bit index (row, column) by one bit, so after three the row
    /// and column bits have traded places.
    @inline(__always)
    static func transposeBlock(_ source: UnsafePointer<UInt64>, rowLength sourceRow: Int,
                               into target: UnsafeMutablePointer<UInt64>, rowLength targetRow: Int) {
        typealias Row = SIMD8<UInt64>
        typealias Block = (Row, Row, Row, Row, Row, Row, Row, Row)
        @inline(__always) func split(_ r: Block) -> Block {
            let (p0, p1) = (SIMD16(lowHalf: r.0, highHalf: r.1), SIMD16(lowHalf: r.2, highHalf: r.3))
            let (p2, p3) = (SIMD16(lowHalf: r.4, highHalf: r.5), SIMD16(lowHalf: r.6, highHalf: r.7))
            return (p0.evenHalf, p1.evenHalf, p2.evenHalf, p3.evenHalf, p0.oddHalf, p1.oddHalf, p2.oddHalf, p3.oddHalf)
        }
        let input = UnsafeRawPointer(source), output = UnsafeMutableRawPointer(target)
        let (inStride, outStride) = (sourceRow * 8, targetRow * 8)
        @inline(__always) func row(_ i: Int) -> Row { input.loadUnaligned(fromByteOffset: i * inStride, as: Row.self) }
        let t = split(split(split((row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)))))
        output.storeBytes(of: t.0, as: Row.self); output.storeBytes(of: t.1, toByteOffset: outStride, as: Row.self)
        output.storeBytes(of: t.2, toByteOffset: 2 * outStride, as: Row.self); output.storeBytes(of: t.3, toByteOffset: 3 * outStride, as: Row.self)
        output.storeBytes(of: t.4, toByteOffset: 4 * outStride, as: Row.self); output.storeBytes(of: t.5, toByteOffset: 5 * outStride, as: Row.self)
        output.storeBytes(of: t.6, toByteOffset: 6 * outStride, as: Row.self); output.storeBytes(of: t.7, toByteOffset: 7 * outStride, as: Row.self)
    }

    /// One 4-row x 4L-column tile of C.
    @inline(__always)
    static func simdTile<V: PopcountLanes>(
        _ type: V.Type, _ r0: UnsafePointer<UInt64>, _ r1: UnsafePointer<UInt64>, _ r2: UnsafePointer<UInt64>, _ r3: UnsafePointer<UInt64>,
        panel: UnsafePointer<UInt64>, _ o: Operands, row: Int, first: Int, rows: Int, columns: Int
    ) {
        var c00 = V(), c01 = V(), c02 = V(), c03 = V()
        var c10 = V(), c11 = V(), c12 = V(), c13 = V()
        var c20 = V(), c21 = V(), c22 = V(), c23 = V()
        var c30 = V(), c31 = V(), c32 = V(), c33 = V()
        let stride = MemoryLayout<V>.stride
        var step = UnsafeRawPointer(panel)
        for word in 0..<o.words {
            let b0 = step.loadUnaligned(as: V.self)
            let b1 = step.loadUnaligned(fromByteOffset: stride, as: V.self)
            let b2 = step.loadUnaligned(fromByteOffset: 2 * stride, as: V.self)
            let b3 = step.loadUnaligned(fromByteOffset: 3 * stride, as: V.self)
            step += 4 * stride
            let a0 = V(repeating: r0[word])
            c00 &+= (a0 ^ b0).nonzeroBitCount; c01 &+= (a0 ^ b1).nonzeroBitCount
            c02 &+= (a0 ^ b2).nonzeroBitCount; c03 &+= (a0 ^ b3).nonzeroBitCount
            let a1 = V(repeating: r1[word])
            c10 &+= (a1 ^ b0).nonzeroBitCount; c11 &+= (a1 ^ b1).nonzeroBitCount
            c12 &+= (a1 ^ b2).nonzeroBitCount; c13 &+= (a1 ^ b3).nonzeroBitCount
            let a2 = V(repeating: r2[word])
            c20 &+= (a2 ^ b0).nonzeroBitCount; c21 &+= (a2 ^ b1).nonzeroBitCount
            c22 &+= (a2 ^ b2).nonzeroBitCount; c23 &+= (a2 ^ b3).nonzeroBitCount
            let a3 = V(repeating: r3[word])
            c30 &+= (a3 ^ b0).nonzeroBitCount; c31 &+= (a3 ^ b1).nonzeroBitCount
            c32 &+= (a3 ^ b2).nonzeroBitCount; c33 &+= (a3 ^ b3).nonzeroBitCount
        }
        if let signs = o.signs {
            storeSigns(c00, c01, c02, c03, signs, row: row, first: first, columns: columns)
            if rows > 1 { storeSigns(c10, c11, c12, c13, signs, row: row + 1, first: first, columns: columns) }
            if rows > 2 { storeSigns(c20, c21, c22, c23, signs, row: row + 2, first: first, columns: columns) }
            if rows > 3 { storeSigns(c30, c31, c32, c33, signs, row: row + 3, first: first, columns: columns) }
            return
        }
        if o.accumulate {
            addRow(c00, c01, c02, c03, o, row: row, first: first, columns: columns)
            if rows > 1 { addRow(c10, c11, c12, c13, o, row: row + 1, first: first, columns: columns) }
            if rows > 2 { addRow(c20, c21, c22, c23, o, row: row + 2, first: first, columns: columns) }
            if rows > 3 { addRow(c30, c31, c32, c33, o, row: row + 3, first: first, columns: columns) }
            return
        }
        storeRow(c00, c01, c02, c03, o, row: row, first: first, columns: columns)
        if rows > 1 { storeRow(c10, c11, c12, c13, o, row: row + 1, first: first, columns: columns) }
        if rows > 2 { storeRow(c20, c21, c22, c23, o, row: row + 2, first: first, columns: columns) }
        if rows > 3 { storeRow(c30, c31, c32, c33, o, row: row + 3, first: first, columns: columns) }
    }

    /// Stores one row of a tile, its first `columns` columns from `first` on: K - 2 * popcount as
    /// Int32, or times the row's scale as Float32.
    @inline(__always)
    static func storeRow<V: PopcountLanes>(_ p0: V, _ p1: V, _ p2: V, _ p3: V, _ o: Operands, row: Int, first: Int, columns: Int) {
        let lanes = V.scalarCount
        let out = o.target(row: row, column: first)
        if o.scales != nil {
            let value = RowValues(o, row: row)
            if columns >= 4 * lanes {
                let stride = MemoryLayout<V.Floats>.stride
                out.storeBytes(of: value(p0), as: V.Floats.self)
                out.storeBytes(of: value(p1), toByteOffset: stride, as: V.Floats.self)
                out.storeBytes(of: value(p2), toByteOffset: 2 * stride, as: V.Floats.self)
                out.storeBytes(of: value(p3), toByteOffset: 3 * stride, as: V.Floats.self)
            } else {
                storeEdge(value(p0), into: out, count: min(lanes, columns))
                storeEdge(value(p1), into: out + 4 * lanes, count: min(lanes, columns - lanes))
                storeEdge(value(p2), into: out + 8 * lanes, count: min(lanes, columns - 2 * lanes))
                storeEdge(value(p3), into: out + 12 * lanes, count: min(lanes, columns - 3 * lanes))
            }
        } else if columns >= 4 * lanes {
            let stride = MemoryLayout<V.Dots>.stride
            out.storeBytes(of: dots(p0, k: o.k), as: V.Dots.self)
            out.storeBytes(of: dots(p1, k: o.k), toByteOffset: stride, as: V.Dots.self)
            out.storeBytes(of: dots(p2, k: o.k), toByteOffset: 2 * stride, as: V.Dots.self)
            out.storeBytes(of: dots(p3, k: o.k), toByteOffset: 3 * stride, as: V.Dots.self)
        } else {
            storeEdge(dots(p0, k: o.k), into: out, count: min(lanes, columns))
            storeEdge(dots(p1, k: o.k), into: out + 4 * lanes, count: min(lanes, columns - lanes))
            storeEdge(dots(p2, k: o.k), into: out + 8 * lanes, count: min(lanes, columns - 2 * lanes))
            storeEdge(dots(p3, k: o.k), into: out + 12 * lanes, count: min(lanes, columns - 3 * lanes))
        }
    }

    /// `storeRow` of a scaled C with `Operands.accumulate`: each value added to the one in C. Kept
    /// apart from `storeRow`, which the compiler stopped inlining (and passed the accumulators
    /// through memory) when the add was a branch of its own.
    @inline(__always)
    static func addRow<V: PopcountLanes>(_ p0: V, _ p1: V, _ p2: V, _ p3: V, _ o: Operands, row: Int, first: Int, columns: Int) {
        let (lanes, out, value) = (V.scalarCount, o.target(row: row, column: first), RowValues(o, row: row))
        if columns >= 4 * lanes {
            let stride = MemoryLayout<V.Floats>.stride
            @inline(__always) func add(_ v: V.Floats, _ offset: Int) {
                out.storeBytes(of: out.loadUnaligned(fromByteOffset: offset, as: V.Floats.self) + v, toByteOffset: offset, as: V.Floats.self)
            }
            add(value(p0), 0); add(value(p1), stride); add(value(p2), 2 * stride); add(value(p3), 3 * stride)
        } else {
            storeEdge(value(p0), into: out, count: min(lanes, columns), adding: true)
            storeEdge(value(p1), into: out + 4 * lanes, count: min(lanes, columns - lanes), adding: true)
            storeEdge(value(p2), into: out + 8 * lanes, count: min(lanes, columns - 2 * lanes), adding: true)
            storeEdge(value(p3), into: out + 12 * lanes, count: min(lanes, columns - 3 * lanes), adding: true)
        }
    }

    /// Stores one row of a tile as sign bits (`Operands.signs`): the row's rule on the 4L popcounts,
    /// lane i of panel j becoming bit j * L + i.
    @inline(__always)
    static func storeSigns<V: PopcountLanes>(_ p0: V, _ p1: V, _ p2: V, _ p3: V, _ signs: Operands.Signs, row: Int, first: Int, columns: Int) {
        let (rule, lanes) = (signs.rules[row], UInt64(V.scalarCount))
        let threshold = UInt64(clamping: rule.threshold)
        let atLeast = p0.bits(atLeast: threshold) | p1.bits(atLeast: threshold) << lanes
            | p2.bits(atLeast: threshold) << (2 * lanes) | p3.bits(atLeast: threshold) << (3 * lanes)
        storeBits(rule.below ? ~atLeast : atLeast, count: columns, into: signs.bits + row * signs.rowWords, at: first)
    }

    /// The values a scaled store writes for one row of C: Float(K - 2 * popcount) * scale, then with
    /// a norm * norm.scale + norm.shift, each operation rounded.
    /// `SeparableBits` reads its sign rules off the same arithmetic on single counts.
    struct RowValues {
        let k: Int
        let scale, normScale, normShift: Float
        let normalised: Bool

        @inline(__always)
        init(k: Int, scale: Float, norm: (scale: Float, shift: Float)?) {
            (self.k, self.scale, normalised) = (k, scale, norm != nil)
            (normScale, normShift) = norm ?? (1, 0)
        }

        @inline(__always)
        init(_ o: Operands, row: Int) {
            self.init(k: o.k, scale: o.scales![row], norm: o.norm.map { ($0.scale[row], $0.shift[row]) })
        }

        @inline(__always)
        func callAsFunction<V: PopcountLanes>(_ p: V) -> V.Floats {
            let y = scaled(p, k: k, scale)
            return normalised ? y * normScale + normShift : y
        }

        /// The value stored for a popcount of `count`: the lanes' operations on one count.
        func callAsFunction(count: Int) -> Float {
            let y = Float(Int32(truncatingIfNeeded: k - 2 * count)) * scale
            return normalised ? y * normScale + normShift : y
        }
    }

    /// Writes the low min(count, 64) bits of `value` into the bit row `row` from bit `first` on,
    /// within one word (a tile's columns never straddle words: tile widths divide 64).
    @inline(__always)
    static func storeBits(_ value: UInt64, count: Int, into row: UnsafeMutablePointer<UInt64>, at first: Int) {
        let mask: UInt64 = count >= 64 ? ~0 : (1 << UInt64(count)) &- 1
        let (word, shift) = (first >> 6, UInt64(first & 63))
        row[word] = row[word] & ~(mask << shift) | (value & mask) << shift
    }

    /// K - 2 * popcount, lane by lane.
    @inline(__always)
    static func dots<V: PopcountLanes>(_ popcounts: V, k: Int) -> V.Dots {
        V.Dots(repeating: Int32(truncatingIfNeeded: k)) &- (popcounts.narrowed &<< 1)
    }

    /// Float(K - 2 * popcount) * scale, lane by lane (one rounding, as the float path's).
    @inline(__always)
    static func scaled<V: PopcountLanes>(_ popcounts: V, k: Int, _ scale: Float) -> V.Floats {
        V.floats(dots(popcounts, k: k)) * scale
    }

    /// Stores the first `count` lanes of a panel at the right edge of C (none when count <= 0); kept
    /// out of line so that the full-tile stores stay plain vector stores.
    @inline(never)
    static func storeEdge<Values: SIMD>(_ values: Values, into out: UnsafeMutableRawPointer, count: Int) {
        guard count > 0 else { return }
        let stride = MemoryLayout<Values.Scalar>.stride
        for lane in 0..<count { out.storeBytes(of: values[lane], toByteOffset: lane * stride, as: Values.Scalar.self) }
    }

    /// `storeEdge` of Float32 values, each added to the value in C when `adding` (`Operands.accumulate`).
    @inline(never)
    static func storeEdge<Values: SIMD>(_ values: Values, into out: UnsafeMutableRawPointer, count: Int, adding: Bool) where Values.Scalar == Float {
        guard adding else { return storeEdge(values, into: out, count: count) }
        let target = out.assumingMemoryBound(to: Float.self)
        for lane in 0..<max(0, count) { target[lane] += values[lane] }
    }

    // MARK: Portable tiles

    /// 4 rows of A x 4 rows of B with scalar words, straight from the row layout (no panel copy).
    @inline(never)
    static func portableBlock(_ o: Operands, rows: Range<Int>, tiles: Range<Int>) {
        let width = portableTileColumns
        for tile in tiles {
            let first = tile * width
            let columns = min(width, o.n - first)
            let q0 = o.b + first * o.words
            let (q1, q2, q3) = (columns > 1 ? q0 + o.words : q0, columns > 2 ? q0 + 2 * o.words : q0, columns > 3 ? q0 + 3 * o.words : q0)
            var row = rows.lowerBound
            while row < rows.upperBound {
                let count = min(tileRows, rows.upperBound - row)
                let r0 = o.a + row * o.words
                let (r1, r2, r3) = (count > 1 ? r0 + o.words : r0, count > 2 ? r0 + 2 * o.words : r0, count > 3 ? r0 + 3 * o.words : r0)
                var s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0
                var s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0
                for word in 0..<o.words {
                    let (b0, b1, b2, b3) = (q0[word], q1[word], q2[word], q3[word])
                    let a0 = r0[word]
                    s00 &+= (a0 ^ b0).nonzeroBitCount; s01 &+= (a0 ^ b1).nonzeroBitCount
                    s02 &+= (a0 ^ b2).nonzeroBitCount; s03 &+= (a0 ^ b3).nonzeroBitCount
                    let a1 = r1[word]
                    s10 &+= (a1 ^ b0).nonzeroBitCount; s11 &+= (a1 ^ b1).nonzeroBitCount
                    s12 &+= (a1 ^ b2).nonzeroBitCount; s13 &+= (a1 ^ b3).nonzeroBitCount
                    let a2 = r2[word]
                    s20 &+= (a2 ^ b0).nonzeroBitCount; s21 &+= (a2 ^ b1).nonzeroBitCount
                    s22 &+= (a2 ^ b2).nonzeroBitCount; s23 &+= (a2 ^ b3).nonzeroBitCount
                    let a3 = r3[word]
                    s30 &+= (a3 ^ b0).nonzeroBitCount; s31 &+= (a3 ^ b1).nonzeroBitCount
                    s32 &+= (a3 ^ b2).nonzeroBitCount; s33 &+= (a3 ^ b3).nonzeroBitCount
                }
                storeRow(s00, s01, s02, s03, o, row: row, first: first, columns: columns)
                if count > 1 { storeRow(s10, s11, s12, s13, o, row: row + 1, first: first, columns: columns) }
                if count > 2 { storeRow(s20, s21, s22, s23, o, row: row + 2, first: first, columns: columns) }
                if count > 3 { storeRow(s30, s31, s32, s33, o, row: row + 3, first: first, columns: columns) }
                row += tileRows
            }
        }
    }

    /// Stores one row of a portable tile: K - 2 * popcount for its first `columns` (1...4) columns from
    /// `first` on, as Int32 or times the row's scale as Float32.
    @inline(__always)
    static func storeRow(_ p0: Int, _ p1: Int, _ p2: Int, _ p3: Int, _ o: Operands, row: Int, first: Int, columns: Int) {
        if let signs = o.signs {
            let rule = signs.rules[row]
            @inline(__always) func bit(_ p: Int, _ j: UInt64) -> UInt64 { rule.isNegative(p) ? 1 << j : 0 }
            let negatives = bit(p0, 0) | bit(p1, 1) | bit(p2, 2) | bit(p3, 3)
            storeBits(negatives, count: columns, into: signs.bits + row * signs.rowWords, at: first)
            return
        }
        let out = o.target(row: row, column: first)
        let dots = SIMD4<Int32>(truncatingIfNeeded: SIMD4(o.k &- 2 &* p0, o.k &- 2 &* p1, o.k &- 2 &* p2, o.k &- 2 &* p3))
        if let scales = o.scales {
            let values = SIMD4<Float>(dots) * scales[row]
            storeEdge(o.norm.map { values * $0.scale[row] + $0.shift[row] } ?? values, into: out, count: columns, adding: o.accumulate)
        } else {
            storeEdge(dots, into: out, count: columns)
        }
    }
}

/// The accumulator vectors of the SIMD tiles: 64-bit popcount lanes, and the Int32 vector of the same
/// lane count that a panel of C is stored through.
protocol PopcountLanes: SIMD where Scalar == UInt64 {
    associatedtype Dots: SIMD where Dots.Scalar == Int32
    associatedtype Floats: SIMD where Floats.Scalar == Float, Floats: FloatingPointVector
    /// The lanes truncated to Int32.
    var narrowed: Dots { get }
    /// Bit i set where lane i is at least `threshold` (1 or more; lanes below 2^63), spelled out per
    /// width: the generic comparison and mask went lane by lane (docs/performance.md#simd-idioms).
    func bits(atLeast threshold: UInt64) -> UInt64
    /// Int32 lanes converted to Float32 (exact below 2^24).
    static func floats(_ dots: Dots) -> Floats
}

/// The Float32 vectors a panel of a scaled C is stored through.
protocol FloatingPointVector {
    static func * (vector: Self, scalar: Float) -> Self
    static func + (vector: Self, scalar: Float) -> Self
    static func + (vector: Self, other: Self) -> Self
}

extension SIMD8<Float>: FloatingPointVector {}
extension SIMD4<Float>: FloatingPointVector {}

extension SIMD8: PopcountLanes where Scalar == UInt64 {
    var narrowed: SIMD8<Int32> { SIMD8<Int32>(truncatingIfNeeded: self) }
    @inline(__always)
    func bits(atLeast threshold: UInt64) -> UInt64 {
        BitPacking.flagBits(SIMD8<UInt8>(truncatingIfNeeded: (SIMD8(repeating: threshold &- 1) &- self) &>> 63))
    }
    static func floats(_ dots: SIMD8<Int32>) -> SIMD8<Float> { SIMD8<Float>(dots) }
}

extension SIMD4: PopcountLanes where Scalar == UInt64 {
    var narrowed: SIMD4<Int32> { SIMD4<Int32>(truncatingIfNeeded: self) }
    @inline(__always)
    func bits(atLeast threshold: UInt64) -> UInt64 {
        let flags = SIMD4<UInt8>(truncatingIfNeeded: (SIMD4<UInt64>(repeating: threshold &- 1) &- self) &>> 63)
        return BitPacking.flagBits(SIMD8<UInt8>(lowHalf: flags, highHalf: SIMD4<UInt8>()))
    }
    static func floats(_ dots: SIMD4<Int32>) -> SIMD4<Float> { SIMD4<Float>(dots) }
}
