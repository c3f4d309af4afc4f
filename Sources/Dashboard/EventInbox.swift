import Foundation
import Search

/// Events from the engine thread, buffered under a lock until the UI thread takes them; the first event
/// into an empty inbox wakes the UI through the wake pipe.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [EventRecord] = []
    private let wake: WakePipe

    init(wake: WakePipe) { self.wake = wake }

    /// Called on the engine thread for every event.
    func post(_ record: EventRecord) {
        lock.lock()
        let wasEmpty = records.isEmpty
        records.append(record)
        lock.unlock()
        if wasEmpty { wake.wake(WakeReason.events.rawValue) }
    }

    /// Everything posted since the last call.
    func take() -> [EventRecord] {
        lock.lock()
        defer { lock.unlock() }
        let taken = records
        records.removeAll(keepingCapacity: true)
        return taken
    }
}

/// The byte written to the wake pipe, saying why.
enum WakeReason: UInt8 {
    case events = 0x65
    case interrupt = 0x69
    case resize = 0x77
}

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
