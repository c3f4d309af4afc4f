import Testing
@testable import Tensor

/// The 3x3 stride-1 SIMD pooling kernels against the generic loops, bit for bit.
@Suite struct PoolingKernelTests {
    /// 16, 8 and 4 lanes (with overlapping last blocks), a single row, and widths below 6 that
    /// fall back to the generic loops.
    static let shapes: [[Int]] = [[2, 3, 28, 28], [1, 2, 9, 11], [1, 1, 6, 6], [2, 1, 5, 19], [1, 1, 1, 7], [1, 2, 3, 40], [1, 1, 4, 5]]

    /// Few distinct levels (so windows hold ties), with NaN, -infinity and -0 sprinkled in.
    static func awkwardValues(_ shape: [Int], seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<shape.reduce(1, *)).map { _ in
            switch rng.nextUniform() {
            case ..<0.03: return .nan
            case ..<0.06: return -.infinity
            case ..<0.1: return -0.0
            default: return Float(Int(rng.nextUniform() * 5)) - 2
            }
        }
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test(arguments: shapes)
    func maxPoolMatchesTheGenericLoops(_ shape: [Int]) {
        let g = PoolGeometry(shape, kernel: 3, stride: 1, padding: 1)
        #expect((PoolingKernels.lanes(g, .fastest) != nil) == (shape[3] >= 6))
        let x = Self.awkwardValues(shape, seed: 21)
        var results: [LoopPath: ([Float], [Int32])] = [:]
        for path in [LoopPath.fastest, .generic] {
            var winners = [Int32](repeating: -1, count: g.outputCount)
            var y = [Float](repeating: 0, count: g.outputCount)
            x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { y in winners.withUnsafeMutableBufferPointer { w in
                PoolingKernels.maxForward(g, x.baseAddress!, y.baseAddress!, w.baseAddress!, planes: 0..<g.planes, path: path)
            } } }
            results[path] = (y, winners)
        }
        #expect(Self.bits(results[.fastest]!.0) == Self.bits(results[.generic]!.0))
        #expect(results[.fastest]!.1 == results[.generic]!.1)
        // Without winners (inference): the same maxima, bit for bit (ties of 0 and -0.0, NaNs).
        for path in [LoopPath.fastest, .generic] {
            var y = [Float](repeating: 0, count: g.outputCount)
            x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { y in
                PoolingKernels.maxForward(g, x.baseAddress!, y.baseAddress!, nil, planes: 0..<g.planes, path: path)
            } }
            #expect(Self.bits(y) == Self.bits(results[.generic]!.0), "\(path) without winners")
        }
    }

    /// The reduction cells' 3x3 stride-2 max pool without winners: 8 lanes (widths 28, 19, 20), 4
    /// lanes (14, 11, 12), none (10, 7), odd and even heights, against the generic loops bit for bit.
    @Test(arguments: [[2, 3, 28, 28], [1, 2, 14, 14], [1, 1, 5, 19], [1, 1, 6, 20], [1, 2, 7, 11], [1, 1, 3, 12], [1, 1, 4, 10], [1, 2, 7, 7]])
    func strideTwoMaxPoolMatchesTheGenericLoops(_ shape: [Int]) {
        let g = PoolGeometry(shape, kernel: 3, stride: 2, padding: 1)
        #expect(PoolingKernels.stridedLanes(g, .fastest) == (shape[3] >= 19 ? 8 : shape[3] >= 11 ? 4 : nil))
        let x = Self.awkwardValues(shape, seed: 23)
        var outputs: [LoopPath: [Float]] = [:]
        for path in [LoopPath.fastest, .generic] {
            var y = [Float](repeating: 7, count: g.outputCount)
            x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { y in
                PoolingKernels.maxForward(g, x.baseAddress!, y.baseAddress!, nil, planes: 0..<g.planes, path: path)
            } }
            outputs[path] = y
        }
        #expect(Self.bits(outputs[.fastest]!) == Self.bits(outputs[.generic]!))
        #expect(!outputs[.fastest]!.contains(7), "every output written")
    }

    /// PC-DARTS's pooled bypass: the 2x2 stride-2 kernel, scaled and stored or added, against the
    /// generic loops followed by the same multiply (and add), on even and odd sides and with ties,
    /// for rows of fewer than 8 outputs (one by one), 14 (8 in SIMD, 6 one by one) and 17.
    @Test(arguments: [[1, 1, 6, 6], [1, 1, 7, 5], [1, 1, 28, 28], [1, 1, 2, 3], [1, 1, 5, 34]])
    func twoByTwoMaxPoolMatchesTheGenericLoops(_ shape: [Int]) {
        let g = PoolGeometry(shape, kernel: 2, stride: 2, padding: 0)
        let x = Self.awkwardValues(shape, seed: 25)
        let start = randomTensor(g.outputShape, seed: 26).data
        let factor: Float = 0.37
        for adding in [false, true] {
            var (pooled, genericWinners) = ([Float](repeating: 0, count: g.outputCount), [Int32](repeating: -1, count: g.outputCount))
            var (y, winners) = (start, [Int32](repeating: -1, count: g.outputCount))
            x.withUnsafeBufferPointer { x in
                pooled.withUnsafeMutableBufferPointer { p in genericWinners.withUnsafeMutableBufferPointer { w in
                    PoolingKernels.maxWindows(g, x.baseAddress!, p.baseAddress!, w.baseAddress!, columns: 0..<g.outWidth)
                } }
                y.withUnsafeMutableBufferPointer { y in winners.withUnsafeMutableBufferPointer { w in
                    PoolingKernels.maxTwoByTwo(g, x.baseAddress!, into: y.baseAddress!, winners: w.baseAddress!, factor: factor, adding: adding)
                } }
            }
            let expected = pooled.indices.map { adding ? start[$0] + pooled[$0] * factor : pooled[$0] * factor }
            #expect(Self.bits(y) == Self.bits(expected))
            #expect(winners == genericWinners)
        }
    }

    @Test(arguments: shapes)
    func averagePoolMatchesTheGenericLoops(_ shape: [Int]) {
        let g = PoolGeometry(shape, kernel: 3, stride: 1, padding: 1)
        let x = randomTensor(shape, seed: 22).data
        let dy = randomTensor(g.outputShape, seed: 23).data
        let start = randomTensor(shape, seed: 24).data
        var outputs: [[Float]] = []
        var gradients: [[Float]] = []
        for path in [LoopPath.fastest, .generic] {
            var y = [Float](repeating: 0, count: g.outputCount)
            var dx = start
            x.withUnsafeBufferPointer { x in dy.withUnsafeBufferPointer { dy in
                y.withUnsafeMutableBufferPointer { y in dx.withUnsafeMutableBufferPointer { dx in
                    PoolingKernels.averageForward(g, x.baseAddress!, y.baseAddress!, planes: 0..<g.planes, path: path)
                    PoolingKernels.averageBackward(g, dy.baseAddress!, dx.baseAddress!, planes: 0..<g.planes, path: path)
                } }
            } }
            outputs.append(y)
            gradients.append(dx)
        }
        #expect(Self.bits(outputs[0]) == Self.bits(outputs[1]))
        #expect(Self.bits(gradients[0]) == Self.bits(gradients[1]))
    }
}
