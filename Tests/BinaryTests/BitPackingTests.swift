import Testing
@testable import Binary
import Tensor

struct BitPackingTests {
    @Test func signConvention() {
        #expect(BitPacking.sign(-1e-30) == -1)
        #expect(BitPacking.sign(0) == 1)
        #expect(BitPacking.sign(-0.0) == 1)
        #expect(BitPacking.sign(.nan) == 1)
        #expect(BitPacking.sign(3) == 1)
    }

    /// Bit j of row r is word r * wordsPerRow + j / 64, bit j % 64, set exactly for negative values.
    @Test(arguments: [1, 63, 64, 65, 72, 200, 577])
    func packRowsLayout(k: Int) {
        let rows = 3
        let values = TestData.values(rows * k, seed: UInt64(k))
        let matrix = BitPacking.packRows(values: values, rows: rows, k: k, counters: KernelCounters())
        #expect(matrix.rows == rows && matrix.bitsPerRow == k && matrix.wordsPerRow == (k + 63) / 64)
        #expect(matrix.words.count == rows * matrix.wordsPerRow)
        for row in 0..<rows {
            for bit in 0..<matrix.wordsPerRow * 64 {
                let word = matrix.words[row * matrix.wordsPerRow + bit / 64]
                let isSet = word >> UInt64(bit % 64) & 1 == 1
                let expected = bit < k && values[row * k + bit] < 0
                #expect(isSet == expected, "row \(row) bit \(bit)")
            }
            for bit in 0..<k {
                #expect(matrix.sign(row: row, bit: bit) == BitPacking.sign(values[row * k + bit]))
            }
        }
    }

    /// Every lane of the 16-value vector step and the scalar tail, with the values whose sign bit and
    /// `< 0` disagree (-0.0, negative NaN) and the extremes.
    @Test func packSignsOfSpecialValues() {
        let special: [Float] = [-.nan, .nan, -0.0, 0, -.infinity, .infinity, -.leastNonzeroMagnitude, .leastNonzeroMagnitude,
                                -.greatestFiniteMagnitude, 1, -1]
        var rng = SeededRNG(seed: 5)
        let values = (0..<203).map { _ in special[rng.nextInt(below: special.count)] }
        var words = [UInt64](repeating: ~0, count: 4)
        values.withUnsafeBufferPointer { x in words.withUnsafeMutableBufferPointer { BitPacking.packSigns(x.baseAddress!, count: 203, into: $0.baseAddress!) } }
        for (index, value) in values.enumerated() {
            #expect((words[index / 64] >> UInt64(index % 64) & 1 == 1) == (value < 0), "value \(index): \(value)")
        }
        #expect(words[3] >> 11 == 0, "padding bits")
    }

    @Test func packRowsOfKnownValues() {
        let values: [Float] = [1, -1, -2, 0, -0.0, 5, -3]
        let matrix = BitPacking.packRows(values: values, rows: 1, k: 7, counters: KernelCounters())
        #expect(matrix.words == [0b100_0110])
    }

    /// Weight [O, C, k, k] -> bit (ky * k + kx) * C + c of row o.
    @Test func packWeightsOrder() {
        let (outChannels, inChannels, kernel) = (3, 5, 3)
        let weight = TestData.values(outChannels * inChannels * kernel * kernel, seed: 11)
        let matrix = BitPacking.packWeights(weight: weight, outChannels: outChannels, inChannels: inChannels, kernel: kernel, counters: KernelCounters())
        #expect(matrix.rows == outChannels && matrix.bitsPerRow == 45)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                for ky in 0..<kernel {
                    for kx in 0..<kernel {
                        let value = weight[((o * inChannels + c) * kernel + ky) * kernel + kx]
                        #expect(matrix.isNegative(row: o, bit: (ky * kernel + kx) * inChannels + c) == (value < 0))
                    }
                }
            }
        }
    }

    @Test func storedWordsAreValidated() {
        #expect(PackedMatrix(rows: 2, bitsPerRow: 65, words: [1, 1, 2, 1]) != nil)
        #expect(PackedMatrix(rows: 2, bitsPerRow: 65, words: [1, 1, 2]) == nil)
        #expect(PackedMatrix(rows: 2, bitsPerRow: 65, words: [1, 1, 2, 2]) == nil, "a padding bit is set")
        #expect(PackedMatrix(rows: -1, bitsPerRow: 8, words: []) == nil)
        #expect(PackedMatrix(rows: 1, bitsPerRow: 64, words: [~0]) != nil)
    }

    @Test func cpuFlagsChooseThePath() {
        let flags = CPUFlags.parse(cpuinfo: "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vpopcntdq\nbogomips : 1\n")
        #expect(flags.contains("avx512_vpopcntdq") && flags.contains("fpu"))
        #expect(KernelPath.choose(flags: flags) == .avx512)
        #expect(KernelPath.choose(flags: ["avx2", "avx512f"]) == .avx2)
        #expect(KernelPath.choose(flags: ["sse2"]) == .portable)
        #expect(KernelPath.choose(flags: CPUFlags.parse(cpuinfo: "no flags here")) == .portable)
    }
}
