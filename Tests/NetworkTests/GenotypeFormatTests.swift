import Foundation
import Testing
@testable import Network

/// The three genotype formats: JSON, DARTS text and Graphviz DOT.
extension GenotypeTests {
    /// The line exactly as it appears in the DARTS repository's cnn/genotypes.py.
    static let dartsV2Line = "DARTS_V2 = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0),"
        + " ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)],"
        + " normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2),"
        + " ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)],"
        + " reduce_concat=[2, 3, 4, 5])"

    static var sampleGenotypes: [Genotype] {
        [Genotype.dartsV2, .pcDarts, .bnasXNOR] + (0..<20).map { Genotype.random(seed: $0) }
    }

    static func jsonError(_ json: String) -> GenotypeError? {
        do {
            _ = try Genotype(jsonData: Data(json.utf8))
            return nil
        } catch {
            return error as? GenotypeError
        }
    }

    static func textError(_ text: String, name: String? = nil) -> GenotypeError? {
        do {
            _ = try Genotype(dartsText: text, name: name)
            return nil
        } catch {
            return error as? GenotypeError
        }
    }

    /// DARTS_V2's JSON with `transform` applied to the JSON text.
    static func dartsV2JSON(_ transform: (String) -> String = { $0 }) throws -> String {
        transform(String(decoding: try Genotype.dartsV2.jsonData(), as: UTF8.self))
    }

    // MARK: - JSON

    @Test func jsonRoundTrip() throws {
        for genotype in Self.sampleGenotypes {
            let data = try genotype.jsonData()
            #expect(try Genotype(jsonData: data) == genotype)
            #expect(try genotype.jsonData() == data, "the encoding is not stable")
        }
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let object = try JSONSerialization.jsonObject(with: try Genotype.dartsV2.jsonData()) as? [String: Any]
        #expect(object.map { Set($0.keys) } == ["normal", "normal_concat", "reduce", "reduce_concat"])
        let normal = object?["normal"] as? [[String: Any]]
        #expect(normal?.count == 8)
        #expect(normal?[7]["op"] as? String == "dil_conv_3x3")
        #expect(normal?[7]["input"] as? Int == 2)
        #expect(object?["reduce_concat"] as? [Int] == [2, 3, 4, 5])
        let handWritten = """
            {"normal": [{"op": "sep_conv_3x3", "input": 0}, {"op": "sep_conv_3x3", "input": 1},
                        {"op": "sep_conv_3x3", "input": 0}, {"op": "sep_conv_3x3", "input": 1},
                        {"op": "sep_conv_3x3", "input": 1}, {"op": "skip_connect", "input": 0},
                        {"op": "skip_connect", "input": 0}, {"op": "dil_conv_3x3", "input": 2}],
             "normal_concat": [2, 3, 4, 5],
             "reduce": [{"input": 0, "op": "max_pool_3x3"}, {"input": 1, "op": "max_pool_3x3"},
                        {"input": 2, "op": "skip_connect"}, {"input": 1, "op": "max_pool_3x3"},
                        {"input": 0, "op": "max_pool_3x3"}, {"input": 2, "op": "skip_connect"},
                        {"input": 2, "op": "skip_connect"}, {"input": 1, "op": "max_pool_3x3"}],
             "reduce_concat": [2, 3, 4, 5]}
            """
        #expect(try Genotype(jsonData: Data(handWritten.utf8)) == Genotype.dartsV2)
    }

