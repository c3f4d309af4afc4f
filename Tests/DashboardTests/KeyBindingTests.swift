import Network
@testable import Search
import Testing
@testable import Dashboard

/// The key table drives both dispatch and help: every binding does something and is listed, no key is
/// bound twice where it applies, and the veto, pause and quit flows send the right commands.
struct KeyBindingTests {
    @Test(arguments: DashboardContext.allCases) func everyBindingDispatchesWhereItApplies(context: DashboardContext) throws {
        let state = try Fixtures.runningState()
        for binding in KeyBindings.bindings(in: context) {
            for key in binding.keys {
                for mode in binding.modes {
                    var view = ViewState(context: context)
                    view.mode = mode
                    view.themeCount = 3
                    if mode == .confirmVeto { view.cursorEdge = 5 }
                    let before = view
                    #expect(KeyBindings.binding(for: key, mode: mode, context: context)?.action == binding.action,
                            "\(key) in \(mode) is taken by another binding")
                    let effect = view.handle(key, state: state)
                    #expect(effect != nil || view != before, "\(binding.label) (\(key)) did nothing in \(mode), \(context)")
                }
            }
        }
    }

    @Test(arguments: DashboardContext.allCases) func everyBindingAppearsInHelp(context: DashboardContext) throws {
        var view = ViewState(context: context)
        view.mode = .help
        let grid = FrameTests.frame(try Fixtures.runningState(), view, 120, 36)
        for binding in KeyBindings.bindings(in: context) {
            let summary = try #require(binding.summary(in: context))
            let row = (0..<36).first { grid.row($0).contains(summary) }
            #expect(row != nil, "\(summary) missing from help")
            if let row { #expect(grid.row(row).contains(" \(binding.label) "), "\(binding.label) not beside its summary") }
        }
    }

    @Test func aKeyIsNeverBoundTwiceInTheSameModeAndContext() {
        for context in DashboardContext.allCases {
            for mode in DashboardMode.allCases {
                let keys = KeyBindings.bindings(in: context).filter { $0.modes.contains(mode) }.flatMap(\.keys)
                #expect(Set(keys).count == keys.count, "a duplicate key in \(mode), \(context)")
            }
        }
    }

    @Test func theVetoFlowAsksThenSendsTheOpUnderTheCursor() throws {
        let state = try Fixtures.runningState()
        var view = ViewState(context: .live)
        for key in [Key.down, .down, .right, .right] { #expect(view.handle(key, state: state) == nil) }
        #expect(view.cursor == OperationRef(cell: .normal, edge: 2, operation: .dilConv3x3))
        #expect(view.handle(.character("x"), state: state) == nil)
        #expect(view.mode == .confirmVeto)
        #expect(view.message?.contains("veto normal c-2→n1 dil_conv_3x3?") == true)
        #expect(view.handle(.character("y"), state: state) == .send(.veto(OperationRef(cell: .normal, edge: 2, operation: .dilConv3x3))))
        #expect(view.mode == .panels)

        #expect(view.handle(.character("x"), state: state) == nil)
        #expect(view.handle(.character("n"), state: state) == nil, "any other key cancels")
        #expect(view.mode == .panels && view.message == "veto cancelled")

        (view.cursorEdge, view.cursorOperation) = (4, .maxPool3x3)
        #expect(view.handle(.character("x"), state: state) == nil)
        #expect(view.mode == .panels, "an op already vetoed is not offered again")
        #expect(view.message?.contains("already gone") == true)
    }

    @Test func aRefusedVetoShowsItsReasonInTheStatusBar() throws {
        var state = try Fixtures.runningState()
        var view = ViewState(context: .live)
        let refusal = SearchEvent.veto(VetoEvent(operation: OperationRef(cell: .reduce, edge: 0, operation: .sepConv5x5), accepted: false,
                                                 reason: "the last real operation of an edge cannot be vetoed", epoch: 4, step: 6))
        state.apply(EventRecord(t: 76, event: refusal))
        view.note(refusal)
        let grid = FrameTests.frame(state, view, 200, 36)
        #expect(grid.row(35).contains("veto of reduce c-2→n0 sep_conv_5x5 refused: the last real operation of an edge cannot be vetoed"))
        let accepted = SearchEvent.veto(VetoEvent(operation: OperationRef(cell: .normal, edge: 7, operation: .avgPool3x3), accepted: true,
                                                  reason: nil, epoch: 4, step: 6))
        state.apply(EventRecord(t: 77, event: accepted))
        view.note(accepted)
        let after = FrameTests.frame(state, view, 120, 36)
        #expect(after.row(35).contains("vetoed normal n0→n2 avg_pool_3x3"))
        #expect(after.row(2 + 7).contains("✗"), "the heat map marks it at once, before the next alpha event")
    }

    /// The status bar tells of the checkpoints the user asked for (`s`, pause), not of the routine ones.
    @Test func onlyRequestedCheckpointsAreAnnounced() {
        for reason in CheckpointReason.allCases {
            var view = ViewState(context: .live)
            view.note(.checkpoint(CheckpointEvent(epoch: 3, step: 4, reason: reason, file: "checkpoint")))
            let announced = reason == .request || reason == .pause
            #expect(view.message == (announced ? "checkpoint written (checkpoint)" : nil), "\(reason)")
        }
    }

    @Test func pauseResumeAndQuitSendTheEngineCommands() throws {
        var state = try Fixtures.runningState()
        var view = ViewState(context: .live)
        #expect(view.handle(.character(" "), state: state) == .send(.pause))
        state.apply(EventRecord(t: 80, event: .paused(PositionEvent(epoch: 4, step: 5))))
        #expect(view.handle(.character(" "), state: state) == .send(.resume))
        #expect(view.handle(.character("s"), state: state) == .send(.checkpoint))
        #expect(view.handle(.character("q"), state: state) == .send(.stop), "a running search is checkpointed and stopped")
        #expect(view.isStopping)
        #expect(view.handle(.character("q"), state: state) == .quit, "a second q leaves at once")

        var finished = ViewState(context: .live)
        #expect(finished.handle(.character("q"), state: try Fixtures.finishedState()) == .quit)
        var replay = ViewState(context: .replay)
        #expect(replay.handle(.character(" "), state: state) == .replayTogglePause)
        #expect(replay.handle(.character("x"), state: state) == nil && replay.mode == .panels, "no veto in replay")
        #expect(replay.handle(.character("+"), state: state) == .replaySpeed(faster: true))
    }
}

/// The README's key table is the binding table's own Markdown.
@Test func theReadmeKeyTableIsTheBindingTable() throws {
    let readme = ThemeTests.themesDirectory.deletingLastPathComponent().appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    #expect(text.contains(KeyBindings.markdown()), "README.md's key table is stale; paste:\n\(KeyBindings.markdown())")
}
