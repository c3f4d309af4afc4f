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

    /// CPU time and frames of the app loop over `seconds` of a running search that sends no events:
    /// the loop runs on its own thread with an in-memory screen, then `q` stops it. The clock starts at
    /// the frame after the events were folded.
    public func measureIdle(seconds: Double) throws -> IdleMeasurement {
        let screen = try MemoryScreen(size: GridSize(width: 200, height: 60))
        let wake = try WakePipe()
        let inbox = EventInbox(wake: wake)
        for record in records { inbox.post(record) }
        let finished = try SampleRun.finished(t: state.elapsed, epochs: 20, stopped: true)
        let app = DashboardApp(runName: "bench", screen: screen, themes: ThemeCatalog(themes: [theme]), glyphs: .braille, wake: wake,
                               inbox: inbox) { command in
            if command == .stop { inbox.post(finished) }
        }
        let probe = IdleProbe()
        screen.onPresent = { _ in
            probe.frames += 1
            if probe.frames == 2 { (probe.cpuStart, probe.wallStart) = (Self.threadCPUSeconds(), DashboardApp.now()) }
        }
        let thread = Thread {
            _ = app.run()
            (probe.cpuEnd, probe.wallEnd) = (Self.threadCPUSeconds(), DashboardApp.now())
            probe.done.signal()
        }
        thread.start()
        Thread.sleep(forTimeInterval: seconds)
        screen.type("q")
        probe.done.wait()
        return IdleMeasurement(seconds: probe.wallEnd - probe.wallStart, cpuSeconds: probe.cpuEnd - probe.cpuStart,
                               framesWhileIdle: max(0, probe.frames - 2))
    }

    /// Written on the loop's thread, read after `done`.
    private final class IdleProbe: @unchecked Sendable {
        var frames = 0
        var cpuStart = 0.0, wallStart = 0.0, cpuEnd = 0.0, wallEnd = 0.0
        let done = DispatchSemaphore(value: 0)
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// The app loop's CPU use while idle.
public struct IdleMeasurement: Sendable {
    /// Wall-clock seconds from the first full frame to the end of the loop.
    public let seconds: Double
    /// CPU seconds of the loop's thread over that time.
    public let cpuSeconds: Double
    /// Frames drawn during the idle stretch (the clock redraws once a second while a search runs).
    public let framesWhileIdle: Int

    public var cpuPercent: Double { seconds > 0 ? 100 * cpuSeconds / seconds : 0 }
}