    @Test func malformedJSONIsRejectedWithAReason() throws {
        let full = try Self.dartsV2JSON()
        let truncated = Self.jsonError(String(full.prefix(full.count / 2)))
        #expect(truncated.map { if case .malformedJSON = $0 { return true } else { return false } } == true)
        #expect(truncated?.description.hasPrefix("not a genotype JSON file: not valid JSON") == true)

        let unknown = Self.jsonError(try Self.dartsV2JSON { $0.replacingOccurrences(of: "dil_conv_3x3", with: "conv_7x1") })
        #expect(unknown == .unknownOperation(name: "conv_7x1", location: "normal[7].op"))
        #expect(unknown?.description.hasPrefix("normal[7].op: unknown operation 'conv_7x1' (expected one of none, max_pool_3x3,") == true)

        var sevenEdges = Genotype.dartsV2
        sevenEdges.reduce.removeLast()
        #expect(Self.jsonError(String(decoding: try sevenEdges.jsonData(), as: UTF8.self)) == .wrongEdgeCount(cell: .reduce, count: 7))

        var noneEdge = Genotype.dartsV2
        noneEdge.normal[2].operation = .none
        #expect(Self.jsonError(String(decoding: try noneEdge.jsonData(), as: UTF8.self)) == .noneOperation(cell: .normal, node: 1))

        let missing = Self.jsonError(#"{"normal": [], "normal_concat": [2], "reduce": []}"#)
        #expect(missing == .malformedJSON(reason: "the top-level object has no \"reduce_concat\" key"))
        let missingInput = Self.jsonError(#"{"normal": [{"op": "sep_conv_3x3"}], "normal_concat": [2], "reduce": [], "reduce_concat": [2]}"#)
        #expect(missingInput == .malformedJSON(reason: "normal[0] has no \"input\" key"))
        let wrongType = Self.jsonError(#"{"normal": [{"op": "sep_conv_3x3", "input": "one"}], "normal_concat": [2], "reduce": [], "reduce_concat": [2]}"#)
        #expect(wrongType?.description.hasPrefix("not a genotype JSON file: normal[0].input: ") == true)
        #expect(Self.jsonError("[1, 2, 3]")?.description.hasPrefix("not a genotype JSON file: the top level: ") == true)
    }

    // MARK: - DARTS text

    @Test func parsesTheDARTSRepositoryLine() throws {
        #expect(try Genotype(dartsText: Self.dartsV2Line) == Genotype.dartsV2)
        #expect(try Genotype(dartsText: Self.dartsV2Line, name: "DARTS_V2") == Genotype.dartsV2)
    }

    @Test func writesDARTSSyntax() throws {
        #expect(Genotype.dartsV2.dartsText(name: "DARTS_V2") == Self.dartsV2Line
            .replacingOccurrences(of: "concat=[2, 3, 4, 5]", with: "concat=range(2, 6)"))
        #expect(Genotype.pcDarts.dartsText().hasPrefix("BNAS = Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), "))
        var partial = Genotype.dartsV2
        partial.normalConcat = [2, 4, 5]
        partial.reduceConcat = [3, 4]
        let text = partial.dartsText(name: "run 7-b")
        #expect(text.hasPrefix("run_7_b = Genotype("))
        #expect(text.contains("normal_concat=[2, 4, 5]") && text.contains("reduce_concat=range(3, 5)"))
        #expect(try Genotype(dartsText: text) == partial)
    }

    @Test func dartsTextRoundTrip() throws {
        for genotype in Self.sampleGenotypes {
            #expect(try Genotype(dartsText: genotype.dartsText()) == genotype)
            #expect(try Genotype(dartsText: genotype.dartsFile(name: "FOUND"), name: "FOUND") == genotype)
        }
    }

    @Test func dartsFileCanReplaceGenotypesPy() throws {
        let file = Genotype.bnasXNOR.dartsFile(name: "BNAS_XNOR")
        let lines = file.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "from collections import namedtuple")
        #expect(lines.contains("Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')"))
        #expect(lines.contains("PRIMITIVES = ["))
        #expect(lines.contains("    'dil_conv_5x5',"))
        #expect(lines.contains(Genotype.bnasXNOR.dartsText(name: "BNAS_XNOR")))
        #expect(try Genotype(dartsText: file) == Genotype.bnasXNOR)
    }

    @Test func dartsTextAcceptsPythonVariations() throws {
        let text = """
            # a comment mentioning Genotype( that is not code
            import genotypes
            my_cell = Genotype(
                reduce_concat = range(2,6),  # keyword order does not matter
                normal=[("sep_conv_3x3", 0), ('sep_conv_3x3', 1),
                        ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0),
                        ('skip_connect', 0), \\
                        ('dil_conv_3x3', 2),],
                normal_concat=[2, 3, 4, 5,],
                reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1),
                        ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1,)],
            )
            print(my_cell)
            """
        #expect(try Genotype(dartsText: text) == Genotype.dartsV2)
    }

    @Test func dartsTextChoosesAmongSeveralGenotypes() throws {
        let repositoryFile = """
            DARTS_V1 = \(Genotype.pcDarts.dartsText(name: "X").dropFirst(4))
            \(Self.dartsV2Line)

            DARTS = DARTS_V2
            """
        #expect(Self.textError(repositoryFile) == .ambiguousGenotype(names: ["DARTS_V1", "DARTS_V2"]))
        #expect(Self.textError(repositoryFile)?.description.contains("genotypes.py:DARTS_V2") == true)
        #expect(try Genotype(dartsText: repositoryFile, name: "DARTS_V1") == Genotype.pcDarts)
        #expect(try Genotype(dartsText: repositoryFile, name: "DARTS_V2") == Genotype.dartsV2)
        #expect(Self.textError(repositoryFile, name: "DARTS") == .genotypeNotFound(name: "DARTS", available: ["DARTS_V1", "DARTS_V2"]))

        // A DARTS search log prints the genotype every epoch; the last one is the result.
        let log = """
            05/12 03:04:05 PM epoch 0 lr 2.5e-02
            05/12 03:04:05 PM genotype = \(Genotype.random(seed: 1).dartsText().dropFirst(7))
            05/12 03:09:41 PM train_acc 41.2
            05/12 03:09:42 PM genotype = \(Genotype.random(seed: 2).dartsText().dropFirst(7))
            """
        #expect(try Genotype(dartsText: log) == Genotype.random(seed: 2))
    }

    @Test func dartsTextErrorsNameWhatWasExpectedAndWhere() throws {
        #expect(Self.textError("garbage text, nothing to see") == .noGenotypeExpression)
        #expect(Self.textError("") == .noGenotypeExpression)

        let unknown = Self.dartsV2Line.replacingOccurrences(of: "('dil_conv_3x3', 2)", with: "('conv_7x1', 2)")
        let column = try #require(unknown.range(of: "'conv_7x1'")).lowerBound.utf16Offset(in: unknown) + 1
        #expect(Self.textError(unknown) == .unknownOperation(name: "conv_7x1", location: "line 1, column \(column)"))

        let missingComma = "G = Genotype(normal=[('sep_conv_3x3' 0)])"
        #expect(Self.textError(missingComma) == .syntax(line: 1, column: 38, expected: "',' after the operation name", found: "'0'"))

        #expect(Self.textError(String(Self.dartsV2Line.prefix(47)))?.description
            == "line 1, column 48: expected ',' or ']' in the list of (operation, input) pairs, found the end of the text")
        #expect(Self.textError(String(Self.dartsV2Line.prefix(120)))?.description
            == "line 1, column 114: expected a closing ' for this string, found an unterminated string")

