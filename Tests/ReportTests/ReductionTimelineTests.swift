import Benchmarks
import Foundation
import Network
@testable import Report
import Search
import Testing

/// The reduction timeline: one column per reduction step or accepted veto, each box the op removed from an
/// edge with the score it was ranked by.
struct ReductionTimelineTests {
    @Test func rankingIsLowestFirstWithTiesInColumnOrder() {
        let row: [Double?] = [0.3, nil, 0.1, 0.1, .nan, 0.2, nil, 0.4]
        let ranked = ReductionTimeline.ranked([row], edge: 0)
        #expect(ranked.map(\.operation) == [.avgPool3x3, .skipConnect, .sepConv5x5, .none, .dilConv5x5])
        #expect(ranked.map(\.score) == [0.1, 0.1, 0.2, 0.3, 0.4])
        #expect(ReductionTimeline.ranked([row], edge: 5).isEmpty)
    }

    @Test func eachStepRemovesTheLowestRankedOpOfEachEdgeAndVetoesGetTheirColumn() throws {
        let history = SearchHistory(records: try SampleRun.records(epochs: 10, warmupEpochs: 2, stepsPerEpoch: 10))
        let columns = ReductionTimeline.columns(history, cell: .normal)
        // SampleRun: a reduction step after epochs 4, 6 and 8 (2 warm-up epochs, one step every 2), the accepted
        // veto (normal edge 4) at the end of epoch 4, just before the first step.
        #expect(columns.map(\.label) == ["V1", "R1", "R2", "R3"])
        #expect(columns.map(\.detail) == ["ep 4", "ep 4", "ep 6", "ep 8"])
        for column in columns where column.label.hasPrefix("R") {
            #expect(column.removals.count == CellTopology.edgeCount)
            for (edge, removal) in column.removals {
                #expect(removal.operation == removal.ranking.first?.operation, "\(column.label) edge \(edge)")
                #expect(removal.score == removal.ranking.first?.score)
            }
        }
        let veto = columns[0]
        #expect(veto.removals == [4: ReductionTimeline.Removal(operation: .maxPool3x3, score: nil, ranking: [])])
        #expect(ReductionTimeline.columns(history, cell: .reduce).map(\.label) == ["R1", "R2", "R3"])

        let svg = ReductionTimeline(cell: .normal, columns: columns).svg()
        let boxes = SVGTests.elements("g", in: svg).filter { $0.hasPrefix("<g class=\"removal\">") }
        #expect(boxes.count == 3 * 14 + 1)
        let first = try #require(columns[1].removals[0])
        let label = first.operation.shortName + " " + AxisFormat.compact(try #require(first.score))
        // Boxes go row by row: the first is edge 0's box of R1 (the veto's is on edge 4).
        #expect(boxes.first?.contains(">\(label)</text>") == true, "\(boxes.first ?? "")")
        #expect(boxes.first?.contains("<title>reduction step 1 after epoch 4, policy performance: normal c-2→n0 lost \(first.operation.rawValue)") == true)
        #expect(svg.contains(">max3 veto</text>"))
    }
}
