import Testing
@testable import Tensor

/// These tests change the global `Parallelism.threads`, so they run one at a time.
@Suite(.serialized) struct ParallelismTests {
    /// Runs `body` with `Parallelism.threads` set to `threads`, restoring the setting afterwards.
    static func with<T>(threads: Int, _ body: () -> T) -> T {
        let saved = Parallelism.threads
        Parallelism.threads = threads
        defer { Parallelism.threads = saved }
        return body()
    }

    /// Output, input gradient and weight gradient of one convolution.
    static func convolve(_ c: ConvCase) -> [[Float]] {
        let x = randomTensor(c.input, seed: 91)
        let w = randomTensor(c.weightShape, seed: 92)
        let y = x.conv2d(w, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        (y * randomTensor(y.shape, seed: 93, requiresGrad: false)).sum().backward()
        return [y.data, x.grad, w.grad]
    }

    /// How many elements differ in their bits (0 when the arrays are identical).
    static func mismatches(_ a: [[Float]], _ b: [[Float]]) -> [Int] {
        zip(a, b).map { left, right in
            left.count != right.count ? -1 : zip(left, right).filter { $0.bitPattern != $1.bitPattern }.count
        }
    }

    /// Batches of 5 and 10 split unevenly over the workers; every path must give the single-thread bits.
    static let cases: [ConvCase] = [
        ConvCase("3x3 pad 1", input: [5, 3, 7, 5], out: 4, kernel: 3, padding: 1),
        ConvCase("3x3 pad 1 batch 10", input: [10, 2, 5, 5], out: 3, kernel: 3, padding: 1),
        ConvCase("1x1 pointwise", input: [5, 4, 6, 5], out: 3, kernel: 1, path: .pointwise),
        ConvCase("grouped stride 2", input: [5, 4, 7, 5], out: 4, kernel: 3, stride: 2, padding: 1, groups: 2),
        ConvCase("depthwise dilated", input: [5, 3, 7, 5], out: 3, kernel: 3, padding: 2, dilation: 2, groups: 3, path: .depthwise),
    ]

    /// `SignPointwise` sums the weight gradient in fixed blocks of images, so its bits do not depend on the threads.
    @Test func signPointwiseGradientsAreIdenticalOnOneThread() {
        let g = ConvGeometry(input: [13, 6, 14, 14], weight: [4, 6, 1, 1], stride: 1, padding: 0, dilation: 1, groups: 1)
        let x = randomTensor([13, 6, 14, 14], seed: 96, bound: 2).data
        let w = randomTensor([4, 6, 1, 1], seed: 97).data
        let dy = randomTensor([13, 4, 14, 14], seed: 98).data
        let many = Self.with(threads: 2) { Convolution.gradients(g, input: x, weight: w, outputGrad: dy, signOfInput: true) }
        let one = Self.with(threads: 1) { Convolution.gradients(g, input: x, weight: w, outputGrad: dy, signOfInput: true) }
        #expect(Self.mismatches([many.input!, many.weight!], [one.input!, one.weight!]) == [0, 0])
    }

    @Test(arguments: cases)
    func convolutionIsIdenticalOnOneThread(_ c: ConvCase) {
        let serial = Self.with(threads: 1) { Self.convolve(c) }
        let parallel = Self.convolve(c)
        #expect(Self.mismatches(serial, parallel) == [0, 0, 0], "output, input gradient, weight gradient at \(Parallelism.threads) threads")
        for threads in [2, 3, 8] {
            let other = Self.with(threads: threads) { Self.convolve(c) }
            #expect(Self.mismatches(serial, other) == [0, 0, 0], "output, input gradient, weight gradient at \(threads) threads")
        }
    }

    @Test(arguments: [1, 2, 3, 8])
    func chunksCoverTheRangeOnce(threads: Int) {
        Self.with(threads: threads) {
            for (count, minimum) in [(0, 1), (1, 1), (7, 1), (10, 4), (100, 8)] {
                let workers = Parallelism.workerCount(count, minimumChunk: minimum)
                #expect(workers >= 1 && workers <= threads)
                // Each index records how often it was visited and by which worker (checked here,
                // not on the workers' threads).
                var hits = [Int](repeating: 0, count: count)
                var owner = [Int](repeating: -1, count: count)
                hits.withUnsafeMutableBufferPointer { hits in
                    owner.withUnsafeMutableBufferPointer { owner in
                        Parallelism.forEachWorkerChunk(count, minimumChunk: minimum) { worker, range in
                            for i in range { hits[i] += 1; owner[i] = worker }
                        }
                    }
                }
                #expect(hits.allSatisfy { $0 == 1 }, "count \(count), minimum chunk \(minimum)")
                #expect(owner.allSatisfy { $0 >= 0 && $0 < workers })
                #expect(owner == owner.sorted(), "chunks are contiguous and in worker order")
            }
        }
    }

    @Test func poolingIsIdenticalOnOneThread() {
        func pool() -> [[Float]] {
            let x = randomTensor([4, 5, 6, 6], seed: 94)
            let maxed = x.maxPool2d(kernel: 3, stride: 1, padding: 1)
            let averaged = x.avgPool2d(kernel: 3, stride: 2, padding: 1)
            (maxed.sum() + averaged.sum().scaled(by: 0.5)).backward()
            return [maxed.data, averaged.data, x.grad]
        }
        #expect(Self.with(threads: 1, pool) == Self.with(threads: 2, pool))
    }
}
