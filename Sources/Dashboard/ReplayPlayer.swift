import Foundation
import Search

/// Plays a run's events.jsonl at a chosen speed on a virtual clock, and follows the file while a
/// search is still writing it (new complete lines are picked up until `finished` or `error`).
package final class ReplayPlayer {
    /// Playback speeds (`+`/`-`); nil plays everything read at once.
    static let speeds: [Double?] = [1, 2, 4, 8, 16, 32, 64, 128, 256, nil]

    /// The log's file while one is followed (closed with the player).
    private let handle: FileHandle?
    /// The bytes appended to the log since the last call.
    private let readAppended: () -> Data
    private var partialLine = Data()
    private var linesRead = 0
    private var pending: [EventRecord] = []
    private var pendingTimes: [Double] = []
    private var lastRawTime = 0.0
    private var lastTime = 0.0
    private var speedIndex: Int
    private(set) var isPaused = false
    private var playhead = 0.0
    private var lastTick: Double?
    private var hasEnded = false
    private let decoder = SearchJSON.decoder()

    /// Lines that appeared after the start and were not events (skipped, reported in the status bar).
    private(set) var malformedLines: [Int] = []

    /// Opens the log and reads what is there. What is there already must be a valid log (as
    /// `EventLog.read` checks it: a bad line is an error naming it); an empty file is waited on.
    convenience init(url: URL, speed: Double?) throws {
        try Self.requireValidOrEmpty { try EventLog.read(url) }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw EventLogError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        self.init(speed: speed, handle: handle) { handle.readDataToEndOfFile() }
    }

    /// Plays a whole log held in memory, refused as `init(url:speed:)` refuses a file; `path` names it in errors.
    convenience init(log: Data, path: String, speed: Double?) throws {
        try Self.requireValidOrEmpty { try EventLog.parse(log, path: path) }
        var unread = log
        self.init(speed: speed, handle: nil) {
            defer { unread = Data() }
            return unread
        }
    }

    private init(speed: Double?, handle: FileHandle?, readAppended: @escaping () -> Data) {
        self.handle = handle
        self.readAppended = readAppended
        speedIndex = Self.speeds.firstIndex { $0 == speed } ?? Self.speeds.firstIndex { $0 == 16 } ?? 0
        readAvailable()
    }

    /// A log with no event yet is a search that has not written its first one: it is followed.
    private static func requireValidOrEmpty(_ read: () throws -> [EventRecord]) throws {
        do { _ = try read() } catch EventLogError.empty {}
    }

    deinit { try? handle?.close() }

    var speedLabel: String { Self.speeds[speedIndex].map { "\(Int($0))x" } ?? "max" }

    /// Whether playback has caught up with a file that may still grow.
    var isFollowing: Bool { pending.isEmpty && !hasEnded }

    var status: ReplayStatus { ReplayStatus(speedLabel: speedLabel, isPaused: isPaused, isFollowing: isFollowing) }

    func togglePause(now: Double) {
        isPaused.toggle()
        lastTick = now
    }

    func changeSpeed(faster: Bool) {
        speedIndex = min(Self.speeds.count - 1, max(0, speedIndex + (faster ? 1 : -1)))
    }

    /// Reads the complete lines appended since the last read.
    func readAvailable() {
        let data = readAppended()
        guard !data.isEmpty else { return }
        partialLine.append(data)
        var lines = partialLine.split(separator: 0x0A, omittingEmptySubsequences: false)
        partialLine = Data(lines.removeLast())
        for line in lines {
            linesRead += 1
            guard !line.isEmpty else { continue }
            guard let record = try? decoder.decode(EventRecord.self, from: Data(line)) else {
                malformedLines.append(linesRead)
                continue
            }
            // A resumed search starts its clock again: keep event times increasing.
            let time = record.t >= lastRawTime ? lastTime + (record.t - lastRawTime) : lastTime
            (lastRawTime, lastTime) = (record.t, time)
            pending.append(record)
            pendingTimes.append(time)
            switch record.event {
            case .finished, .error: hasEnded = true
            default: break
            }
        }
    }

    /// The events due at monotonic time `now` (seconds), advancing the virtual clock by the speed.
    func due(now: Double) -> [EventRecord] {
        defer { lastTick = now }
        guard !isPaused, !pending.isEmpty else { return [] }
        guard let speed = Self.speeds[speedIndex] else {
            let all = pending
            playhead = pendingTimes.last ?? playhead
            pending.removeAll()
            pendingTimes.removeAll()
            return all
        }
        if let lastTick { playhead += (now - lastTick) * speed } else { playhead = pendingTimes.first ?? 0 }
        // Catch up over long gaps (a reduction step, a pause) instead of showing a frozen screen.
        if let next = pendingTimes.first, next - playhead > 2 { playhead = next - 2 }
        let count = pendingTimes.prefix { $0 <= playhead }.count
        let taken = Array(pending.prefix(count))
        pending.removeFirst(count)
        pendingTimes.removeFirst(count)
        return taken
    }

    /// Milliseconds until something happens: the next due event, or the next look at a growing file.
    func timeout(now: Double) -> Int32 {
        if isPaused { return -1 }
        guard let next = pendingTimes.first else { return hasEnded ? -1 : 250 }
        guard let speed = Self.speeds[speedIndex] else { return 0 }
        let wait = max(0, min(next - playhead, 2)) / speed
        return Int32(min(250, wait * 1000).rounded(.up))
    }
}
