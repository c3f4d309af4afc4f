import ArgumentParser
import Benchmarks
import Dashboard
import Foundation
import Tensor

/// `bnas bench dashboard`: the time to draw a full frame from a late-run state (target: 5 ms at 200x60),
/// and the app loop's CPU use while nothing happens (target: near zero, no busy loop).
struct DashboardBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard", abstract: "Dashboard frame time and idle CPU use.")

    @OptionGroup var options: BenchOptions

    @Option(help: "Seconds the idle app loop is watched.")
    var idleSeconds: Double = 3

    struct Row: Encodable {
        var frame: String
        var size: String
        var glyphs: String
        var medianMilliseconds: Double
    }

    struct Report: Encodable {
        var curvePoints: Int
        var frames: [Row]
        var idle: [Idle]
        var keyToFrameMedianMilliseconds: Double
        var keyToFrameMaximumMilliseconds: Double
    }

    struct Idle: Encodable {
        var search: String
        var seconds: Double
        var cpuSeconds: Double
        var cpuPercent: Double
        var frames: Int
    }

    func validate() throws {
        guard idleSeconds > 0 else { throw ValidationError("--idle-seconds must be positive") }
    }

    func run() throws {
        try reportingErrors {
            let bench = try DashboardBenchmark(themesDirectory: DashboardOptions.defaultThemesDirectory())
            var rows: [Row] = []
            let cases: [(DashboardBenchmark.View, GridSize, GlyphSet)] = [
                (.panels, GridSize(width: 200, height: 60), .braille), (.panels, GridSize(width: 200, height: 60), .block),
                (.inspect, GridSize(width: 200, height: 60), .braille), (.help, GridSize(width: 200, height: 60), .braille),
                (.panels, GridSize(width: 120, height: 36), .braille), (.panels, GridSize(width: 80, height: 24), .braille),
            ]
            for (view, size, glyphs) in cases {
                let seconds = Benchmark.median(warmup: 5, runs: max(options.runs, 25), minimumSeconds: 0.3) {
                    bench.renderFrame(size: size, view: view, glyphs: glyphs)
                }
                rows.append(Row(frame: view.rawValue, size: size.description, glyphs: glyphs.rawValue, medianMilliseconds: seconds * 1000))
            }
            let idle = try [false, true].map { paused in
                let measured = try bench.measureIdle(seconds: idleSeconds, paused: paused)
                return Idle(search: paused ? "paused" : "running", seconds: measured.seconds, cpuSeconds: measured.cpuSeconds,
                            cpuPercent: measured.cpuPercent, frames: measured.framesWhileIdle)
            }
            let latencies = try bench.measureKeyLatency(presses: 50, busyThreads: ProcessInfo.processInfo.activeProcessorCount)
            let report = Report(curvePoints: bench.curvePoints, frames: rows, idle: idle,
                                keyToFrameMedianMilliseconds: 1000 * latencies[latencies.count / 2],
                                keyToFrameMaximumMilliseconds: 1000 * (latencies.last ?? 0))
            if options.json { try printJSON(report); return }
            var table = BenchTable(columns: ["frame", "size", "glyphs", "median ms"])
            for row in rows { table.rows.append([row.frame, row.size, row.glyphs, String(format: "%.2f", row.medianMilliseconds)]) }
            print(table.render())
            print("late-run state: \(report.curvePoints) steps folded; median of at least \(max(options.runs, 25)) frames after 5 warm-up frames")
            var idleTable = BenchTable(columns: ["idle app loop, no events", "seconds", "CPU s", "CPU %", "frames"])
            for row in idle {
                idleTable.rows.append(["search \(row.search)", String(format: "%.1f", row.seconds), String(format: "%.4f", row.cpuSeconds),
                                       String(format: "%.3f", row.cpuPercent), String(row.frames)])
            }
            print()
            print(idleTable.render())
            print("a running search's clock redraws once a second; a paused one draws nothing until a key or an event")
            print(String(format: "\nkey to frame (50 presses of g, 200x60, %d threads computing meanwhile): median %.2f ms, max %.2f ms",
                         ProcessInfo.processInfo.activeProcessorCount, report.keyToFrameMedianMilliseconds, report.keyToFrameMaximumMilliseconds))
        }
    }
}
