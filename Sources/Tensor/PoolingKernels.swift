/// The loops behind `maxPool2d` and `avgPool2d`, one plane at a time.
///
/// The generic kernels walk any window with plain loops; they are the reference. The 3x3 stride-1
/// padding-1 pools (every pool of a normal cell) compute the columns whose window lies inside the
/// plane in SIMD blocks of 16, 8 or 4 lanes, the last block flush with the right edge (so it may
/// overlap the one before), and the two edge columns with the generic loop. Both visit a window's
/// cells in the same row-major order and round the same way, so they give the same bits
/// (PoolingKernelTests compares them).
enum PoolingKernels {
    /// Lanes of the SIMD 3x3 path for this geometry, or nil when the generic loops run.
    static func lanes(_ g: PoolGeometry, _ path: LoopPath) -> Int? {
        guard path == .fastest, g.kernel == 3, g.stride == 1, g.padding == 1 else { return nil }
        return [16, 8, 4].first { g.width - 2 >= $0 }
    }

    /// The first columns of the SIMD blocks covering columns 1...width-2: every `lanes` columns from 1
    /// while a whole block fits, then `last`, flush with column width - 2.
    @inline(__always)
    static func blocks(width: Int, lanes: Int) -> (leading: StrideTo<Int>, last: Int) {
        let last = width - 1 - lanes
        return (stride(from: 1, to: last, by: lanes), last)
    }

    /// Rows (or columns) 0..<size within one of `index` (the 3x3 stride-1 neighbourhood).
    @inline(__always)
    static func neighbours(_ index: Int, size: Int) -> Range<Int> { max(0, index - 1)..<min(size, index + 2) }

    // MARK: Max pooling

    /// Output planes `planes` and, unless `winners` is nil (no gradient to route), the plane-relative
    /// index of each output's winner: the first largest cell of the window in row-major order.
    static func maxForward(_ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           _ winners: UnsafeMutablePointer<Int32>?, planes: Range<Int>, path: LoopPath = .fastest) {
        let (inPlane, outPlane) = (g.height * g.width, g.outHeight * g.outWidth)
        let strideTwoLanes = winners == nil ? stridedLanes(g, path) : nil
        for plane in planes {
            let (source, target, indices) = (x + plane * inPlane, y + plane * outPlane, winners.map { $0 + plane * outPlane })
            if let strideTwoLanes {
                if strideTwoLanes == 8 { maxStrideTwo(SIMD8<Float>.self, g, source, target) } else { maxStrideTwo(SIMD4<Float>.self, g, source, target) }
                continue
            }
            switch lanes(g, path) {
            case 16: maxThreeByThree(SIMD16<Float>.self, g, source, target, indices)
            case 8: maxThreeByThree(SIMD8<Float>.self, g, source, target, indices)
            case 4: maxThreeByThree(SIMD4<Float>.self, g, source, target, indices)
            default: maxWindows(g, source, target, indices, columns: 0..<g.outWidth)
            }
        }
    }

    /// The generic max over output columns `columns` of every output row of one plane.
    @inline(__always)
    static func maxWindows(_ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           _ winners: UnsafeMutablePointer<Int32>?, columns: Range<Int>) {
        for oy in 0..<g.outHeight {
            let rows = g.rows(oy)
            for ox in columns {
                let window = g.columns(ox)
                var bestIndex = rows.lowerBound * g.width + window.lowerBound
                var best = x[bestIndex]
                for iy in rows {
                    for ix in window where x[iy * g.width + ix] > best {
                        best = x[iy * g.width + ix]
                        bestIndex = iy * g.width + ix
                    }
                }
                y[oy * g.outWidth + ox] = best
                winners?[oy * g.outWidth + ox] = Int32(bestIndex)
            }
        }
    }

