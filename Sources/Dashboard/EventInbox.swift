import Foundation
import Search

/// Events from the engine thread, buffered under a lock until the UI thread takes them; the first event
/// into an empty inbox wakes the UI through the wake pipe.
package final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [EventRecord] = []
    private let wake: WakePipe

    package init(wake: WakePipe) { self.wake = wake }

    /// Called on the engine thread for every event.
    package func post(_ record: EventRecord) {
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
