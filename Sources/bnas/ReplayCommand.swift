import ArgumentParser
import Dashboard
import Foundation

/// `bnas replay runs/NAME`: a recorded (or still running) search through the same dashboard.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play a run's events.jsonl through the dashboard; follows a run still being written.")

    @Argument(help: "The run folder, e.g. runs/NAME.")
    var folder: String

    @Option(help: "Playback speed: 1, 2, 4, ... 256 times as fast as recorded, or max (+ and - change it at run time).")
    var speed: String = "16"

    @OptionGroup var dashboard: DashboardArguments

    func validate() throws {
        let value = Double(speed)
        guard speed == "max" || (value != nil && Dashboard.replaySpeeds.contains(value)) else {
            let allowed = Dashboard.replaySpeeds.map { $0.map { String(Int($0)) } ?? "max" }.joined(separator: ", ")
            throw ValidationError("--speed must be one of \(allowed), got '\(speed)'")
        }
    }

    func run() throws {
        try reportingErrors {
            let code = try Dashboard.runReplay(run: folder, speed: speed == "max" ? nil : Double(speed), options: dashboard.options)
            if code != 0 { throw ExitCode(code) }
        }
    }
}
