/// A key press as the dashboard sees it (the ncurses backend translates raw codes into these).
public enum Key: Hashable, Sendable {
    case character(Character)
    case up, down, left, right, enter, escape, tab
}

/// What a key does.
enum DashboardAction: CaseIterable, Sendable {
    case togglePause, switchCell, moveUp, moveDown, moveLeft, moveRight, inspect, close
    case veto, confirmVeto, checkpoint, faster, slower, nextTheme, nextGlyphs, help, quit
}

/// Which screen the keys act on.
package enum DashboardMode: Sendable, CaseIterable {
    /// All panels.
    case panels
    /// The cell drawn as a graph (enter).
    case inspect
    /// The `?` overlay.
    case help
    /// `x` was pressed: `y` vetoes, anything else cancels.
    case confirmVeto
}

/// Whether the dashboard drives a running search or plays a recorded one.
package enum DashboardContext: Sendable, CaseIterable {
    case live, replay
}

/// One row of the key table: the keys, what the help overlay prints, and where the binding applies.
struct KeyBinding: Sendable {
    var keys: [Key]
    /// How help and the status bar name the keys ("space", "↑ k").
    var label: String
    var action: DashboardAction
    var modes: Set<DashboardMode>
    /// What the key does in a live search; nil when it does nothing there.
    var live: String?
    /// What the key does in replay; nil when it does nothing there.
    var replay: String?
    /// The word for the status bar's key hints; nil keeps the binding out of the status bar.
    var hint: String?

    func summary(in context: DashboardContext) -> String? { context == .live ? live : replay }
}

/// The single key table (htop/lazygit style): dispatch and the `?` overlay both read it, so help cannot lie.
enum KeyBindings {
    static let browsing: Set<DashboardMode> = [.panels, .inspect]

    static let table: [KeyBinding] = [
        KeyBinding(keys: [.character(" ")], label: "space", action: .togglePause, modes: browsing,
                   live: "pause / resume the search", replay: "pause / resume the playback", hint: "pause"),
        KeyBinding(keys: [.tab], label: "tab", action: .switchCell, modes: browsing,
                   live: "switch normal / reduction cell", replay: "switch normal / reduction cell", hint: "cell"),
        KeyBinding(keys: [.up, .character("k")], label: "↑ k", action: .moveUp, modes: [.panels],
                   live: "cursor to the previous edge", replay: "cursor to the previous edge", hint: nil),
        KeyBinding(keys: [.down, .character("j")], label: "↓ j", action: .moveDown, modes: [.panels],
                   live: "cursor to the next edge", replay: "cursor to the next edge", hint: nil),
        KeyBinding(keys: [.left, .character("h")], label: "← h", action: .moveLeft, modes: [.panels],
                   live: "cursor to the previous operation", replay: "cursor to the previous operation", hint: nil),
        KeyBinding(keys: [.right, .character("l")], label: "→ l", action: .moveRight, modes: [.panels],
                   live: "cursor to the next operation", replay: "cursor to the next operation", hint: nil),
        KeyBinding(keys: [.enter], label: "enter", action: .inspect, modes: [.panels],
                   live: "inspect the cell: its graph with α·β bars", replay: "inspect the cell: its graph with α·β bars",
                   hint: "inspect"),
        KeyBinding(keys: [.escape], label: "esc", action: .close, modes: [.inspect, .help, .confirmVeto],
                   live: "back to the panels / cancel", replay: "back to the panels", hint: nil),
        KeyBinding(keys: [.character("x")], label: "x", action: .veto, modes: [.panels],
                   live: "veto the operation under the cursor (then y)", replay: nil, hint: "veto"),
        KeyBinding(keys: [.character("y")], label: "y", action: .confirmVeto, modes: [.confirmVeto],
                   live: "confirm the veto", replay: nil, hint: nil),
        KeyBinding(keys: [.character("s")], label: "s", action: .checkpoint, modes: browsing,
                   live: "write a checkpoint now", replay: nil, hint: "save"),
        KeyBinding(keys: [.character("+"), .character("=")], label: "+", action: .faster, modes: browsing,
                   live: nil, replay: "play faster", hint: "faster"),
        KeyBinding(keys: [.character("-")], label: "-", action: .slower, modes: browsing,
                   live: nil, replay: "play slower", hint: "slower"),
        KeyBinding(keys: [.character("t")], label: "t", action: .nextTheme, modes: browsing,
                   live: "next colour theme", replay: "next colour theme", hint: "theme"),
        KeyBinding(keys: [.character("g")], label: "g", action: .nextGlyphs, modes: browsing,
                   live: "next glyph set: braille, block, ASCII", replay: "next glyph set: braille, block, ASCII", hint: nil),
        KeyBinding(keys: [.character("?")], label: "?", action: .help, modes: [.panels, .inspect, .help],
                   live: "this help (again to close)", replay: "this help (again to close)", hint: "help"),
        KeyBinding(keys: [.character("q")], label: "q", action: .quit, modes: Set(DashboardMode.allCases),
                   live: "quit: a running search is checkpointed and stopped", replay: "quit", hint: "quit"),
    ]

    /// The binding `key` triggers in `mode` and `context`, if any.
    static func binding(for key: Key, mode: DashboardMode, context: DashboardContext) -> KeyBinding? {
        table.first { $0.keys.contains(key) && $0.modes.contains(mode) && $0.summary(in: context) != nil }
    }

    /// The bindings that do something in `context`, in table order (what help lists).
    static func bindings(in context: DashboardContext) -> [KeyBinding] {
        table.filter { $0.summary(in: context) != nil }
    }

    /// The key table as Markdown (the README's copy, which a test keeps equal to this).
    static func markdown() -> String {
        var lines = ["| key | live search | replay |", "| --- | --- | --- |"]
        for binding in table {
            let keys = binding.keys.map(name).joined(separator: " ")
            lines.append("| \(keys) | \(binding.live ?? "–") | \(binding.replay ?? "–") |")
        }
        return lines.joined(separator: "\n")
    }

    private static func name(_ key: Key) -> String {
        switch key {
        case .character(" "): return "`space`"
        case .character(let character): return "`\(character)`"
        case .up: return "`↑`"
        case .down: return "`↓`"
        case .left: return "`←`"
        case .right: return "`→`"
        case .enter: return "`enter`"
        case .escape: return "`esc`"
        case .tab: return "`tab`"
        }
    }
}
