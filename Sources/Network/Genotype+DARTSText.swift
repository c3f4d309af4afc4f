// The DARTS text form: the `Genotype(...)` namedtuple syntax of the DARTS and PC-DARTS PyTorch repositories
// (`genotypes.py`), so a cell found by bnas can be trained by that code and a published cell can be read here.
extension Genotype {
    /// One line of DARTS `genotypes.py`, e.g. `BNAS = Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ...],`
    /// `normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))`.
    /// A concat list of consecutive nodes is written as `range(a, b)`, as Python 3 prints it; any other as a list.
    /// `name` is made a Python identifier (other characters become `_`).
    public func dartsText(name: String = "BNAS") -> String {
        "\(pythonIdentifier(name)) = Genotype(normal=\(pythonEdges(normal)), normal_concat=\(pythonConcat(normalConcat)),"
            + " reduce=\(pythonEdges(reduce)), reduce_concat=\(pythonConcat(reduceConcat)))"
    }

    /// A complete `genotypes.py` that can replace the one of DARTS/PC-DARTS: the `Genotype` namedtuple, the
    /// `PRIMITIVES` list and this genotype as `name` (train with `python train.py --arch NAME`).
    public func dartsFile(name: String = "BNAS") -> String {
        let primitives = OperationKind.allCases.map { "    '\($0.rawValue)',\n" }.joined()
        return """
            from collections import namedtuple

            Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')

            PRIMITIVES = [
            \(primitives)]

            \(dartsText(name: name))

            """
    }

    /// Reads the DARTS text form and validates it. The text may hold other lines (a whole `genotypes.py` or a DARTS
    /// search log): the `Genotype(...)` expression is found in it. When several are assigned, later assignments to
    /// the same name win (as in Python); `name` picks one, and is needed when differently named genotypes appear.
    /// Accepts keyword arguments in any order, `range(a, b)` or `[2, 3, 4, 5]` concats, single or double quotes,
    /// trailing commas, comments and line breaks anywhere. Errors name what was expected and the line and column.
    public init(dartsText: String, name: String? = nil) throws {
        var parser = GenotypeTextParser(dartsText)
        let calls = parser.genotypeCalls()
        var names: [String] = []
        for call in calls where !names.contains(call.name ?? "") { names.append(call.name ?? "") }
        let start: Int
        if let name {
            guard let call = calls.last(where: { $0.name == name }) else {
                throw GenotypeError.genotypeNotFound(name: name, available: names.filter { !$0.isEmpty })
            }
            start = call.start
        } else {
            guard let call = calls.last else { throw GenotypeError.noGenotypeExpression }
            guard names.count == 1 else {
                throw GenotypeError.ambiguousGenotype(names: names.map { $0.isEmpty ? "(unnamed)" : $0 })
            }
            start = call.start
        }
        self = try parser.parseCall(at: start)
        try validate()
    }
}

private func pythonEdges(_ edges: [GenotypeEdge]) -> String {
    "[" + edges.map { "('\($0.operation.rawValue)', \($0.input))" }.joined(separator: ", ") + "]"
}

private func pythonConcat(_ indices: [Int]) -> String {
    let consecutive = zip(indices, indices.dropFirst()).allSatisfy { $1 == $0 &+ 1 }
    if consecutive, let first = indices.first, let last = indices.last, last < Int.max {
        return "range(\(first), \(last + 1))"
    }
    return "[" + indices.map(String.init).joined(separator: ", ") + "]"
}

private func pythonIdentifier(_ name: String) -> String {
    let characters = name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" }
    guard let first = characters.first else { return "BNAS" }
    return (first.isNumber ? "_" : "") + String(characters)
}
