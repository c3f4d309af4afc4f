import Foundation
@testable import Search
import Testing
@testable import Dashboard

/// Replay reads events.jsonl as a search writes it: paced by the recorded times, following new lines,
/// refusing a corrupt log with the line number.
struct ReplayTests {
    static func temporaryLog(_ text: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("events.jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func fixtureLines() throws -> [String] {
        try String(contentsOf: Fixtures.sampleRun.appendingPathComponent("events.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    @Test func atMaximumSpeedEverythingIsDueAtOnce() throws {
        let player = try ReplayPlayer(url: Fixtures.sampleRun.appendingPathComponent("events.jsonl"), speed: nil)
        #expect(player.due(now: 100) == (try Fixtures.records()))
        #expect(player.timeout(now: 100) == -1, "a finished run is not polled again")
        #expect(!player.isFollowing)
    }

    @Test func eventsComeDueByTheirRecordedTimesTimesTheSpeed() throws {
        let player = try ReplayPlayer(url: Fixtures.sampleRun.appendingPathComponent("events.jsonl"), speed: 2)
        let first = player.due(now: 1000)
        #expect(first.count == 1, "run_started at t = 0")
        #expect(player.due(now: 1000.2).count == 0, "the first step is at t = 0.5: 0.25 s away at 2x")
        #expect(player.due(now: 1000.26).map(\.event.type) == ["step"])
        player.togglePause(now: 1000.3)
        #expect(player.due(now: 1010).isEmpty && player.timeout(now: 1010) == -1, "paused: nothing comes, nothing wakes")
        player.togglePause(now: 1010)
        player.changeSpeed(faster: true)
        #expect(player.speedLabel == "4x")
        #expect(player.due(now: 1010.125).map(\.event.type) == ["step"], "t = 1.0 after 0.125 s at 4x")
    }

    @Test func itFollowsALogStillBeingWritten() throws {
        let lines = try Self.fixtureLines()
        let half = lines[20]
        let url = try Self.temporaryLog(lines[0..<20].joined(separator: "\n") + "\n" + half.prefix(30))
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let player = try ReplayPlayer(url: url, speed: nil)
        #expect(player.due(now: 0).count == 20, "the unfinished line waits")
        #expect(player.isFollowing && player.timeout(now: 0) == 250)
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        let remainder = String(half.dropFirst(30)) + "\n" + lines[21...].joined(separator: "\n") + "\n"
        try handle.write(contentsOf: Data(remainder.utf8))
        try handle.close()
        player.readAvailable()
        let rest = player.due(now: 1)
        #expect(rest.count == lines.count - 20)
        #expect(rest.last?.event.type == "finished")
        #expect(!player.isFollowing)
        #expect(player.malformedLines.isEmpty)
    }

    @Test func aResumedRunsRestartedClockKeepsPlayingForward() throws {
        let lines = try Self.fixtureLines()
        let resumed = lines[0..<12] + lines[0..<12]
        let url = try Self.temporaryLog(resumed.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let player = try ReplayPlayer(url: url, speed: 1)
        var played = player.due(now: 0).count
        var now = 0.0
        while played < 24, now < 100 {
            now += 0.5
            played += player.due(now: now).count
        }
        #expect(played == 24)
        #expect(now < 20, "the second start does not wait for the first run's time again")
    }

    @Test func aCorruptLogIsRefusedWithItsLine() throws {
        var lines = try Self.fixtureLines()
        lines[6] = "{\"type\": \"step\", \"t\": 3"
        let url = try Self.temporaryLog(lines.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect {
            try ReplayPlayer(url: url, speed: nil)
        } throws: { error in
            guard case EventLogError.malformed(_, let line, _)? = error as? EventLogError else { return false }
            return line == 7
        }
        let missing = url.deletingLastPathComponent().appendingPathComponent("none/events.jsonl")
        #expect(throws: EventLogError.self) { try ReplayPlayer(url: missing, speed: nil) }
    }
}
