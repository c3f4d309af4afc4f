import ArgumentParser
import Foundation
import Tensor

@main
struct BNAS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bnas",
        abstract: "Binarized neural architecture search: search, train and benchmark 1-bit networks.",
        subcommands: [SearchCommandLine.self, TrainCommand.self, EvalCommand.self, ExportCommand.self, BenchCommand.self, ReplayCommand.self],
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
