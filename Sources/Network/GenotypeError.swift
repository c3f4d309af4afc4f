/// Everything that can go wrong while checking, reading or resolving a genotype. Each case renders as one line
/// that names the problem (and the file, when it came from one), so the command line can print it as the reason
/// for failing.
public enum GenotypeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A cell does not have exactly `Genotype.edgesPerCell` edges.
    case wrongEdgeCount(cell: CellType, count: Int)
    /// An edge of intermediate node `node` uses the `none` operation, which a final cell cannot contain.
    case noneOperation(cell: CellType, node: Int)
    /// An edge of intermediate node `node` reads an input that does not exist before that node.
    case inputOutOfRange(cell: CellType, node: Int, input: Int)
    /// A cell's output concatenates no node.
    case emptyConcat(cell: CellType)
    /// A concat index is not an intermediate node (2...5).
    case concatOutOfRange(cell: CellType, index: Int)
    /// A concat index appears more than once.
    case duplicateConcat(cell: CellType, index: Int)
    /// An operation name that is not one of the eight DARTS names; `location` says where it was found.
    case unknownOperation(name: String, location: String)
    /// The JSON is not valid JSON or not shaped like a genotype; `reason` says which.
    case malformedJSON(reason: String)
    /// DARTS text that does not follow the `Genotype(normal=[...], ...)` syntax at the given 1-based position.
    case syntax(line: Int, column: Int, expected: String, found: String)
    /// DARTS text without any `Genotype(` expression.
    case noGenotypeExpression
    /// DARTS text that assigns several differently named genotypes, and none was chosen.
    case ambiguousGenotype(names: [String])
    /// DARTS text without a genotype assigned to the requested name.
    case genotypeNotFound(name: String, available: [String])
    /// A `random:SEED` spec whose seed is not a non-negative integer.
    case invalidRandomSeed(spec: String)
    /// A spec that is neither a built-in name, `random:SEED`, nor an existing file.
    case unknownGenotype(spec: String)
    /// A genotype file that does not exist.
    case fileNotFound(path: String)
    /// A genotype file that exists but cannot be read as text.
    case unreadable(path: String, reason: String)
    /// Any of the above, found while reading the file at `path`.
    indirect case inFile(path: String, GenotypeError)

    public var description: String {
        switch self {
        case let .wrongEdgeCount(cell, count):
            return "\(cell) cell has \(count) edges, but a cell needs \(Genotype.edgesPerCell)"
                + " (two inputs for each of its \(Genotype.intermediateNodeCount) intermediate nodes)"
        case let .noneOperation(cell, node):
            return "\(cell) cell: node \(node) uses the 'none' operation, which a final cell cannot contain"
        case let .inputOutOfRange(cell, node, input):
            return "\(cell) cell: node \(node) takes input \(input), but only inputs 0..\(node + 1) exist"
        case let .emptyConcat(cell):
            return "\(cell) cell: the concat list is empty; it must name at least one of the nodes 2..5"
        case let .concatOutOfRange(cell, index):
            return "\(cell) cell: concat index \(index) is not an intermediate node (expected values in 2..5)"
        case let .duplicateConcat(cell, index):
            return "\(cell) cell: concat index \(index) appears more than once"
        case let .unknownOperation(name, location):
            let names = OperationKind.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(location): unknown operation '\(name)' (expected one of \(names))"
        case let .malformedJSON(reason):
            return "not a genotype JSON file: \(reason)"
        case let .syntax(line, column, expected, found):
            return "line \(line), column \(column): expected \(expected), found \(found)"
        case .noGenotypeExpression:
            return "no 'Genotype(' expression found; expected DARTS text such as"
                + " NAME = Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2, 6), ...)"
        case let .ambiguousGenotype(names):
            return "the text defines several genotypes (\(names.joined(separator: ", ")));"
                + " choose one by name (e.g. genotypes.py:\(names.last ?? "NAME"))"
        case let .genotypeNotFound(name, available):
            let found = available.isEmpty ? "none is assigned to a name" : "found \(available.joined(separator: ", "))"
            return "no genotype named '\(name)' (\(found))"
        case let .invalidRandomSeed(spec):
            return "\(spec): the seed must be a non-negative integer (e.g. random:42)"
        case let .unknownGenotype(spec):
            return "unknown genotype '\(spec)': expected a built-in name (\(Genotype.builtinNames.joined(separator: ", "))),"
                + " random:SEED, or the path of a .json or DARTS genotypes.py file"
        case let .fileNotFound(path):
            return "\(path): no such genotype file"
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .inFile(path, error):
            return "\(path): \(error)"
        }
    }
}
