import Network
import Testing
@testable import Search

/// The bookkeeping of removed and vetoed operations, and the veto rules.
struct OperationSpaceTests {
    @Test func removingAnOperationTakesItOutOfItsEdgeOnly() {
        var space = OperationSpace()
        #expect(space.survivingCount == 224)
        let ref = OperationRef(cell: .reduce, edge: 7, operation: .sepConv3x3)
        space.remove(ref, cause: .veto)
        #expect(space.removal(ref) == .veto)
        #expect(!space.surviving(.reduce, edge: 7).contains(.sepConv3x3))
        #expect(space.surviving(.normal, edge: 7).count == 8)
        #expect(space.surviving(.reduce, edge: 6).count == 8)
        #expect(space.survivingCount == 223)
        #expect(space.survivalMask(.reduce)[7 * 8 + OperationKind.sepConv3x3.index] == false)
    }

    @Test func vetoRulesRefuseWithAReason() {
        var space = OperationSpace()
        let edge = 4
        func ref(_ kind: OperationKind) -> OperationRef { OperationRef(cell: .normal, edge: edge, operation: kind) }
        for kind in [OperationKind.maxPool3x3, .avgPool3x3, .skipConnect, .sepConv3x3, .sepConv5x5, .dilConv3x3] {
            #expect(space.refusal(toRemove: ref(kind)) == nil)
            space.remove(ref(kind), cause: kind == .skipConnect ? .veto : .reduction)
        }
        // Already gone, by a veto or by a reduction step.
        #expect(space.refusal(toRemove: ref(.skipConnect))?.contains("already gone (vetoed)") == true)
        #expect(space.refusal(toRemove: ref(.maxPool3x3))?.contains("already gone (removed by a reduction step)") == true)
        // none and dil_conv_5x5 are left: the last real op cannot go, none can.
        #expect(space.refusal(toRemove: ref(.dilConv5x5))?.contains("last real operation") == true)
        #expect(space.refusal(toRemove: ref(.none)) == nil)
        space.remove(ref(.none), cause: .veto)
        #expect(space.refusal(toRemove: ref(.dilConv5x5))?.contains("last operation of its edge") == true)
        #expect(space.surviving(.normal, edge: edge) == [.dilConv5x5])
        #expect(space.refusal(toRemove: OperationRef(cell: .normal, edge: 14, operation: .none))?.contains("no edge 14") == true)
        #expect(!space.isReduced)
    }
}