    static func maxThreeByThree<Lane: MaxPoolingLane>(_: Lane.Type, _ g: PoolGeometry, _ x: UnsafePointer<Float>,
                                                      _ y: UnsafeMutablePointer<Float>, _ winners: UnsafeMutablePointer<Int32>?) {
        let width = g.width
        var laneIndex = Lane.Index()
        for lane in 0..<Lane.scalarCount { laneIndex[lane] = Int32(lane) }
        let (leading, last) = blocks(width: width, lanes: Lane.scalarCount)
        for oy in 0..<g.height {
            let rows = neighbours(oy, size: g.height)
            @inline(__always) func block(_ column: Int) {
                let first = rows.lowerBound * width + column - 1
                var best: Lane = VectorKernels.load(x + first)
                guard let winners else {
                    // Values only, with the same comparison (a later cell wins only when larger).
                    for iy in rows {
                        for kx in 0..<3 {
                            Lane.keepLarger(&best, VectorKernels.load(x + iy * width + column - 1 + kx))
                        }
                    }
                    VectorKernels.store(best, y + oy * width + column)
                    return
                }
                var bestIndex = laneIndex &+ Int32(first)
                for iy in rows {
                    for kx in 0..<3 {
                        let offset = iy * width + column - 1 + kx
                        Lane.keepLarger(&best, &bestIndex, VectorKernels.load(x + offset), laneIndex &+ Int32(offset))
                    }
                }
                VectorKernels.store(best, y + oy * width + column)
                VectorKernels.store(bestIndex, winners + oy * width + column)
            }
            for column in leading { block(column) }
            block(last)
        }
        maxWindows(g, x, y, winners, columns: 0..<1)
        maxWindows(g, x, y, winners, columns: width - 1..<width)
    }

    /// Lanes of the SIMD path of the 3x3 stride-2 padding-1 max pool without winners (the reduction
    /// cells' max_pool_3x3 at inference), or nil: 8 from 19 columns on, 4 from 11 (`maxStrideTwo`).
    static func stridedLanes(_ g: PoolGeometry, _ path: LoopPath) -> Int? {
        guard path == .fastest, g.kernel == 3, g.stride == 2, g.padding == 1 else { return nil }
        return [8, 4].first { (g.width - 1 - 2 * $0) / 2 >= 1 }
    }

    /// The 3x3 stride-2 padding-1 maxima of one plane, values only. Output columns ox ..< ox + L take
    /// their windows' columns 2ox - 1, 2ox, 2ox + 1 from two loads of 2L values per input row, the
    /// first's even and odd lanes and the second's even lanes, visited in the generic loop's
    /// row-major order with its comparison (so NaNs and ±0 ties come out the same). A block stays
    /// inside the row while 2 ox + 2L <= width - 1; the last one is flush with that bound (blocks may
    /// overlap), and the columns left on either side run through `maxWindows`.
    static func maxStrideTwo<Lane: StrideTwoLane>(_: Lane.Type, _ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let (width, lanes) = (g.width, Lane.scalarCount)
        let last = (width - 1 - 2 * lanes) / 2
        for oy in 0..<g.outHeight {
            let rows = g.rows(oy)
            @inline(__always) func block(_ ox: Int) {
                var best = Lane()
                for (index, iy) in rows.enumerated() {
                    let row = x + iy * width + 2 * ox - 1
                    let (left, middle) = Lane.deinterleaved(row)
                    let right = Lane.deinterleaved(row + 2).even
                    if index == 0 { best = left } else { Lane.keepLarger(&best, left) }
                    Lane.keepLarger(&best, middle)
                    Lane.keepLarger(&best, right)
                }
                VectorKernels.store(best, y + oy * g.outWidth + ox)
            }
            for ox in stride(from: 1, to: last, by: lanes) { block(ox) }
            block(last)
        }
        maxWindows(g, x, y, nil, columns: 0..<1)
        maxWindows(g, x, y, nil, columns: last + lanes..<g.outWidth)
    }

