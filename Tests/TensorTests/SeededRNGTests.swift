import Testing
@testable import Tensor

@Suite struct SeededRNGTests {
    @Test func sameSeedSameSequence() {
        var a = SeededRNG(seed: 42)
        var b = SeededRNG(seed: 42)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(a == b)
    }

    @Test func differentSeedsDiffer() {
        var a = SeededRNG(seed: 1)
        var b = SeededRNG(seed: 2)
        let left = (0..<16).map { _ in a.next() }
        let right = (0..<16).map { _ in b.next() }
        #expect(zip(left, right).allSatisfy { $0 != $1 })
    }

    @Test func restoredStateResumesTheSequence() throws {
        var original = SeededRNG(seed: 7)
        for _ in 0..<13 { _ = original.next() }
        var restored = try #require(SeededRNG(state: original.state))
        #expect((0..<50).map { _ in original.next() } == (0..<50).map { _ in restored.next() })
        #expect(SeededRNG(state: [0, 0, 0, 0]) == nil)
        #expect(SeededRNG(state: [1, 2, 3]) == nil)
    }

    /// Published values: SplitMix64 from seed 0, and xoshiro256** from state (1, 2, 3, 4).
    @Test func matchesTheReferenceAlgorithms() throws {
        #expect(SeededRNG(seed: 0).state == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC])
        var rng = try #require(SeededRNG(state: [1, 2, 3, 4]))
        #expect((0..<4).map { _ in rng.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func uniformIsInTheUnitInterval() {
        var rng = SeededRNG(seed: 3)
        let samples = (0..<20_000).map { _ in rng.nextUniform() }
        #expect(samples.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = samples.map(Double.init).reduce(0, +) / Double(samples.count)
        #expect(abs(mean - 0.5) < 0.01)
        #expect(samples.contains { $0 < 0.01 } && samples.contains { $0 > 0.99 })
    }

    @Test func normalHasUnitVariance() {
        var rng = SeededRNG(seed: 4)
        let samples = (0..<20_000).map { _ in Double(rng.nextNormal()) }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }

    @Test func intsAndShuffle() {
        var rng = SeededRNG(seed: 5)
        let draws = (0..<1000).map { _ in rng.nextInt(below: 7) }
        #expect(Set(draws) == Set(0..<7))
        var values = Array(0..<20)
        var again = values
        var first = SeededRNG(seed: 6)
        var second = SeededRNG(seed: 6)
        first.shuffle(&values)
        second.shuffle(&again)
        #expect(values == again && values.sorted() == Array(0..<20) && values != Array(0..<20))
    }
}
