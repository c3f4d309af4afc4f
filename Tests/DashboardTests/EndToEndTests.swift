import Foundation
import Testing

/// A tmux server of its own (`tmux -L`), a window of a given size, keys in and text out.
struct TmuxWindow {
    let socket = "bnas-e2e-\(UUID().uuidString.prefix(8))"
    let session = "bnas"

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Runs a tmux client command and returns what it printed. Spawned and reaped directly: the server
    /// a first command forks keeps every descriptor Foundation's Process would watch for the exit.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["/usr/bin/tmux", "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, argv, environ) == 0 else {
            throw CocoaError(.executableLoad)
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    func start(_ command: String, width: Int, height: Int) throws {
        try tmux(["new-session", "-d", "-s", session, "-x", String(width), "-y", String(height), command])
    }

    func capture() -> String { (try? tmux(["capture-pane", "-p", "-t", session])) ?? "" }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", session] + keys) }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", session, "-x", String(width), "-y", String(height)])
    }

    func kill() { _ = try? tmux(["kill-server"]) }

    /// Polls until `condition` holds (returns the screen then) or `seconds` pass (returns nil).
    func waitFor(_ seconds: Double, _ condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let screen = capture()
            if condition(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }
}

/// Whether this is the optimised test build (`make test`: swift test -c release -Xswiftc -enable-testing);
/// the debug build trains 50-100x slower, too slow for a search to show its steps within the test's time.
let isOptimizedBuild: Bool = {
    #if DEBUG
    return false
    #else
    return true
    #endif
}()

