import ArgumentParser
import Foundation
import Tensor

@main
struct BNAS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bnas",
        abstract: "Binarized neural architecture search: search, train and benchmark 1-bit networks.",
        subcommands: [SearchCommandLine.self, TrainCommand.self, EvalCommand.self, ExperimentCommand.self, ExportCommand.self, ReportCommand.self, BenchCommand.self, ReplayCommand.self],
        defaultSubcommand: SearchCommandLine.self)

    static func main() {
        BLASCoreSelection.applyIfNeeded()
        HeapTuning.apply()
        main(nil)
    }
}

/// Runs a command body, turning any thrown error into one line on stderr and a non-zero exit.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CleanExit {
        throw error
    } catch {
        FileHandle.standardError.write(Data("bnas: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Runs `body` with Ctrl-C (SIGINT) calling `onInterrupt` instead of killing the process, so a long
/// run can stop cleanly between two steps; the default handler is back afterwards.
func whileInterruptible<T>(_ onInterrupt: @escaping @Sendable () -> Void, _ body: () throws -> T) rethrows -> T {
    signal(SIGINT, SIG_IGN)
    let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    interrupt.setEventHandler(handler: onInterrupt)
    interrupt.resume()
    defer { interrupt.cancel(); signal(SIGINT, SIG_DFL) }
    return try body()
}
