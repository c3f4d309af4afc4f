import Foundation

/// SIGINT, SIGTERM and SIGHUP ask the dashboard to stop (the search is checkpointed, the terminal
/// restored); SIGWINCH asks it to re-lay out. The handlers only write a byte to the wake pipe.
enum SignalWake {
    nonisolated(unsafe) private static var descriptor: Int32 = -1

    static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func install(_ pipe: WakePipe) {
        descriptor = pipe.writeDescriptor
        for signalNumber in stopSignals { signal(signalNumber, handler) }
        signal(SIGWINCH, handler)
    }

    /// Puts the default handlers back.
    static func uninstall() {
        for signalNumber in stopSignals + [SIGWINCH] { signal(signalNumber, SIG_DFL) }
        descriptor = -1
    }

    private static let handler: @convention(c) (Int32) -> Void = { signalNumber in
        var byte = signalNumber == SIGWINCH ? WakeReason.resize.rawValue : WakeReason.interrupt.rawValue
        _ = write(SignalWake.descriptor, &byte, 1)
    }
}
