import Foundation
import Testing
@testable import Network

/// Operations, validation, built-in genotypes, random cells and `resolve`. The formats are in GenotypeFormatTests.swift.
@Suite struct GenotypeTests {
    /// The published cells as docs/algorithms.md#search-space writes them (short names, pairs per node).
    static let referenceCells: [String: (normal: String, reduce: String)] = [
        "darts-v2": ("sep3 0, sep3 1, sep3 0, sep3 1, sep3 1, skip 0, skip 0, dil3 2",
                     "max3 0, max3 1, skip 2, max3 1, max3 0, skip 2, skip 2, max3 1"),
        "pc-darts": ("sep3 1, skip 0, sep3 0, dil3 1, sep5 0, sep3 1, avg3 0, dil3 1",
                     "sep5 1, max3 0, sep5 1, sep5 2, sep3 0, sep3 3, sep3 1, sep3 2"),
        "bnas-xnor": ("skip 1, dil3 0, skip 0, dil5 2, max3 1, max3 0, dil5 4, sep3 2",
                      "sep3 1, dil5 0, skip 1, max3 2, dil5 0, avg3 3, skip 2, dil3 4"),
    ]

    /// Edges from "sep3 0, skip 1, ..." (OperationKind short names).
    static func edges(_ text: String) -> [GenotypeEdge] {
        text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: " ")
            guard parts.count == 2, let operation = OperationKind.allCases.first(where: { $0.shortName == parts[0] }),
                  let input = Int(parts[1]) else { return nil }
            return GenotypeEdge(operation: operation, input: input)
        }
    }

    /// DARTS_V2 with one edge replaced.
    static func dartsV2(replacing position: Int, in type: CellType, with edge: GenotypeEdge) -> Genotype {
        var genotype = Genotype.dartsV2
        switch type {
        case .normal: genotype.normal[position] = edge
        case .reduce: genotype.reduce[position] = edge
        }
        return genotype
    }

    static func validationError(_ genotype: Genotype) -> GenotypeError? {
        do {
            try genotype.validate()
            return nil
        } catch {
            return error as? GenotypeError
        }
    }

    static func resolveError(_ spec: String) -> GenotypeError? {
        do {
            _ = try Genotype.resolve(spec)
            return nil
        } catch {
            return error as? GenotypeError
        }
    }

    /// Runs `body` with a fresh temporary directory and a function that writes a file into it and returns the
    /// file's path; removes the directory afterwards.
    static func withTemporaryDirectory(
        _ body: (_ directory: String, _ write: (_ name: String, _ contents: String) throws -> String) throws -> Void
    ) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-genotype-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory.path) { name, contents in
            let url = directory.appendingPathComponent(name)
            try Data(contents.utf8).write(to: url)
            return url.path
        }
    }

    // MARK: - Operations

    @Test func operationsAreTheDARTSPrimitivesInOrder() {
        #expect(OperationKind.allCases.map(\.rawValue) == [
            "none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
            "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
        ])
        #expect(OperationKind.allCases.map(\.shortName) == ["none", "max3", "avg3", "skip", "sep3", "sep5", "dil3", "dil5"])
        for operation in OperationKind.allCases {
            #expect(OperationKind.allCases.firstIndex(of: operation) == operation.index)
            #expect(operation.shortName.count <= 4)
        }
        #expect(OperationKind.allCases.filter(\.isParameterized) == [.sepConv3x3, .sepConv5x5, .dilConv3x3, .dilConv5x5])
    }

    // MARK: - Built-ins

    @Test(arguments: Genotype.builtinNames)
    func builtinMatchesReference(name: String) throws {
        let reference = try #require(Self.referenceCells[name])
        let genotype = try #require(Genotype.builtin(named: name))
        #expect(genotype.normal == Self.edges(reference.normal))
        #expect(genotype.reduce == Self.edges(reference.reduce))
        #expect(genotype.normal.count == 8 && genotype.reduce.count == 8)
        #expect(genotype.normalConcat == [2, 3, 4, 5] && genotype.reduceConcat == [2, 3, 4, 5])
        try genotype.validate()
        #expect(try Genotype.resolve(name) == genotype)
    }

    @Test func builtinSpotChecks() throws {
        #expect(Genotype.dartsV2.normal[7] == GenotypeEdge(operation: .dilConv3x3, input: 2))
        #expect(Genotype.dartsV2.reduce[2] == GenotypeEdge(operation: .skipConnect, input: 2))
        #expect(Genotype.pcDarts.normal[6] == GenotypeEdge(operation: .avgPool3x3, input: 0))
        #expect(Genotype.pcDarts.reduce[5] == GenotypeEdge(operation: .sepConv3x3, input: 3))
        #expect(Genotype.bnasXNOR.normal[6] == GenotypeEdge(operation: .dilConv5x5, input: 4))
        #expect(Genotype.bnasXNOR.reduce[7] == GenotypeEdge(operation: .dilConv3x3, input: 4))
        #expect(Genotype.dartsV2.edges(.reduce) == Genotype.dartsV2.reduce)
        #expect(try Genotype.resolve("DARTS_V2") == Genotype.dartsV2)
        #expect(try Genotype.resolve("PC_DARTS") == Genotype.pcDarts)
    }

    // MARK: - Random cells

    @Test func randomGenotypesAreValidDeterministicAndVaried() throws {
        var distinct = Set<Genotype>()
        var operationsSeen = Set<OperationKind>()
        var lastNodeInputsSeen = Set<Int>()
        for seed in UInt64(0)..<200 {
            let genotype = Genotype.random(seed: seed)
            try genotype.validate()
            #expect(genotype == Genotype.random(seed: seed))
            for type in CellType.allCases {
                let edges = genotype.edges(type)
                for node in 0..<4 {
                    #expect(edges[2 * node].input != edges[2 * node + 1].input, "node \(node) reads one input twice")
                }
                operationsSeen.formUnion(edges.map(\.operation))
                lastNodeInputsSeen.formUnion(edges[6...].map(\.input))
            }
            distinct.insert(genotype)
        }
        #expect(distinct.count == 200)
        #expect(operationsSeen == Set(OperationKind.allCases.filter { $0 != .none }))
        #expect(lastNodeInputsSeen == [0, 1, 2, 3, 4])
        #expect(try Genotype.resolve("random:7") == Genotype.random(seed: 7))
        #expect(try Genotype.resolve("random:18446744073709551615") == Genotype.random(seed: .max))
    }

    // MARK: - Validation

    @Test func validationRejectsWrongEdgeCount() {
        var genotype = Genotype.dartsV2
        genotype.normal.removeLast()
        let error = Self.validationError(genotype)
        #expect(error == .wrongEdgeCount(cell: .normal, count: 7))
        #expect(error?.description.hasPrefix("normal cell has 7 edges, but a cell needs 8") == true)
    }

    @Test func validationRejectsInputsOutOfRange() {
        let tooHigh = Self.dartsV2(replacing: 5, in: .reduce, with: GenotypeEdge(operation: .skipConnect, input: 5))
        #expect(Self.validationError(tooHigh) == .inputOutOfRange(cell: .reduce, node: 2, input: 5))
        #expect(Self.validationError(tooHigh)?.description == "reduce cell: node 2 takes input 5, but only inputs 0..3 exist")
        let selfLoop = Self.dartsV2(replacing: 0, in: .normal, with: GenotypeEdge(operation: .sepConv3x3, input: 2))
        #expect(Self.validationError(selfLoop) == .inputOutOfRange(cell: .normal, node: 0, input: 2))
        let negative = Self.dartsV2(replacing: 7, in: .normal, with: GenotypeEdge(operation: .sepConv3x3, input: -1))
        #expect(Self.validationError(negative) == .inputOutOfRange(cell: .normal, node: 3, input: -1))
        let highest = Self.dartsV2(replacing: 7, in: .normal, with: GenotypeEdge(operation: .sepConv3x3, input: 4))
        #expect(Self.validationError(highest) == nil)
    }

    @Test func validationRejectsNoneOperation() {
        let genotype = Self.dartsV2(replacing: 3, in: .normal, with: GenotypeEdge(operation: .none, input: 1))
        #expect(Self.validationError(genotype) == .noneOperation(cell: .normal, node: 1))
        #expect(Self.validationError(genotype)?.description.contains("'none'") == true)
    }

    @Test func validationRejectsBadConcat() {
        var genotype = Genotype.dartsV2
        genotype.reduceConcat = []
        #expect(Self.validationError(genotype) == .emptyConcat(cell: .reduce))
        genotype.reduceConcat = [2, 6]
        #expect(Self.validationError(genotype) == .concatOutOfRange(cell: .reduce, index: 6))
        genotype.reduceConcat = [1, 2]
        #expect(Self.validationError(genotype) == .concatOutOfRange(cell: .reduce, index: 1))
        genotype.reduceConcat = [3, 4, 3]
        #expect(Self.validationError(genotype) == .duplicateConcat(cell: .reduce, index: 3))
        genotype.reduceConcat = [5, 3]
        #expect(Self.validationError(genotype) == nil)
    }

    // MARK: - resolve

    @Test func resolveRejectsUnknownSpecs() {
        #expect(Self.resolveError("darts-v3") == .unknownGenotype(spec: "darts-v3"))
        #expect(Self.resolveError("darts-v3")?.description.contains("darts-v2, pc-darts, bnas-xnor") == true)
        #expect(Self.resolveError("random:abc") == .invalidRandomSeed(spec: "random:abc"))
        #expect(Self.resolveError("random:abc")?.description == "random:abc: the seed must be a non-negative integer (e.g. random:42)")
        #expect(Self.resolveError("random:-1") == .invalidRandomSeed(spec: "random:-1"))
        #expect(Self.resolveError("random:") == .invalidRandomSeed(spec: "random:"))
        #expect(Self.resolveError("/nonexistent/genotype.json") == .fileNotFound(path: "/nonexistent/genotype.json"))
    }

    @Test func resolveReadsJSONAndDARTSFiles() throws {
        try Self.withTemporaryDirectory { _, write in
            let json = try write("cell.json", String(decoding: try Genotype.pcDarts.jsonData(), as: UTF8.self))
            #expect(try Genotype.resolve(json) == Genotype.pcDarts)
            let python = try write("genotypes.py", Genotype.bnasXNOR.dartsFile(name: "FOUND"))
            #expect(try Genotype.resolve(python) == Genotype.bnasXNOR)
            let two = Genotype.dartsV2.dartsText(name: "A") + "\n" + Genotype.pcDarts.dartsText(name: "B")
            let several = try write("several.py", two)
            #expect(try Genotype.resolve(several + ":A") == Genotype.dartsV2)
            #expect(try Genotype.resolve(several + ":B") == Genotype.pcDarts)
            #expect(Self.resolveError(several) == .inFile(path: several, .ambiguousGenotype(names: ["A", "B"])))
            #expect(Self.resolveError(several + ":C")
                == .inFile(path: several, .genotypeNotFound(name: "C", available: ["A", "B"])))
        }
    }

    @Test func resolveNamesTheFileInErrors() throws {
        try Self.withTemporaryDirectory { directory, write in
            var genotype = Genotype.dartsV2
            genotype.normal[5].input = 5
            let path = try write("genotype.json", String(decoding: try genotype.jsonData(), as: UTF8.self))
            let error = Self.resolveError(path)
            #expect(error == .inFile(path: path, .inputOutOfRange(cell: .normal, node: 2, input: 5)))
            #expect(error?.description == "\(path): normal cell: node 2 takes input 5, but only inputs 0..3 exist")

            let truncated = try write("truncated.json", #"{"normal": [{"op": "sep_conv_3x3", "input": 0}"#)
            #expect(Self.resolveError(truncated)?.description
                .hasPrefix("\(truncated): not a genotype JSON file: not valid JSON") == true)

            let garbage = try write("notes.txt", "this is not a genotype\n")
            #expect(Self.resolveError(garbage) == .inFile(path: garbage, .noGenotypeExpression))

            #expect(Self.resolveError(directory) == .unreadable(path: directory, reason: "it is a directory"))
        }
    }
}