    /// The 2x2 stride-2 max of one plane (PC-DARTS's pooled bypass) times `factor`, stored into `y`
    /// or added to it, with `winners` as `maxWindows` gives them (same cell order, same ties): eight
    /// outputs at a time from the even and odd columns of 16-wide loads, the rest one by one.
    @inline(__always)
    static func maxTwoByTwo(_ g: PoolGeometry, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                            winners: UnsafeMutablePointer<Int32>, factor: Float, adding: Bool) {
        precondition(g.kernel == 2 && g.stride == 2 && g.padding == 0, "maxTwoByTwo: a \(g.kernel)x\(g.kernel) window at stride \(g.stride)")
        let width = g.width
        let columns = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        for oy in 0..<g.outHeight {
            let (top, row) = (2 * oy * width, oy * g.outWidth)
            var ox = 0
            while ox + 8 <= g.outWidth {
                let corner = top + 2 * ox
                let upper = UnsafeRawPointer(x + corner).loadUnaligned(as: SIMD16<Float>.self)
                let lower = UnsafeRawPointer(x + corner + width).loadUnaligned(as: SIMD16<Float>.self)
                var (best, index) = (upper.evenHalf, columns &+ Int32(corner))
                SIMD8.keepLarger(&best, &index, upper.oddHalf, columns &+ Int32(corner + 1))
                SIMD8.keepLarger(&best, &index, lower.evenHalf, columns &+ Int32(corner + width))
                SIMD8.keepLarger(&best, &index, lower.oddHalf, columns &+ Int32(corner + width + 1))
                let target = UnsafeMutableRawPointer(y + row + ox)
                let scaled = best * factor
                target.storeBytes(of: adding ? target.loadUnaligned(as: SIMD8<Float>.self) + scaled : scaled, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(winners + row + ox).storeBytes(of: index, as: SIMD8<Int32>.self)
                ox += 8
            }
            for ox in ox..<g.outWidth {
                let corner = top + 2 * ox
                var (best, index) = (x[corner], corner)
                for cell in [corner + 1, corner + width, corner + width + 1] where x[cell] > best { (best, index) = (x[cell], cell) }
                winners[row + ox] = Int32(truncatingIfNeeded: index)
                if adding { y[row + ox] += best * factor } else { y[row + ox] = best * factor }
            }
        }
    }

    /// dx[winner] += dy for each output of `planes`, in output order.
    static func maxBackward(_ g: PoolGeometry, _ dy: UnsafePointer<Float>, _ winners: UnsafePointer<Int32>,
                            _ dx: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        let (inPlane, outPlane) = (g.height * g.width, g.outHeight * g.outWidth)
        for plane in planes {
            let (upstream, indices, target) = (dy + plane * outPlane, winners + plane * outPlane, dx + plane * inPlane)
            for o in 0..<outPlane { target[Int(indices[o])] += upstream[o] }
        }
    }

    // MARK: Average pooling

    /// Output planes `planes`: the sum of the window's cells inside the plane, in row-major order
    /// from 0, divided by their count.
    static func averageForward(_ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               planes: Range<Int>, path: LoopPath = .fastest) {
        let (inPlane, outPlane) = (g.height * g.width, g.outHeight * g.outWidth)
        for plane in planes {
            let (source, target) = (x + plane * inPlane, y + plane * outPlane)
            switch lanes(g, path) {
            case 16: averageThreeByThree(SIMD16<Float>.self, g, source, target)
            case 8: averageThreeByThree(SIMD8<Float>.self, g, source, target)
            case 4: averageThreeByThree(SIMD4<Float>.self, g, source, target)
            default: averageWindows(g, source, target, columns: 0..<g.outWidth)
            }
        }
    }

    @inline(__always)
    static func averageWindows(_ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, columns: Range<Int>) {
        for oy in 0..<g.outHeight {
            let rows = g.rows(oy)
            for ox in columns {
                let window = g.columns(ox)
                var total: Float = 0
                for iy in rows { for ix in window { total += x[iy * g.width + ix] } }
                y[oy * g.outWidth + ox] = total / Float(rows.count * window.count)
            }
        }
    }

    static func averageThreeByThree<Lane: SIMD>(_: Lane.Type, _ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>)
    where Lane.Scalar == Float {
        let width = g.width
        let (leading, last) = blocks(width: width, lanes: Lane.scalarCount)
        for oy in 0..<g.height {
            let rows = neighbours(oy, size: g.height)
            let count = Lane(repeating: Float(rows.count * 3))
            @inline(__always) func block(_ column: Int) {
                var total = Lane()
                for iy in rows {
                    for kx in 0..<3 { total += VectorKernels.load(x + iy * width + column - 1 + kx) as Lane }
                }
                VectorKernels.store(total / count, y + oy * width + column)
            }
            for column in leading { block(column) }
            block(last)
        }
        averageWindows(g, x, y, columns: 0..<1)
        averageWindows(g, x, y, columns: width - 1..<width)
    }

    /// Each output's share dy / count added to the cells of its window. The generic loop scatters in
    /// output order; the 3x3 path gathers each input cell's shares in that same order, so every cell
    /// sees the same sequence of additions.
    static func averageBackward(_ g: PoolGeometry, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                planes: Range<Int>, path: LoopPath = .fastest) {
        let (inPlane, outPlane) = (g.height * g.width, g.outHeight * g.outWidth)
        guard let lanes = lanes(g, path) else {
            for plane in planes { averageScatter(g, dy + plane * outPlane, dx + plane * inPlane) }
            return
        }
        // The window sizes of one output plane, then each plane's shares.
        let counts = UnsafeMutablePointer<Float>.allocate(capacity: outPlane)
        let shares = UnsafeMutablePointer<Float>.allocate(capacity: outPlane)
        defer { counts.deallocate(); shares.deallocate() }
        for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth { counts[oy * g.outWidth + ox] = Float(g.rows(oy).count * g.columns(ox).count) }
        }
        for plane in planes {
            var i = 0
            while i + 16 <= outPlane {
                let upstream: SIMD16<Float> = VectorKernels.load(dy + plane * outPlane + i)
                VectorKernels.store(upstream / VectorKernels.load(counts + i), shares + i)
                i += 16
            }
            while i < outPlane { shares[i] = dy[plane * outPlane + i] / counts[i]; i += 1 }
            let target = dx + plane * inPlane
            switch lanes {
            case 16: averageGather(SIMD16<Float>.self, g, shares, target)
            case 8: averageGather(SIMD8<Float>.self, g, shares, target)
            default: averageGather(SIMD4<Float>.self, g, shares, target)
            }
        }
    }

