import Network
import Search

/// What a key asks of the app loop beyond the view itself.
enum DashboardEffect: Equatable, Sendable {
    case send(SearchCommand)
    case quit
    case replayTogglePause
    case replaySpeed(faster: Bool)
}

/// How replay is playing, for the status bar.
struct ReplayStatus: Equatable, Sendable {
    var speedLabel: String
    var isPaused: Bool
    var isFollowing: Bool
}

/// The dashboard's own state (cursor, mode, theme, glyphs, message), changed only by keys and by
/// notable events; together with `DashboardState` it is all a frame is drawn from.
package struct ViewState: Equatable, Sendable {
    var context: DashboardContext
    package var mode: DashboardMode = .panels
    var cell: CellType = .normal
    var cursorEdge = 0
    var cursorOperation: OperationKind = .sepConv3x3
    package var glyphs: GlyphSet = .braille
    var themeIndex = 0
    var themeCount = 1
    /// A one-line note for the status bar (veto result, checkpoint written, ...).
    var message: String?
    /// Set once `q` was pressed while the search runs: waiting for the engine to stop.
    var isStopping = false
    var replay: ReplayStatus?

    package init(context: DashboardContext) { self.context = context }

    var cursor: OperationRef { OperationRef(cell: cell, edge: cursorEdge, operation: cursorOperation) }

    /// Looks the key up in the binding table and performs it.
    mutating func handle(_ key: Key, state: DashboardState) -> DashboardEffect? {
        guard let binding = KeyBindings.binding(for: key, mode: mode, context: context) else {
            if mode == .confirmVeto {
                mode = .panels
                message = "veto cancelled"
            }
            return nil
        }
        return perform(binding.action, state: state)
    }

    /// Does one action of the key table.
    mutating func perform(_ action: DashboardAction, state: DashboardState) -> DashboardEffect? {
        let operations = OperationKind.allCases
        switch action {
        case .togglePause:
            if context == .replay { return .replayTogglePause }
            guard state.isRunning || state.phase == .paused else { return nil }
            return .send(state.phase == .paused ? .resume : .pause)
        case .switchCell:
            cell = cell == .normal ? .reduce : .normal
        case .moveUp:
            cursorEdge = (cursorEdge + CellTopology.edgeCount - 1) % CellTopology.edgeCount
        case .moveDown:
            cursorEdge = (cursorEdge + 1) % CellTopology.edgeCount
        case .moveLeft:
            cursorOperation = operations[(cursorOperation.index + operations.count - 1) % operations.count]
        case .moveRight:
            cursorOperation = operations[(cursorOperation.index + 1) % operations.count]
        case .inspect:
            mode = .inspect
        case .close:
            if mode == .confirmVeto { message = "veto cancelled" }
            mode = .panels
        case .veto:
            guard state.finished == nil, state.errorMessage == nil else {
                message = "the search has ended: nothing to veto"
                return nil
            }
            guard !state.isRemoved(cursor) else {
                message = "\(describe(cursor)) is already gone"
                return nil
            }
            mode = .confirmVeto
            message = "veto \(describe(cursor))? y to confirm, any other key cancels"
        case .confirmVeto:
            mode = .panels
            message = "veto of \(describe(cursor)) sent"
            return .send(.veto(cursor))
        case .checkpoint:
            message = "checkpoint requested"
            return .send(.checkpoint)
        case .faster:
            return .replaySpeed(faster: true)
        case .slower:
            return .replaySpeed(faster: false)
        case .nextTheme:
            themeIndex = (themeIndex + 1) % max(1, themeCount)
        case .nextGlyphs:
            glyphs = glyphs.next
        case .help:
            mode = mode == .help ? .panels : .help
        case .quit:
            if context == .live, !isStopping, state.isRunning || state.phase == .paused {
                isStopping = true
                message = "stopping: writing a checkpoint…"
                return .send(.stop)
            }
            return .quit
        }
        return nil
    }

    /// Notes what the user should see of an event (the answer to a veto, a written checkpoint).
    mutating func note(_ event: SearchEvent) {
        switch event {
        case .veto(let veto):
            message = veto.accepted
                ? "vetoed \(describe(veto.operation))"
                : "veto of \(describe(veto.operation)) refused: \(veto.reason ?? "no reason given")"
        case .checkpoint(let checkpoint) where checkpoint.reason == .request || checkpoint.reason == .pause:
            message = "checkpoint written (\(checkpoint.file))"
        case .error(let error):
            message = "error: \(error.message)"
        default:
            break
        }
    }

    func describe(_ op: OperationRef) -> String {
        "\(op.cell.rawValue) \(CellTopology.label(of: op.edge, arrow: glyphs.arrow)) \(op.operation.rawValue)"
    }
}
