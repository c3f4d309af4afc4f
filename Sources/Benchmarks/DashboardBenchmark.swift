import Dashboard
import Foundation
import Search

/// What `bnas bench dashboard` measures: drawing a full frame from a late-run state, and the app loop's
/// CPU use while nothing happens.
public final class DashboardBenchmark {
    /// The screens a frame is drawn for.
    public enum View: String, CaseIterable, Sendable {
        case panels, inspect, help
    }

    private let state: DashboardState
    private let records: [EventRecord]
    private let theme: Theme

    /// A search 19.9 epochs into 20 of 156 steps (the default Fashion-MNIST search), from `SampleRun`.
    public init(themesDirectory: URL) throws {
        let all = try SampleRun.records(epochs: 20, warmupEpochs: 5, stepsPerEpoch: 156)
        records = Array(all.prefix(all.count - 20))
        state = DashboardState(runName: "bench", records: records)
        theme = (try? ThemeCatalog.load(directory: themesDirectory, preferred: nil).themes.first) ?? .terminalDefault
    }

    /// Step events folded into the late-run state (the curves' points).
    public var curvePoints: Int { state.curve.count }

    /// Draws one frame into a cell grid.
    @discardableResult
    public func renderFrame(size: GridSize, view kind: View, glyphs: GlyphSet = .braille) -> CellGrid {
        var view = ViewState(context: .live)
        view.glyphs = glyphs
        view.mode = kind == .panels ? .panels : (kind == .inspect ? .inspect : .help)
        return DashboardRenderer.render(state: state, view: view, theme: theme, size: size, elapsed: state.elapsed)
    }

    /// CPU time and frames of the app loop over `seconds` of a search that sends no events, running or
    /// `paused`: the loop runs on its own thread with an in-memory screen, then `q` stops it. The clock
    /// starts at the frame after the events were folded.
    public func measureIdle(seconds: Double, paused: Bool) throws -> IdleMeasurement {
        let (screen, app) = try liveApp(extra: paused ? [try SampleRun.paused(t: state.elapsed, epoch: state.epoch, step: state.step)] : [])
        let probe = IdleProbe()
        screen.onPresent = { _ in probe.lock.withLock { probe.frames += 1 } }
        let thread = Thread {
            probe.lock.withLock { probe.thread = pthread_self() }
            _ = app.run()
            probe.done.signal()
        }
        thread.start()
        // Measured from outside, through the loop thread's CPU clock, between the frame with the
        // folded events and the `q` that ends it.
        while probe.lock.withLock({ probe.frames < 2 }) { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.2)
        guard let loopThread = probe.lock.withLock({ probe.thread }) else { throw DashboardError.system("pthread_self", 0) }
        var clock = clockid_t()
        guard pthread_getcpuclockid(loopThread, &clock) == 0 else { throw DashboardError.system("pthread_getcpuclockid", errno) }
        let (cpuStart, wallStart, framesStart) = (Self.cpuSeconds(clock), DashboardApp.now(), probe.lock.withLock { probe.frames })
        Thread.sleep(forTimeInterval: seconds)
        let (cpuEnd, wallEnd, framesEnd) = (Self.cpuSeconds(clock), DashboardApp.now(), probe.lock.withLock { probe.frames })
        screen.type("q")
        probe.done.wait()
        return IdleMeasurement(seconds: wallEnd - wallStart, cpuSeconds: cpuEnd - cpuStart, framesWhileIdle: framesEnd - framesStart)
    }

    /// Seconds from typing a key to the frame that shows it, for `presses` presses of `g`, while
    /// `busyThreads` threads compute flat out (an engine's load), sorted. The loop runs as in `measureIdle`.
    public func measureKeyLatency(presses: Int, busyThreads: Int) throws -> [Double] {
        let (screen, app) = try liveApp(extra: [])
        let presented = DispatchSemaphore(value: 0)
        let probe = IdleProbe()
        screen.onPresent = { _ in
            probe.lock.withLock { probe.frames += 1 }
            presented.signal()
        }
        let stop = StopFlag()
        for _ in 0..<busyThreads {
            Thread {
                var x = 1.0
                while !stop.isSet { for _ in 0..<100_000 { x = x * 1.000001 + 1e-9 } }
                stop.sink = x
            }.start()
        }
        Thread { _ = app.run(); probe.done.signal() }.start()
        presented.wait()
        presented.wait()
        var latencies: [Double] = []
        for _ in 0..<presses {
            let start = DashboardApp.now()
            screen.type("g")
            presented.wait()
            latencies.append(DashboardApp.now() - start)
        }
        stop.set()
        screen.type("q")
        probe.done.wait()
        return latencies.sorted()
    }

    /// The app loop of a live search at 200x60 in memory, with the late-run events (and `extra`) waiting
    /// in its inbox; a `stop` is answered with `finished`, so `q` ends the loop.
    private func liveApp(extra: [EventRecord]) throws -> (MemoryScreen, DashboardApp) {
        let screen = try MemoryScreen(size: GridSize(width: 200, height: 60))
        let wake = try WakePipe()
        let inbox = EventInbox(wake: wake)
        for record in records + extra { inbox.post(record) }
        let finished = try SampleRun.finished(t: state.elapsed, epochs: 20, stopped: true)
        let app = DashboardApp(runName: "bench", screen: screen, themes: ThemeCatalog(themes: [theme]), glyphs: .braille, wake: wake,
                               inbox: inbox) { command in
            if command == .stop { inbox.post(finished) }
        }
        return (screen, app)
    }

    /// Tells the busy threads to end.
    private final class StopFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        /// Where a busy thread leaves its result, so the loop is not optimised away.
        var sink = 0.0
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }

    /// Shared between the loop's thread and the measuring one.
    private final class IdleProbe: @unchecked Sendable {
        let lock = NSLock()
        var frames = 0
        var thread: pthread_t?
        let done = DispatchSemaphore(value: 0)
    }

    static func cpuSeconds(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// The app loop's CPU use while idle.
public struct IdleMeasurement: Sendable {
    /// Wall-clock seconds watched.
    public let seconds: Double
    /// CPU seconds of the loop's thread over that time.
    public let cpuSeconds: Double
    /// Frames drawn during the idle stretch (the clock redraws once a second while a search runs).
    public let framesWhileIdle: Int

    public var cpuPercent: Double { seconds > 0 ? 100 * cpuSeconds / seconds : 0 }
}
