import Foundation
import Search

/// The app loop. It sleeps in `poll` on the keyboard and the wake pipe (engine events, signals), so it
/// answers a key as soon as it is typed and uses no CPU while nothing happens; while a search runs it
/// also wakes once a second to move the clock.
package final class DashboardApp {
    private(set) var state: DashboardState
    private(set) var view: ViewState
    private let screen: Screen
    private let themes: ThemeCatalog
    private let wake: WakePipe
    private let inbox: EventInbox
    private let send: (SearchCommand) -> Void
    private let replay: ReplayPlayer?
    private var lastArrival: Double?
    private var isDone = false
    /// The terminal went away (hang-up): stop polling it.
    private var isInputClosed = false
    private var reportedMalformedLines = 0

    /// `send` takes the commands for the engine (nothing in replay). Events arrive through `inbox`
    /// (live) or `replay`.
    package init(runName: String, screen: Screen, themes: ThemeCatalog, glyphs: GlyphSet, wake: WakePipe, inbox: EventInbox,
                 replay: ReplayPlayer? = nil, send: @escaping (SearchCommand) -> Void) {
        state = DashboardState(runName: runName)
        view = ViewState(context: replay == nil ? .live : .replay)
        view.glyphs = glyphs
        view.themeCount = themes.themes.count
        view.replay = replay?.status
        (self.screen, self.themes, self.wake, self.inbox, self.replay, self.send) = (screen, themes, wake, inbox, replay, send)
    }

    /// Runs until the user quits (and, live, until a stopping search has finished). Returns the exit
    /// code: 1 when the search ended in an error, else 0.
    package func run() -> Int32 {
        render()
        while !isDone {
            var descriptors = [pollfd(fd: isInputClosed ? -1 : screen.inputDescriptor, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0)]
            let timeout = nextTimeout()
            let ready = poll(&descriptors, 2, timeout)
            var changed = ready == 0
            if descriptors[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                isInputClosed = true
                interrupt()
            }
            for byte in wake.drain() {
                switch WakeReason(rawValue: byte) {
                case .resize?: screen.updateSize()
                case .interrupt?: interrupt()
                case .events?, nil: break
                }
                changed = true
            }
            changed = takeEvents() || changed
            for key in screen.readKeys() {
                changed = true
                if let effect = view.handle(key, state: state) { perform(effect) }
            }
            if view.isStopping, state.finished != nil || state.errorMessage != nil { isDone = true }
            if changed, !isDone { render() }
        }
        return state.errorMessage == nil ? 0 : 1
    }

    /// Folds the events that arrived (from the engine, or due in replay); whether anything changed.
    private func takeEvents() -> Bool {
        var records = inbox.take()
        var changed = false
        if let replay {
            replay.readAvailable()
            records += replay.due(now: Self.now())
            if replay.malformedLines.count > reportedMalformedLines, let line = replay.malformedLines.last {
                reportedMalformedLines = replay.malformedLines.count
                view.message = "line \(line) of events.jsonl is not an event: skipped"
                changed = true
            }
            if replay.status != view.replay {
                view.replay = replay.status
                changed = true
            }
        }
        for record in records {
            state.apply(record)
            view.note(record.event)
        }
        if !records.isEmpty { lastArrival = Self.now() }
        return changed || !records.isEmpty
    }

    private func perform(_ effect: DashboardEffect) {
        switch effect {
        case .send(let command): send(command)
        case .quit: isDone = true
        case .replayTogglePause: replay?.togglePause(now: Self.now())
        case .replaySpeed(let faster): replay?.changeSpeed(faster: faster)
        }
        view.replay = replay?.status
    }

    /// SIGINT/SIGTERM/SIGHUP: stop like `q`; a second one while stopping leaves at once.
    private func interrupt() {
        if view.isStopping { isDone = true; return }
        if let effect = view.perform(.quit, state: state) { perform(effect) }
    }

    private func nextTimeout() -> Int32 {
        if let replay { return replay.timeout(now: Self.now()) }
        return state.isRunning && lastArrival != nil ? 1000 : -1
    }

    private func render() {
        let theme = themes.themes[min(view.themeIndex, themes.themes.count - 1)]
        var elapsed = state.elapsed
        if replay == nil, state.isRunning, let lastArrival { elapsed += Self.now() - lastArrival }
        screen.present(DashboardRenderer.render(state: state, view: view, theme: theme, size: screen.size, elapsed: elapsed))
    }

    /// Monotonic seconds.
    package static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