        let secondLine = "x = 1\nG = Genotype(normal=[], normal_concat=range(2, 6), reduce=[],\n  reduce_concat=rang(2, 6))"
        #expect(Self.textError(secondLine) == .syntax(
            line: 3, column: 17, expected: "a list of node indices such as [2, 3, 4, 5] or range(2, 6)", found: "'rang'"))

        let missingArgument = "G = Genotype(normal=[], normal_concat=[2], reduce=[])"
        #expect(Self.textError(missingArgument) == .syntax(line: 1, column: 53, expected: "a 'reduce_concat=' argument", found: "')'"))
        let twice = "G = Genotype(normal=[], normal=[])"
        #expect(Self.textError(twice)?.description.hasSuffix("found a second 'normal'") == true)
        let unknownKeyword = "G = Genotype(normal=[], extra=[])"
        #expect(Self.textError(unknownKeyword) == .syntax(
            line: 1, column: 25, expected: "normal, normal_concat, reduce or reduce_concat", found: "'extra'"))
        let hugeRange = Self.dartsV2Line.replacingOccurrences(of: "normal_concat=[2, 3, 4, 5]", with: "normal_concat=range(0, 10**9)")
        #expect(Self.textError(hugeRange)?.description.hasSuffix("expected ')' closing range(start, stop), found '*'") == true)
        let wideRange = Self.dartsV2Line.replacingOccurrences(of: "normal_concat=[2, 3, 4, 5]", with: "normal_concat=range(-9223372036854775807, 9223372036854775807)")
        #expect(Self.textError(wideRange)?.description.contains("expected a range of at most 64 node indices") == true)
    }

    @Test func dartsTextIsValidated() {
        let sevenEdges = Self.dartsV2Line.replacingOccurrences(of: ", ('dil_conv_3x3', 2)", with: "")
        #expect(Self.textError(sevenEdges) == .wrongEdgeCount(cell: .normal, count: 7))
        let noneEdge = Self.dartsV2Line.replacingOccurrences(of: "('dil_conv_3x3', 2)", with: "('none', 2)")
        #expect(Self.textError(noneEdge) == .noneOperation(cell: .normal, node: 3))
        let outOfRange = Self.dartsV2Line.replacingOccurrences(of: "('dil_conv_3x3', 2)", with: "('dil_conv_3x3', 7)")
        #expect(Self.textError(outOfRange) == .inputOutOfRange(cell: .normal, node: 3, input: 7))
        let badConcat = Self.dartsV2Line.replacingOccurrences(of: "reduce_concat=[2, 3, 4, 5]", with: "reduce_concat=range(2, 7)")
        #expect(Self.textError(badConcat) == .concatOutOfRange(cell: .reduce, index: 6))
    }

    // MARK: - DOT

    @Test func dotDrawsTheCell() {
        let normal = Genotype.dartsV2.dot(.normal)
        let lines = normal.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "digraph normal {")
        #expect(lines.last == "}")
        #expect(lines.contains("rankdir=LR"))
        for node in ["\"c_{k-2}\"", "\"c_{k-1}\"", "\"0\"", "\"1\"", "\"2\"", "\"3\"", "\"c_{k}\""] {
            #expect(lines.contains { $0.hasPrefix(node + " [fillcolor=") }, "no node \(node)")
        }
        let arrows = lines.filter { $0.contains(" -> ") }
        #expect(arrows.count == 8 + 4)
        #expect(arrows.contains("\"c_{k-2}\" -> \"0\" [label=\"sep_conv_3x3\" fillcolor=gray]"))
        #expect(arrows.contains("\"c_{k-1}\" -> \"2\" [label=\"sep_conv_3x3\" fillcolor=gray]"))
        #expect(arrows.contains("\"c_{k-2}\" -> \"2\" [label=\"skip_connect\" fillcolor=gray]"))
        #expect(arrows.contains("\"0\" -> \"3\" [label=\"dil_conv_3x3\" fillcolor=gray]"))
        #expect(arrows.contains("\"3\" -> \"c_{k}\" [fillcolor=gray]"))

        let reduce = Genotype.bnasXNOR.dot(.reduce)
        #expect(reduce.hasPrefix("digraph reduce {"))
        #expect(reduce.contains("\"2\" -> \"3\" [label=\"dil_conv_3x3\" fillcolor=gray]"))
        #expect(reduce.contains("\"1\" -> \"2\" [label=\"avg_pool_3x3\" fillcolor=gray]"))
        var partial = Genotype.bnasXNOR
        partial.reduceConcat = [4, 5]
        let toOutput = partial.dot(.reduce).split(separator: "\n").filter { $0.contains("-> \"c_{k}\"") }
        #expect(toOutput == ["\t\"2\" -> \"c_{k}\" [fillcolor=gray]", "\t\"3\" -> \"c_{k}\" [fillcolor=gray]"])
    }
}
