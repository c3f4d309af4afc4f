import Foundation
import Search

extension Dashboard {
    /// Runs `session` in the dashboard: starts its engine thread, shows its events as they come and sends
    /// the keys' commands. Returns when the user quits; a running search is stopped first (checkpoint,
    /// genotype, `finished`) and the terminal restored. The exit code is 0, or 1 when the search failed.
    /// Errors before the search starts (a bad theme file, no terminal) are thrown with the search not started.
    public static func runLive(session: SearchSession, options: DashboardOptions) throws -> Int32 {
        var started = false
        let code = try runInTerminal(runName: session.folder.name, options: options, replay: nil, start: { inbox in
            started = true
            session.start { inbox.post($0) }
        }, send: session.send)
        guard started else { return code }
        if !session.isFinished {
            FileHandle.standardError.write(Data("bnas: stopping the search (checkpoint, genotype)…\n".utf8))
            session.send(.stop)
        }
        if case .failed(let message) = session.waitUntilFinished() {
            FileHandle.standardError.write(Data("bnas: \(message)\n".utf8))
            return 1
        }
        return code
    }
}
