import Foundation

/// Whether ops record the graph on the current thread. Evaluation runs inside `GradMode.disabled`
/// so that no closures or saved inputs are kept.
public enum GradMode {
    private static let disabledFlag = ThreadFlag("bnas.gradModeDisabled")

    public static var isEnabled: Bool { !disabledFlag.isSet }

    /// Runs `body` with recording off on this thread.
    public static func disabled<T>(_ body: () throws -> T) rethrows -> T {
        try disabledFlag.with(true, body)
    }

    /// Runs `body` recording or not as `recording` says: a task handed to another core carries the
    /// mode of the thread that started it (the mode is per thread). It sets the mode either way:
    /// the thread that runs the task may be one that helps while it waits for a job of its own,
    /// recorded or not (`WorkerPool`).
    public static func carried<T>(_ recording: Bool, _ body: () throws -> T) rethrows -> T {
        recording ? try enabled(body) : try disabled(body)
    }

    /// Runs `body` with recording on on this thread.
    static func enabled<T>(_ body: () throws -> T) rethrows -> T {
        try disabledFlag.with(false, body)
    }

    /// Runs `body` with `parameters` frozen: ops treat them as constants, so backward computes no
    /// gradient for them and skips any part of the graph that only they fed (a first-order
    /// architecture step does not need the weights' gradients, nor a weight step alpha's).
    public static func frozen<T>(_ parameters: [Tensor], _ body: () throws -> T) rethrows -> T {
        let previous = parameters.map(\.requiresGrad)
        for parameter in parameters { parameter.requiresGrad = false }
        defer { for (parameter, flag) in zip(parameters, previous) { parameter.requiresGrad = flag } }
        return try body()
    }
}

/// A flag of the current thread (an entry of its dictionary), set or cleared for the duration of a
/// closure and restored after it; a thread that never set it reads false.
public struct ThreadFlag: Sendable {
    let key: String

    public init(_ key: String) { self.key = key }

    public var isSet: Bool { Thread.current.threadDictionary[key] != nil }

    /// Runs `body` with the flag `value` on this thread.
    public func with<T>(_ value: Bool, _ body: () throws -> T) rethrows -> T {
        let dictionary = Thread.current.threadDictionary
        let previous = dictionary[key]
        guard (previous != nil) != value else { return try body() }
        dictionary[key] = value ? true : nil
        defer { dictionary[key] = previous }
        return try body()
    }
}

extension Tensor {
    /// Reverse-mode differentiation from this scalar: the graph reachable from it, in topological
    /// order, is the tape; it is replayed backwards, each step adding its op's gradient into the
    /// gradients of its parents. Leaves accumulate (call `zeroGrad` between steps).
    public func backward() {
        precondition(count == 1, "backward() starts from a scalar, got shape \(shape)")
        backward(seed: [1])
    }

    /// Reverse-mode differentiation with an explicit upstream gradient of the same shape.
    public func backward(seed: [Float]) {
        precondition(seed.count == count, "backward seed has \(seed.count) values for shape \(shape)")
        guard requiresGrad else { return }
        accumulateGrad(from: seed)
        for node in tape().reversed() {
            node.backwardStep?(node)
            // Intermediate gradients are no longer needed once passed on.
            if node.backwardStep != nil { node.grad = [] }
        }
    }

    /// The nodes reachable from this one, parents before children (iterative depth-first search,
    /// so deep graphs do not exhaust a secondary thread's stack).
    func tape() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for parent in node.parents where parent.requiresGrad && !visited.contains(ObjectIdentifier(parent)) {
                stack.append((parent, false))
            }
        }
        return order
    }
}
