import Foundation
import Network
import Testing
@testable import Search
import Tensor

/// The operation-space reduction of docs/algorithms.md#operation-space-reduction and its `alpha` ablation.
struct ReductionTests {
    static func engine(_ policy: ReductionPolicyKind) throws -> SearchEngine {
        var configuration = tinyConfiguration(policy: policy)
        configuration.binarize = .none
        return try SearchEngine(configuration: configuration, data: SearchData.load(configuration))
    }

    @Test func performanceScoresAreTheSoftmaxOfMeanAccuracyAndOutsideOpsSitBetweenMaxAndMean() {
        let (inside, outside) = SearchEngine.performanceScores(meanAccuracies: [0.5, 0.25, 0.75])
        let exponentials = [0.5, 0.25, 0.75].map { Foundation.exp($0) }
        let expected = exponentials.map { $0 / exponentials.reduce(0, +) }
        for (a, b) in zip(inside, expected) { #expect(abs(a - b) < 1e-12) }
        #expect(abs(outside - (expected.max()! + expected.reduce(0, +) / 3) / 2) < 1e-12)
        #expect(outside > expected.reduce(0, +) / 3 && outside < expected.max()!)
    }

    /// `alpha` removes, on every edge, the surviving op with the lowest softmax(alpha).
    @Test func alphaPolicyRemovesTheLowestWeightOnEveryEdge() throws {
        let engine = try Self.engine(.alpha)
        for cell in CellType.allCases {
            let alpha = engine.architecture.alpha(cell)
            for edge in 0..<14 { for op in 0..<8 { alpha.data[edge * 8 + op] = Float((edge + op * 3) % 8) } }
        }
        let event = try #require(engine.reduce(epoch: 3))
        #expect(event.removed.count == 28)
        #expect(event.index == 1 && event.epoch == 4 && event.policy == .alpha)
        for ref in event.removed {
            // (edge + 3 op) % 8 == 0 is the smallest logit on the edge.
            #expect((ref.edge + ref.operation.index * 3) % 8 == 0, "\(ref)")
            #expect(engine.space.removal(ref) == .reduction)
            #expect(event.normalScores[ref.edge][ref.operation.index] != nil || ref.cell == .reduce)
        }
        #expect(engine.space.survivingCount == 196)
    }

    /// The performance policy removes one op per edge from the half with the lowest softmax(alpha),
    /// keeps S(o) <- S(o)/2 + s(o), never leaves `none` as an edge's last op, and ends with one op per edge.
    @Test func performancePolicyReducesToOneRealOperationPerEdge() throws {
        let engine = try Self.engine(.performance)
        for cell in CellType.allCases {
            // Make `none` the strongest op everywhere so that it would survive if allowed to.
            let alpha = engine.architecture.alpha(cell)
            for edge in 0..<14 { for op in 0..<8 { alpha.data[edge * 8 + op] = op == 0 ? 5 : Float(op) * 0.1 } }
        }
        var previous = engine.state.likelihoods
        for step in 1...7 {
            let tables = CellType.allCases.map { engine.architecture.operationTable($0, space: engine.space) }
            let before = engine.space
            let event = try #require(engine.reduce(epoch: step))
            #expect(event.removed.count == 28)
            for ref in event.removed {
                let table = tables[ref.cell == .normal ? 0 : 1][ref.edge]
                let surviving = before.surviving(ref.cell, edge: ref.edge)
                let lowHalf = surviving.sorted { (table[$0.index] ?? 0, $0.index) < (table[$1.index] ?? 0, $1.index) }.prefix((surviving.count + 1) / 2)
                #expect(lowHalf.contains(ref.operation) || surviving.count == 2, "step \(step): \(ref) is not in the sampled half")
                // S(o) halves and adds a score in (0, 1].
                for kind in surviving {
                    let old = previous[ref.cell, ref.edge, kind]
                    let new = engine.state.likelihoods[ref.cell, ref.edge, kind]
                    #expect(new > old / 2 && new <= old / 2 + 1 + 1e-12)
                }
            }
            previous = engine.state.likelihoods
        }
        #expect(engine.space.isReduced)
        for cell in CellType.allCases { for edge in 0..<14 { #expect(engine.space.surviving(cell, edge: edge) != [.none]) } }
        #expect(engine.reduce(epoch: 8) == nil)
        #expect(engine.state.reductionSteps == 7)
    }

    @Test func noneRemovesNothing() throws {
        let engine = try Self.engine(.none)
        #expect(engine.reduce(epoch: 2) == nil)
        #expect(engine.space.survivingCount == 224)
    }

    @Test func reductionEpochsFollowTheWarmupAndTheInterval() {
        var configuration = SearchConfiguration()
        #expect((0..<20).filter(configuration.isReductionEpoch) == Array(2..<20), "the default: after every epoch but the 2 warm-up ones")
        (configuration.warmupEpochs, configuration.reductionInterval) = (5, 2)
        #expect((0..<20).filter(configuration.isReductionEpoch) == [6, 8, 10, 12, 14, 16, 18])
        configuration.policy = .none
        #expect((0..<20).filter(configuration.isReductionEpoch).isEmpty)
    }
}