/// The real `bnas` in a real terminal (tmux): a short synthetic search in the dashboard, paused,
/// vetoed, resized, resumed and quit.
@Suite(.enabled(if: TmuxWindow.isAvailable, "needs tmux"), .enabled(if: isOptimizedBuild, "needs the release build: make test"))
struct EndToEndTests {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bnas")
    }

    static func lines(of file: URL, containing needle: String) -> [String] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.contains(needle) }
    }

    /// The status bar (last non-empty line of the screen).
    static func status(_ screen: String) -> String { screen.split(separator: "\n").last.map(String.init) ?? "" }

    @Test func aSearchInTheDashboardPausesVetoesResizesAndQuits() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let window = TmuxWindow()
        defer {
            window.kill()
            try? FileManager.default.removeItem(at: directory)
        }
        let search = [Self.executable.path, "search", "--dataset", "synthetic", "--layers", "3", "--channels", "4", "--partial-k", "2", "--epochs", "3",
                      "--warmup-epochs", "1", "--train-size", "512", "--batch-size", "32", "--run", "e2e"].joined(separator: " ")
        let script = "cd \(directory.path) && stty -a > stty-before.txt; \(search) 2> stderr.txt; echo $? > exit-code.txt; stty -a > stty-after.txt; sleep 120"
        try window.start("sh -c '\(script)'", width: 120, height: 36)
        let run = directory.appendingPathComponent("runs/e2e")
        let events = run.appendingPathComponent("events.jsonl")

        // The dashboard comes up and the engine runs; pause it.
        let running = window.waitFor(30) { $0.contains("α normal cell") && (Self.status($0).contains("WARMUP") || Self.status($0).contains("SEARCH")) }
        try #require(running != nil, "the dashboard never showed a running search:\n\(window.capture())")
        try window.send("Space")
        let paused = window.waitFor(15) { Self.status($0).contains("PAUSED") }
        try #require(paused != nil, "no PAUSED after space:\n\(window.capture())")
        let stepsAtPause = Self.lines(of: events, containing: "\"type\":\"step\"").count
        #expect(Self.lines(of: events, containing: "\"type\":\"paused\"").count == 1)

        // Paused: a veto of the op under the cursor (normal c-2→n0 sep_conv_3x3) is taken and shown.
        try window.send("x")
        #expect(window.waitFor(5) { $0.contains("y to confirm") } != nil)
        try window.send("y")
        let vetoed = window.waitFor(15) { $0.contains("vetoed normal c-2→n0 sep_conv_3x3") }
        #expect(vetoed != nil, "the accepted veto is not on screen:\n\(window.capture())")
        let vetoLines = Self.lines(of: events, containing: "\"type\":\"veto\"")
        #expect(vetoLines.count == 1 && vetoLines.first?.contains("\"accepted\":true") == true, "\(vetoLines)")
        #expect(vetoLines.first?.contains("sep_conv_3x3") == true && vetoLines.first?.contains("\"edge\":0") == true)
        let heatMapRow = vetoed?.split(separator: "\n").first { $0.hasPrefix("│c-2→n0") }
        #expect(heatMapRow?.contains("✗") == true, "the heat map marks the vetoed op:\n\(vetoed ?? "")")
        #expect(Self.lines(of: events, containing: "\"type\":\"step\"").count == stepsAtPause, "the engine did not advance while paused")

        // A resize lays the dashboard out again at once.
        try window.resize(width: 100, height: 30)
        let resized = window.waitFor(10) { screen in
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count >= 30 && lines[29].contains("PAUSED") && lines[0].hasSuffix("╮")
        }
        #expect(resized != nil, "no 100x30 layout after the resize:\n\(window.capture())")

        // Resumed: the steps move on into the search epochs; alpha and the curves update on screen.
        try window.send("Space")
        func curveSteps(_ screen: String) -> Int? {
            screen.split(separator: "\n").lazy.compactMap { line in line.range(of: #"(\d+) steps"#, options: .regularExpression).map { line[$0] } }
                .first.flatMap { Int($0.split(separator: " ")[0]) }
        }
        func alphaRow(_ screen: String) -> String? { screen.split(separator: "\n").first { $0.contains("c-1→n1") }.map(String.init) }
        let stepsOnScreen = curveSteps(window.capture()) ?? 0
        let searching = window.waitFor(40) { Self.status($0).contains("SEARCH") }
        try #require(searching != nil, "the search epochs never came:\n\(window.capture())")
        #expect(Self.lines(of: events, containing: "\"type\":\"step\"").count > stepsAtPause)
        let before = alphaRow(searching ?? "")
        #expect(window.waitFor(30) { alphaRow($0) != before } != nil, "alpha never changed on screen:\n\(window.capture())")
        let now = window.capture()
        #expect((curveSteps(now) ?? 0) > stepsOnScreen, "the curves did not move on from \(stepsOnScreen) steps:\n\(now)")

        // q: the running search is checkpointed and stopped; the terminal comes back as it was.
        try window.send("q")
        let exitFile = directory.appendingPathComponent("exit-code.txt")
        #expect(window.waitFor(40) { _ in FileManager.default.fileExists(atPath: exitFile.path) } != nil, "bnas did not exit")
        let code = (try? String(contentsOf: exitFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let stderr = (try? String(contentsOf: directory.appendingPathComponent("stderr.txt"), encoding: .utf8)) ?? ""
        #expect(code == "0", "exit code \(code ?? "none"), stderr: \(stderr)")
        let sttyBefore = try String(contentsOf: directory.appendingPathComponent("stty-before.txt"), encoding: .utf8)
        let sttyAfter = window.waitFor(5) { _ in FileManager.default.fileExists(atPath: directory.appendingPathComponent("stty-after.txt").path) }
            .flatMap { _ in try? String(contentsOf: directory.appendingPathComponent("stty-after.txt"), encoding: .utf8) }
        // The modes (not the first line: the window was resized) are as before the dashboard.
        func modes(_ stty: String?) -> [Substring] { Array((stty ?? "").split(separator: "\n").dropFirst()) }
        #expect(!modes(sttyAfter).isEmpty && modes(sttyAfter) == modes(sttyBefore), "the terminal modes were not restored")
        #expect(!window.capture().contains("α normal cell"), "the dashboard's screen is gone")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint").path), "no checkpoint written")
        #expect(Self.lines(of: events, containing: "\"type\":\"finished\"").count == 1)
    }
}
