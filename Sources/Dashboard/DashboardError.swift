import Foundation

/// Failures of the dashboard itself, as one line each.
public enum DashboardError: Error, CustomStringConvertible, Equatable {
    case notATerminal
    case terminalSetupFailed(String)
    case system(String, Int32)

    public var description: String {
        switch self {
        case .notATerminal: return "the dashboard needs a terminal on stdin and stdout (bnas search --headless runs without one)"
        case .terminalSetupFailed(let reason): return "cannot set up the terminal: \(reason)"
        case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
