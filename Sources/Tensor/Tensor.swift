/// An n-dimensional Float32 tensor, row-major, images in NCHW order.
///
/// A tensor is a node of the autograd graph: an op's result remembers its parents and a closure
/// that adds the op's gradient into theirs (see `Autograd.swift`). Parameters are leaves created
/// with `requiresGrad: true`; their `grad` accumulates until an optimizer clears it.
public final class Tensor {
    public let shape: [Int]
    /// The values. Every change, in place or whole, bumps `version`.
    public var data: [Float] { didSet { version &+= 1 } }
    /// Changes of `data` so far, so that values derived from it (a convolution's packed sign bits)
    /// can tell whether they are stale.
    public private(set) var version = 0
    /// Gradient of the loss with respect to `data`; empty until something is accumulated.
    public var grad: [Float] = []
    /// Whether backward computes a gradient for this tensor. Ops derive it from their parents; on a
    /// leaf (a parameter) it may be switched off for a while to freeze it (see `GradMode.frozen`).
    public var requiresGrad: Bool
    private(set) var parents: [Tensor]
    private(set) var backwardStep: ((Tensor) -> Void)?
    /// Values inference kernels derived from `data`, one per type, each with the version it was
    /// derived from. Guarded by `derivedLock`: the ops of one edge and the two preprocessings of a
    /// cell run side by side and read the same input tensor, so several threads ask for its values
    /// at once.
    private var derivedValues: [ObjectIdentifier: (version: Int, value: AnyObject)] = [:]

    /// The locks of `derivedValues`, one per stripe of tensors, made before any parallel region:
    /// no lock to allocate per tensor, and pthread mutexes, which the thread sanitizer understands.
    private static let derivedLocks = (0..<64).map { _ in NSLock() }
    private var derivedLock: NSLock { Tensor.derivedLocks[(ObjectIdentifier(self).hashValue >> 6) & 63] }

    /// A leaf tensor (an input, a constant or, with `requiresGrad`, a parameter).
    public init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: \(data.count) values do not fill shape \(shape)")
        self.shape = shape
        self.data = data
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backwardStep = nil
    }

    init(shape: [Int], data: [Float], parents: [Tensor], backward: ((Tensor) -> Void)?) {
        self.shape = shape
        self.data = data
        self.requiresGrad = backward != nil
        self.parents = backward != nil ? parents : []
        self.backwardStep = backward
    }

    /// A value derived from `data` (the packed signs the bit kernels read), made by `make` the first
    /// time and kept with the tensor, so that several kernels reading the same tensor derive it once;
    /// made again once `data` has changed. Values of different types are kept side by side, keyed by
    /// `type`.
    ///
    /// Safe to call from several threads at once (not while `data` changes). `make` runs outside the
    /// lock: it may start a parallel region whose tasks, run on this thread while it waits, ask this
    /// tensor for a value too. Two threads that miss at once both make the value; the first one
    /// stored is kept and returned to both, so every reader uses the same object.
    public func derived<Value: AnyObject>(_ type: Value.Type, _ make: () -> Value) -> Value {
        let key = ObjectIdentifier(type)
        let current = version
        func stored(_ values: [ObjectIdentifier: (version: Int, value: AnyObject)]) -> Value? {
            guard let entry = values[key], entry.version == current else { return nil }
            return entry.value as? Value
        }
        let lock = derivedLock
        lock.lock()
        let found = stored(derivedValues)
        lock.unlock()
        if let found { return found }
        let made = make()
        lock.lock()
        defer { lock.unlock() }
        if let value = stored(derivedValues) { return value }
        derivedValues[key] = (current, made)
        return made
    }

    /// The result of an op: it joins the graph only when recording is on and a parent needs a gradient.
    /// `backward` receives the result and adds its op's gradient into the parents' (ops defined in
    /// other modules, such as the binarizers, use this too).
    public static func result(shape: [Int], data: [Float], parents: [Tensor], backward: @escaping (Tensor) -> Void) -> Tensor {
        let tracked = GradMode.isEnabled && parents.contains(where: \.requiresGrad)
        return Tensor(shape: shape, data: data, parents: parents, backward: tracked ? backward : nil)
    }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    public static func filled(_ shape: [Int], value: Float, requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    /// Normal(0, std) samples from a seeded generator.
    public static func randomNormal(_ shape: [Int], std: Float, rng: inout SeededRNG, requiresGrad: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for index in 0..<count { values[index] = rng.nextNormal() * std }
        return Tensor(shape: shape, data: values, requiresGrad: requiresGrad)
    }

    /// Uniform(-bound, bound) samples from a seeded generator.
    public static func randomUniform(_ shape: [Int], bound: Float, rng: inout SeededRNG, requiresGrad: Bool = false) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        for index in 0..<count { values[index] = (rng.nextUniform() * 2 - 1) * bound }
        return Tensor(shape: shape, data: values, requiresGrad: requiresGrad)
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The single value of a one-element tensor (a loss, say).
    public var scalar: Float { data[0] }

    /// A copy of the values cut from the graph.
    public func detached() -> Tensor { Tensor(shape: shape, data: data) }

    /// Adds into `grad` through a raw pointer, allocating it as zeros first if needed.
    public func accumulateGrad(_ body: (UnsafeMutablePointer<Float>) -> Void) {
        if grad.isEmpty { grad = [Float](repeating: 0, count: data.count) }
        grad.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    public func zeroGrad() { grad = [] }

    /// Takes the graph behind this tensor apart without recursion: releasing a chain thousands of
    /// ops deep one nested release at a time would overflow a secondary thread's stack.
    deinit {
        var pending = parents
        parents = []
        backwardStep = nil
        while var node = pending.popLast() {
            guard isKnownUniquelyReferenced(&node) else { continue }
            pending.append(contentsOf: node.parents)
            node.parents = []
            node.backwardStep = nil
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = data.prefix(6).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(data.count > 6 ? ", …" : "")])"
    }
}

import Foundation
