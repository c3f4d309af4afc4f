/// The bottom line: run name, phase, epoch and step with a progress bar, elapsed and remaining time,
/// then the latest message or the most useful keys (from the key table).
enum StatusBar {
    static func draw(_ canvas: Canvas, in rect: Rect, state: DashboardState, view: ViewState, elapsed: Double) {
        let base = Style(foreground: canvas.theme[.statusForeground], background: canvas.theme[.statusBackground],
                         reverse: canvas.theme[.statusBackground] == nil)
        canvas.fill(rect, style: base)
        var x = rect.x
        func put(_ text: String, _ style: Style) { x = canvas.text(text, x: x, y: rect.y, style: style, clip: rect) }
        var strong = base
        strong.bold = true
        put(" \(state.runName) ", strong)
        var phaseStyle = base
        phaseStyle.bold = true
        phaseStyle.foreground = canvas.theme[phaseColor(state.phase)] ?? base.foreground
        put(" \(view.isStopping && state.isRunning ? "STOPPING" : state.phase.rawValue.uppercased()) ", phaseStyle)
        if state.epochs > 0 {
            put(" ep \(state.epoch)/\(state.epochs) step \(state.step)/\(state.stepsPerEpoch) ", base)
            // A message takes the bar's room on narrower terminals.
            if view.message == nil || rect.width >= 160 {
                put(canvas.glyphs.bar(state.progress, width: rect.width >= 110 ? 12 : 6).replacingSpaces(with: canvas.glyphs == .ascii ? "." : "░"), base)
            }
            put(" \(Int((state.progress * 100).rounded()))% ", base)
        }
        let remaining = rect.width >= 100 && state.progress > 0.001 && state.finished == nil ? "  ~\(Format.duration(elapsed * (1 - state.progress) / state.progress)) left" : ""
        put(" \(Format.duration(elapsed))\(remaining) ", base)
        if let replay = view.replay {
            put(" replay \(replay.isPaused ? "paused" : replay.speedLabel)\(replay.isFollowing ? " · following" : "") ", strong)
        }
        put(canvas.glyphs == .ascii ? "| " : "│ ", base)
        // Help and quit always show; the message and the other hints as room allows, in table order.
        let hinted = KeyBindings.bindings(in: view.context).filter { $0.hint != nil }
        let essential = hinted.filter { $0.action == .help || $0.action == .quit }
        var room = rect.maxX - x - essential.map { $0.label.count + ($0.hint?.count ?? 0) + 3 }.reduce(0, +)
        if let message = view.message, room > 0 {
            var note = base
            note.foreground = canvas.theme[message.contains("refused") || message.hasPrefix("error") ? .error : .cursor] ?? base.foreground
            note.bold = true
            let shown = message.count + 2 > room ? String(message.prefix(max(0, room - 3))) + "…" : message
            put(shown + "  ", note)
            room -= shown.count + 2
        }
        for binding in hinted {
            guard let hint = binding.hint else { continue }
            let width = binding.label.count + hint.count + 3
            if !essential.contains(where: { $0.action == binding.action }) {
                guard width <= room else { continue }
                room -= width
            }
            put(binding.label, strong)
            put(" \(hint)  ", base)
        }
    }

    static func phaseColor(_ phase: DashboardState.Phase) -> ThemeColor {
        switch phase {
        case .starting, .warmup, .paused: return .warning
        case .search, .finished: return .ok
        case .reduction: return .accent
        case .error: return .error
        }
    }
}
