import Foundation

/// One edge of a final cell: an operation applied to one earlier node of the cell.
///
/// `input` numbers the nodes as DARTS does: 0 = c_{k-2} (output of the cell two back), 1 = c_{k-1} (output of the
/// previous cell), and 2, 3, ... = intermediate node `input - 2` of this cell.
public struct GenotypeEdge: Codable, Equatable, Hashable, Sendable {
    public var operation: OperationKind
    public var input: Int

    public init(operation: OperationKind, input: Int) {
        self.operation = operation
        self.input = input
    }

    private enum CodingKeys: String, CodingKey {
        case operation = "op"
        case input
    }

    /// Decodes `{"op": "sep_conv_3x3", "input": 1}`; an unknown operation name throws
    /// `GenotypeError.unknownOperation` naming its JSON path (e.g. `normal[3].op`).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .operation)
        guard let operation = OperationKind(rawValue: name) else {
            let location = jsonPath(container.codingPath + [CodingKeys.operation])
            throw GenotypeError.unknownOperation(name: name, location: location)
        }
        self.operation = operation
        self.input = try container.decode(Int.self, forKey: .input)
    }
}

/// The two kinds of cell in a DARTS network: normal cells keep the resolution, reduction cells halve it.
public enum CellType: String, Codable, CaseIterable, Sendable {
    case normal
    case reduce
}

/// A final (derived) architecture: the normal and the reduction cell, each as DARTS writes it.
///
/// A cell has `intermediateNodeCount` (4) intermediate nodes with two inputs each, so its edges come in pairs:
/// `edges[2j]` and `edges[2j + 1]` are the inputs of intermediate node j, which may read nodes 0..<(j + 2).
/// The concat lists name the nodes (2...5) whose outputs are concatenated into the cell output.
/// `validate()` checks all of that; `init(jsonData:)`, `init(dartsText:name:)` and `resolve(_:)` always validate.
public struct Genotype: Codable, Equatable, Hashable, Sendable {
    public var normal: [GenotypeEdge]
    public var normalConcat: [Int]
    public var reduce: [GenotypeEdge]
    public var reduceConcat: [Int]

    /// Intermediate nodes per cell.
    public static let intermediateNodeCount = 4
    /// Edges per final cell: two inputs for each intermediate node.
    public static let edgesPerCell = 2 * intermediateNodeCount
    /// The concat list DARTS uses: all four intermediate nodes (`range(2, 6)`).
    public static let fullConcat = Array(2..<(2 + intermediateNodeCount))

    public init(
        normal: [GenotypeEdge], normalConcat: [Int] = Genotype.fullConcat,
        reduce: [GenotypeEdge], reduceConcat: [Int] = Genotype.fullConcat
    ) {
        self.normal = normal
        self.normalConcat = normalConcat
        self.reduce = reduce
        self.reduceConcat = reduceConcat
    }

    /// The edges of one cell type, in DARTS order (pairs per intermediate node).
    public func edges(_ type: CellType) -> [GenotypeEdge] {
        switch type {
        case .normal: return normal
        case .reduce: return reduce
        }
    }

    /// The concatenated nodes of one cell type.
    public func concat(_ type: CellType) -> [Int] {
        switch type {
        case .normal: return normalConcat
        case .reduce: return reduceConcat
        }
    }

    /// Checks both cells: 8 edges each, node j's inputs in 0..<(j + 2), no `none` operation, and a non-empty concat
    /// list of distinct indices in 2...5. Two edges of a node may read the same input (the network sums them).
    /// Throws the first problem found as a `GenotypeError`.
    public func validate() throws {
        for type in CellType.allCases {
            let cellEdges = edges(type)
            guard cellEdges.count == Self.edgesPerCell else {
                throw GenotypeError.wrongEdgeCount(cell: type, count: cellEdges.count)
            }
            for (position, edge) in cellEdges.enumerated() {
                let node = position / 2
                guard edge.operation != .none else { throw GenotypeError.noneOperation(cell: type, node: node) }
                guard (0..<(node + 2)).contains(edge.input) else {
                    throw GenotypeError.inputOutOfRange(cell: type, node: node, input: edge.input)
                }
            }
            let indices = concat(type)
            guard !indices.isEmpty else { throw GenotypeError.emptyConcat(cell: type) }
            var seen = Set<Int>()
            for index in indices {
                guard Self.fullConcat.contains(index) else { throw GenotypeError.concatOutOfRange(cell: type, index: index) }
                guard seen.insert(index).inserted else { throw GenotypeError.duplicateConcat(cell: type, index: index) }
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case normal
        case normalConcat = "normal_concat"
        case reduce
        case reduceConcat = "reduce_concat"
    }
}

// MARK: - JSON

extension Genotype {
    /// The JSON form, pretty-printed with sorted keys so that equal genotypes give identical bytes:
    /// `{"normal": [{"input": 1, "op": "sep_conv_3x3"}, ...], "normal_concat": [2, 3, 4, 5],`
    /// ` "reduce": [...], "reduce_concat": [2, 3, 4, 5]}`.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads and validates the JSON form written by `jsonData()`. Malformed JSON, missing keys, wrong types and
    /// unknown operation names throw `GenotypeError` naming the JSON path; an invalid cell throws what `validate()` does.
    public init(jsonData: Data) throws {
        do {
            self = try JSONDecoder().decode(Genotype.self, from: jsonData)
        } catch let error as DecodingError {
            throw GenotypeError.malformedJSON(reason: Self.describe(error, in: jsonData))
        }
        try validate()
    }

    private static func describe(_ error: DecodingError, in data: Data) -> String {
        switch error {
        case let .keyNotFound(key, context):
            let parent = context.codingPath.isEmpty ? "the top-level object" : jsonPath(context.codingPath)
            return "\(parent) has no \"\(key.stringValue)\" key"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            let place = context.codingPath.isEmpty ? "the top level" : jsonPath(context.codingPath)
            return "\(place): \(context.debugDescription)"
        case let .dataCorrupted(context) where context.codingPath.isEmpty:
            // The decoder only says "not valid JSON"; JSONSerialization names the position and the problem.
            do {
                _ = try JSONSerialization.jsonObject(with: data)
            } catch {
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON" + (detail.map { " (\($0))" } ?? "")
            }
            return context.debugDescription
        case let .dataCorrupted(context):
            return "\(jsonPath(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A coding path as a JSON path, e.g. `normal[3].op`.
private func jsonPath(_ codingPath: [CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue {
            path += "[\(index)]"
        } else {
            path += path.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return path
}
