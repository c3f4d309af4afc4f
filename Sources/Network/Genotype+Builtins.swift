import Foundation
import Tensor

// Published genotypes (docs/algorithms.md#search-space), random cells, and `resolve`, which turns a command-line spec into a genotype.
extension Genotype {
    /// DARTS (second order), `DARTS_V2` in the DARTS repository.
    public static let dartsV2 = Genotype(
        normal: cell((.sepConv3x3, 0), (.sepConv3x3, 1), (.sepConv3x3, 0), (.sepConv3x3, 1),
                     (.sepConv3x3, 1), (.skipConnect, 0), (.skipConnect, 0), (.dilConv3x3, 2)),
        reduce: cell((.maxPool3x3, 0), (.maxPool3x3, 1), (.skipConnect, 2), (.maxPool3x3, 1),
                     (.maxPool3x3, 0), (.skipConnect, 2), (.skipConnect, 2), (.maxPool3x3, 1)))

    /// PC-DARTS searched on CIFAR-10, `PC_DARTS_cifar` in the PC-DARTS repository.
    public static let pcDarts = Genotype(
        normal: cell((.sepConv3x3, 1), (.skipConnect, 0), (.sepConv3x3, 0), (.dilConv3x3, 1),
                     (.sepConv5x5, 0), (.sepConv3x3, 1), (.avgPool3x3, 0), (.dilConv3x3, 1)),
        reduce: cell((.sepConv5x5, 1), (.maxPool3x3, 0), (.sepConv5x5, 1), (.sepConv5x5, 2),
                     (.sepConv3x3, 0), (.sepConv3x3, 3), (.sepConv3x3, 1), (.sepConv3x3, 2)))

    /// BNAS with XNOR binarization (`BNAS_XNOR_1`, Chen et al. 2020).
    public static let bnasXNOR = Genotype(
        normal: cell((.skipConnect, 1), (.dilConv3x3, 0), (.skipConnect, 0), (.dilConv5x5, 2),
                     (.maxPool3x3, 1), (.maxPool3x3, 0), (.dilConv5x5, 4), (.sepConv3x3, 2)),
        reduce: cell((.sepConv3x3, 1), (.dilConv5x5, 0), (.skipConnect, 1), (.maxPool3x3, 2),
                     (.dilConv5x5, 0), (.avgPool3x3, 3), (.skipConnect, 2), (.dilConv3x3, 4)))

    /// The names `resolve(_:)` accepts for the published genotypes, in the order help texts list them.
    public static let builtinNames = ["darts-v2", "pc-darts", "bnas-xnor"]

    /// The published genotype called `name` (one of `builtinNames`; case and `_`/`-` are ignored, so `DARTS_V2`
    /// works too), or nil.
    public static func builtin(named name: String) -> Genotype? {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "darts-v2": return dartsV2
        case "pc-darts": return pcDarts
        case "bnas-xnor": return bnasXNOR
        default: return nil
        }
    }

    /// A random valid cell pair from the DARTS space, the same for the same seed: for each intermediate node j,
    /// two distinct inputs among 0..<(j + 2), each with a uniformly chosen operation other than `none`.
    public static func random(seed: UInt64) -> Genotype {
        var rng = SeededRNG(seed: seed)
        let operations = OperationKind.allCases.filter { $0 != .none }
        func randomCell() -> [GenotypeEdge] {
            var edges: [GenotypeEdge] = []
            for node in 0..<intermediateNodeCount {
                let first = rng.nextInt(below: node + 2)
                let firstOperation = operations[rng.nextInt(below: operations.count)]
                let draw = rng.nextInt(below: node + 1)  // one of the node + 1 inputs other than `first`
                let second = draw >= first ? draw + 1 : draw
                let secondOperation = operations[rng.nextInt(below: operations.count)]
                edges.append(GenotypeEdge(operation: firstOperation, input: first))
                edges.append(GenotypeEdge(operation: secondOperation, input: second))
            }
            return edges
        }
        let normal = randomCell()
        return Genotype(normal: normal, reduce: randomCell())
    }

    /// Turns a command-line spec into a validated genotype. The spec is one of:
    /// - a built-in name (`builtinNames`, e.g. `darts-v2`);
    /// - `random:SEED` with a non-negative integer seed;
    /// - the path of a genotype file: JSON (`.json`, or any file starting with `{`) or DARTS text (e.g. a
    ///   `genotypes.py`); `PATH:NAME` picks the genotype assigned to NAME in a DARTS file that holds several.
    /// Errors from a file are wrapped in `GenotypeError.inFile`, so their message starts with the path.
    public static func resolve(_ spec: String) throws -> Genotype {
        if let genotype = builtin(named: spec) { return genotype }
        if spec.hasPrefix("random:") {
            guard let seed = UInt64(spec.dropFirst("random:".count)) else {
                throw GenotypeError.invalidRandomSeed(spec: spec)
            }
            return random(seed: seed)
        }
        if FileManager.default.fileExists(atPath: spec) { return try load(path: spec, name: nil) }
        if let colon = spec.lastIndex(of: ":") {
            let path = String(spec[..<colon])
            let name = String(spec[spec.index(after: colon)...])
            if !name.isEmpty, FileManager.default.fileExists(atPath: path) { return try load(path: path, name: name) }
        }
        let looksLikePath = spec.contains("/") || spec.hasSuffix(".json") || spec.hasSuffix(".py")
        throw looksLikePath ? GenotypeError.fileNotFound(path: spec) : GenotypeError.unknownGenotype(spec: spec)
    }

    /// Reads the genotype file at `path` (see `resolve(_:)`); `name` selects a genotype in DARTS text.
    private static func load(path: String, name: String?) throws -> Genotype {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GenotypeError.fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw GenotypeError.unreadable(path: path, reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GenotypeError.unreadable(path: path, reason: "permission denied or I/O error")
        }
        return try decode(file: data, path: path, name: name)
    }

    /// A genotype file's contents read as `load` reads the file at `path` (whose name only decides JSON
    /// by its `.json` ending and appears in errors).
    static func decode(file data: Data, path: String, name: String?) throws -> Genotype {
        guard let text = String(data: data, encoding: .utf8) else {
            throw GenotypeError.unreadable(path: path, reason: "not UTF-8 text")
        }
        do {
            let isJSON = path.lowercased().hasSuffix(".json") || text.drop(while: \.isWhitespace).first == "{"
            guard isJSON else { return try Genotype(dartsText: text, name: name) }
            if let name { throw GenotypeError.genotypeNotFound(name: name, available: []) }  // JSON holds one, unnamed
            return try Genotype(jsonData: data)
        } catch let error as GenotypeError {
            throw GenotypeError.inFile(path: path, error)
        }
    }

    private static func cell(_ pairs: (OperationKind, Int)...) -> [GenotypeEdge] {
        pairs.map { GenotypeEdge(operation: $0.0, input: $0.1) }
    }
}