    static func averageScatter(_ g: PoolGeometry, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        for oy in 0..<g.outHeight {
            let rows = g.rows(oy)
            for ox in 0..<g.outWidth {
                let window = g.columns(ox)
                let share = dy[oy * g.outWidth + ox] / Float(rows.count * window.count)
                for iy in rows { for ix in window { dx[iy * g.width + ix] += share } }
            }
        }
    }

    /// dx[iy, ix] += shares of the outputs whose 3x3 window holds (iy, ix), in output order. The
    /// last block reads dx before the leading blocks store theirs (the blocks may overlap), and is
    /// stored after them.
    static func averageGather<Lane: SIMD>(_: Lane.Type, _ g: PoolGeometry, _ shares: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>)
    where Lane.Scalar == Float {
        let (height, width) = (g.height, g.width)
        let (leading, last) = blocks(width: width, lanes: Lane.scalarCount)
        @inline(__always) func gathered(_ iy: Int, _ column: Int) -> Lane {
            var total: Lane = VectorKernels.load(dx + iy * width + column)
            for oy in neighbours(iy, size: height) {
                for kx in 0..<3 { total += VectorKernels.load(shares + oy * width + column - 1 + kx) as Lane }
            }
            return total
        }
        for iy in 0..<height {
            let flush = gathered(iy, last)
            for column in leading { VectorKernels.store(gathered(iy, column), dx + iy * width + column) }
            VectorKernels.store(flush, dx + iy * width + last)
            @inline(__always) func edge(_ ix: Int) {
                var total = dx[iy * width + ix]
                for oy in neighbours(iy, size: height) {
                    for ox in neighbours(ix, size: width) { total += shares[oy * width + ox] }
                }
                dx[iy * width + ix] = total
            }
            edge(0)
            edge(width - 1)
        }
    }
}

