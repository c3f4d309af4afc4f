import Foundation
import Search

/// How the dashboard looks: `--theme`, `--glyphs`, the themes directory and `NO_COLOR`.
public struct DashboardOptions: Sendable {
    /// The theme to start with (a `NAME.theme` of `themesDirectory`); nil = `default`.
    public var theme: String?
    public var glyphs: GlyphSet
    public var themesDirectory: URL
    /// No colours at all (the `NO_COLOR` convention: set when the variable is non-empty).
    public var noColor: Bool

    public init(theme: String? = nil, glyphs: GlyphSet = .braille, themesDirectory: URL = DashboardOptions.defaultThemesDirectory(),
                noColor: Bool = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty) {
        self.theme = theme
        self.glyphs = glyphs
        self.themesDirectory = themesDirectory
        self.noColor = noColor
    }

    /// Refuses, before a search is created, what would stop the dashboard from starting: a missing or
    /// bad theme file, or no terminal.
    public func validate() throws {
        _ = try ThemeCatalog.load(directory: themesDirectory, preferred: theme)
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw DashboardError.notATerminal }
    }

    /// `./themes` when it exists, else the package's `themes/` beside a `.build/<config>/bnas` binary.
    public static func defaultThemesDirectory() -> URL {
        let local = URL(fileURLWithPath: "themes")
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let package = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("themes")
        return [local, package].first { FileManager.default.fileExists(atPath: $0.path) } ?? local
    }
}

/// The terminal dashboard's entry points.
public enum Dashboard {
    /// The replay speeds `+` and `-` step through (times as fast as recorded); nil = as fast as possible.
    public static let replaySpeeds: [Double?] = ReplayPlayer.speeds

    /// Plays `runs/NAME/events.jsonl` through the dashboard (speed keys, follows a run still being
    /// written). Returns the exit code; a missing or bad events file throws before the terminal is touched.
    public static func runReplay(run path: String, speed: Double?, options: DashboardOptions) throws -> Int32 {
        let folder = URL(fileURLWithPath: path)
        let player = try ReplayPlayer(url: folder.appendingPathComponent("events.jsonl"), speed: speed)
        return try runInTerminal(runName: folder.lastPathComponent, options: options, replay: player, start: { _ in }, send: { _ in })
    }

    /// Sets the terminal up, runs the app loop, and restores the terminal however the loop ends.
    static func runInTerminal(runName: String, options: DashboardOptions, replay: ReplayPlayer?,
                              start: (EventInbox) -> Void, send: @escaping (SearchCommand) -> Void) throws -> Int32 {
        let themes = try ThemeCatalog.load(directory: options.themesDirectory, preferred: options.theme)
        let wake = try WakePipe()
        let inbox = EventInbox(wake: wake)
        let screen = try NCursesScreen(noColor: options.noColor)
        SignalWake.install(wake)
        defer {
            SignalWake.uninstall()
            screen.close()
        }
        let app = DashboardApp(runName: runName, screen: screen, themes: themes, glyphs: options.glyphs, wake: wake, inbox: inbox,
                               replay: replay, send: send)
        start(inbox)
        return app.run()
    }
}
