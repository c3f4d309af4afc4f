import Network

/// Why an operation left the search space.
public enum RemovalCause: String, Codable, Sendable {
    case reduction
    case veto
}

/// The operations still in the search: for each cell type, edge (0...13) and operation, whether it
/// survives, or why it was removed. Reductions and vetoes both go through `remove`, so a vetoed op
/// is gone exactly as a reduced one is (its cost with it).
public struct OperationSpace: Codable, Equatable, Sendable {
    public static let operationCount = OperationKind.allCases.count

    /// removals[cell][edge * 8 + op]: nil while the op survives.
    private var normal: [RemovalCause?]
    private var reduce: [RemovalCause?]

    /// Every op of every edge surviving.
    public init() {
        normal = Array(repeating: nil, count: CellTopology.edgeCount * Self.operationCount)
        reduce = normal
    }

    public func removal(_ ref: OperationRef) -> RemovalCause? { table(ref.cell)[ref.edge * Self.operationCount + ref.operation.index] }

    public func isSurviving(_ ref: OperationRef) -> Bool { removal(ref) == nil }

    /// The surviving operations of one edge, in column order.
    public func surviving(_ cell: CellType, edge: Int) -> [OperationKind] {
        OperationKind.allCases.filter { isSurviving(OperationRef(cell: cell, edge: edge, operation: $0)) }
    }

    /// 14x8 flags, row-major: true where the op survives.
    public func survivalMask(_ cell: CellType) -> [Bool] { table(cell).map { $0 == nil } }

    /// Surviving operations over both cell types.
    public var survivingCount: Int { (normal + reduce).filter { $0 == nil }.count }

    /// Whether every edge of both cells is down to one operation (the reduction's goal).
    public var isReduced: Bool {
        CellType.allCases.allSatisfy { cell in (0..<CellTopology.edgeCount).allSatisfy { surviving(cell, edge: $0).count == 1 } }
    }

    /// Why `ref` cannot be removed now, or nil when it can. An edge must keep at least one
    /// operation other than `none` (a final cell has no zero edges).
    public func refusal(toRemove ref: OperationRef) -> String? {
        guard (0..<CellTopology.edgeCount).contains(ref.edge) else {
            return "there is no edge \(ref.edge): edges are numbered 0...\(CellTopology.edgeCount - 1)"
        }
        if let cause = removal(ref) {
            return "\(ref) is already gone (\(cause == .veto ? "vetoed" : "removed by a reduction step"))"
        }
        let left = surviving(ref.cell, edge: ref.edge).filter { $0 != ref.operation }
        if left.isEmpty { return "\(ref) is the last operation of its edge" }
        if left == [.none] { return "\(ref) is the last real operation of its edge (only none would be left)" }
        return nil
    }

    /// Removes `ref`; the caller has checked `refusal(toRemove:)`.
    public mutating func remove(_ ref: OperationRef, cause: RemovalCause) {
        precondition(refusal(toRemove: ref) == nil, "removing \(ref): \(refusal(toRemove: ref) ?? "")")
        let index = ref.edge * Self.operationCount + ref.operation.index
        switch ref.cell {
        case .normal: normal[index] = cause
        case .reduce: reduce[index] = cause
        }
    }

    private func table(_ cell: CellType) -> [RemovalCause?] { cell == .normal ? normal : reduce }

    private enum CodingKeys: String, CodingKey { case normal, reduce }

    /// Reads the tables of a checkpoint, which must have an entry for every op of every edge.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        normal = try container.decode([RemovalCause?].self, forKey: .normal)
        reduce = try container.decode([RemovalCause?].self, forKey: .reduce)
        let size = CellTopology.edgeCount * Self.operationCount
        guard normal.count == size, reduce.count == size else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "the search space has \(normal.count) and \(reduce.count) entries, not \(size) per cell type"))
        }
    }
}