/// A SIMD vector for the 3x3 max pool, with its lane-wise "take the strictly larger" spelled out
/// per width: generic code would reach the SIMD protocol's element-by-element comparison.
protocol MaxPoolingLane: SIMD where Scalar == Float {
    associatedtype Index: SIMD where Index.Scalar == Int32
    /// Lanes where `candidate > best` take the candidate's value and index.
    static func keepLarger(_ best: inout Self, _ bestIndex: inout Index, _ candidate: Self, _ index: Index)
    /// Lanes where `candidate > best` take the candidate's value (no index to follow).
    static func keepLarger(_ best: inout Self, _ candidate: Self)
}

extension SIMD16: MaxPoolingLane where Scalar == Float {
    @inline(__always)
    static func keepLarger(_ best: inout Self, _ candidate: Self) {
        best.replace(with: candidate, where: candidate .> best)
    }

    @inline(__always)
    static func keepLarger(_ best: inout Self, _ bestIndex: inout SIMD16<Int32>, _ candidate: Self, _ index: SIMD16<Int32>) {
        let larger = candidate .> best
        best.replace(with: candidate, where: larger)
        bestIndex.replace(with: index, where: larger)
    }
}

extension SIMD8: MaxPoolingLane where Scalar == Float {
    @inline(__always)
    static func keepLarger(_ best: inout Self, _ candidate: Self) {
        best.replace(with: candidate, where: candidate .> best)
    }

    @inline(__always)
    static func keepLarger(_ best: inout Self, _ bestIndex: inout SIMD8<Int32>, _ candidate: Self, _ index: SIMD8<Int32>) {
        let larger = candidate .> best
        best.replace(with: candidate, where: larger)
        bestIndex.replace(with: index, where: larger)
    }
}

extension SIMD4: MaxPoolingLane where Scalar == Float {
    @inline(__always)
    static func keepLarger(_ best: inout Self, _ candidate: Self) {
        best.replace(with: candidate, where: candidate .> best)
    }

    @inline(__always)
    static func keepLarger(_ best: inout Self, _ bestIndex: inout SIMD4<Int32>, _ candidate: Self, _ index: SIMD4<Int32>) {
        let larger = candidate .> best
        best.replace(with: candidate, where: larger)
        bestIndex.replace(with: index, where: larger)
    }
}

/// A max-pool lane that also loads 2L consecutive values split into their even and odd lanes (the
/// stride-2 pool's window columns).
protocol StrideTwoLane: MaxPoolingLane {
    static func deinterleaved(_ p: UnsafePointer<Float>) -> (even: Self, odd: Self)
}

extension SIMD8: StrideTwoLane where Scalar == Float {
    @inline(__always)
    static func deinterleaved(_ p: UnsafePointer<Float>) -> (even: Self, odd: Self) {
        let pair: SIMD16<Float> = VectorKernels.load(p)
        return (pair.evenHalf, pair.oddHalf)
    }
}

extension SIMD4: StrideTwoLane where Scalar == Float {
    @inline(__always)
    static func deinterleaved(_ p: UnsafePointer<Float>) -> (even: Self, odd: Self) {
        let pair: SIMD8<Float> = VectorKernels.load(p)
        return (pair.evenHalf, pair.oddHalf)
    }
}
