import ArgumentParser
import Foundation
import Network

/// `bnas export runs/NAME`: the searched genotype for other tools (DARTS/PC-DARTS PyTorch code,
/// Graphviz, JSON) on stdout; the published and random genotypes by name too.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print a run's genotype as DARTS Python (for the PyTorch training code), Graphviz DOT or JSON.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case darts, dot, json
    }

    @Argument(help: "The run folder (runs/NAME), a genotype file, a published genotype (darts-v2, pc-darts, bnas-xnor) or random:SEED.")
    var source: String

    @Option(help: "darts (a genotypes.py entry), dot (Graphviz) or json.")
    var format: Format = .darts

    @Option(help: "With --format dot: the cell to draw (normal or reduce; both when omitted).")
    var cell: CellTypeOption?

    @Option(help: "With --format darts: the Python name of the genotype.")
    var name: String = "BNAS"

    func run() throws {
        try reportingErrors {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
            let path = exists && isDirectory.boolValue ? (source as NSString).appendingPathComponent("genotype.json") : source
            // `resolve` also takes the names `bnas train --genotype` takes, so the experiments' rows can be read.
            let genotype: Genotype
            do {
                genotype = try Genotype.resolve(path)
            } catch GenotypeError.unknownGenotype, GenotypeError.fileNotFound {
                throw CommandError("\(path) not found: is \(source) a finished (or stopped) search run, "
                                  + "a published genotype (\(Genotype.builtinNames.joined(separator: ", "))) or random:SEED?")
            }
            switch format {
            case .darts: print(genotype.dartsFile(name: name), terminator: "")
            case .json: print(String(decoding: try genotype.jsonData(), as: UTF8.self))
            case .dot:
                let cells = cell.map { [$0.type] } ?? CellType.allCases
                print(cells.map { genotype.dot($0) }.joined(separator: "\n"), terminator: "")
            }
        }
    }
}

struct CellTypeOption: ExpressibleByArgument {
    let type: CellType
    init?(argument: String) {
        guard let type = CellType(rawValue: argument) else { return nil }
        self.type = type
    }
    static var allValueStrings: [String] { CellType.allCases.map(\.rawValue) }
}

/// A command's refusal, printed as one line ("bnas: ...") by `reportingErrors`.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
