import Foundation

/// Something that updates parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    var parameters: [Tensor] { get }
    var learningRate: Float { get set }
    /// The optimizer's buffers in a fixed order (momentum, or Adam's two moments), for checkpoints.
    var buffers: [[Float]] { get set }
    /// Updates taken so far (Adam's bias correction depends on it).
    var steps: Int { get set }
    func step()
}

extension Optimizer {
    public func zeroGrad() { for parameter in parameters { parameter.zeroGrad() } }

    /// Zeroes the buffers and the step count: the optimizer starts afresh on the same parameters.
    public func reset() {
        buffers = buffers.map { [Float](repeating: 0, count: $0.count) }
        steps = 0
    }
}

/// Parameters that share their optimizer settings (PyTorch's parameter groups): here the weight
/// decay, so that some weights (a binarized convolution's latent weights) can go without it.
public struct ParameterGroup {
    public var parameters: [Tensor]
    public var weightDecay: Float

    public init(_ parameters: [Tensor], weightDecay: Float) {
        self.parameters = parameters
        self.weightDecay = weightDecay
    }
}

/// SGD with momentum and L2 weight decay, PyTorch semantics: v = mu v + (g + wd p); p -= lr v.
public final class SGD: Optimizer {
    /// The groups' parameters, group after group.
    public let parameters: [Tensor]
    public var learningRate: Float
    public let momentum: Float
    /// The weight decay of each parameter (its group's).
    public let weightDecays: [Float]
    /// Momentum buffers, one per parameter (saved in checkpoints).
    public var velocity: [[Float]]

    public init(groups: [ParameterGroup], learningRate: Float, momentum: Float = 0.9) {
        parameters = groups.flatMap(\.parameters)
        weightDecays = groups.flatMap { group in group.parameters.map { _ in group.weightDecay } }
        self.learningRate = learningRate
        self.momentum = momentum
        velocity = parameters.map { [Float](repeating: 0, count: $0.count) }
    }

    public convenience init(parameters: [Tensor], learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0) {
        self.init(groups: [ParameterGroup(parameters, weightDecay: weightDecay)], learningRate: learningRate, momentum: momentum)
    }

    public var buffers: [[Float]] {
        get { velocity }
        set { velocity = newValue }
    }

    /// SGD's update does not depend on the step count; it is kept so checkpoints read alike.
    public var steps = 0

    public func step() {
        steps += 1
        for (index, parameter) in parameters.enumerated() where !parameter.grad.isEmpty {
            let (lr, mu, wd) = (learningRate, momentum, weightDecays[index])
            parameter.data.withUnsafeMutableBufferPointer { p in
                parameter.grad.withUnsafeBufferPointer { g in
                    velocity[index].withUnsafeMutableBufferPointer { v in
                        for i in 0..<p.count {
                            v[i] = mu * v[i] + g[i] + wd * p[i]
                            p[i] -= lr * v[i]
                        }
                    }
                }
            }
        }
    }
}

/// Adam with L2 weight decay added to the gradient (torch.optim.Adam, as the DARTS architect uses).
public final class Adam: Optimizer {
    /// The groups' parameters, group after group.
    public let parameters: [Tensor]
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// The weight decay of each parameter (its group's).
    public let weightDecays: [Float]
    /// First and second moment estimates and the step count (saved in checkpoints).
    public var firstMoment: [[Float]]
    public var secondMoment: [[Float]]
    public var steps: Int = 0

    public init(groups: [ParameterGroup], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        parameters = groups.flatMap(\.parameters)
        weightDecays = groups.flatMap { group in group.parameters.map { _ in group.weightDecay } }
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoment = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoment = firstMoment
    }

    public convenience init(parameters: [Tensor], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.init(groups: [ParameterGroup(parameters, weightDecay: weightDecay)], learningRate: learningRate,
                  beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    public var buffers: [[Float]] {
        get { firstMoment + secondMoment }
        set {
            precondition(newValue.count == 2 * parameters.count, "Adam keeps two buffers per parameter")
            firstMoment = Array(newValue[..<parameters.count])
            secondMoment = Array(newValue[parameters.count...])
        }
    }

    public func step() {
        steps += 1
        let correction1 = 1 - Foundation.pow(beta1, Float(steps))
        let correction2 = 1 - Foundation.pow(beta2, Float(steps))
        for (index, parameter) in parameters.enumerated() where !parameter.grad.isEmpty {
            let weightDecay = weightDecays[index]
            for i in 0..<parameter.count {
                let g = parameter.grad[i] + weightDecay * parameter.data[i]
                firstMoment[index][i] = beta1 * firstMoment[index][i] + (1 - beta1) * g
                secondMoment[index][i] = beta2 * secondMoment[index][i] + (1 - beta2) * g * g
                let mHat = firstMoment[index][i] / correction1
                let vHat = secondMoment[index][i] / correction2
                parameter.data[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
            }
        }
    }
}

/// Cosine annealing from `base` to `minimum` over `total` epochs (PyTorch's CosineAnnealingLR).
public struct CosineSchedule: Sendable, Equatable {
    public let base: Float
    public let minimum: Float
    public let total: Int

    public init(base: Float, minimum: Float = 0, total: Int) {
        self.base = base
        self.minimum = minimum
        self.total = max(1, total)
    }

    public func rate(epoch: Int) -> Float {
        let progress = Double(min(epoch, total)) / Double(total)
        return minimum + (base - minimum) * Float((1 + Foundation.cos(Double.pi * progress)) / 2)
    }
}

/// How a learning rate falls to its minimum after the warm-up.
public enum LearningRateDecay: String, Codable, CaseIterable, Sendable {
    /// (1 + cos(pi t)) / 2 of the way from the base rate to the minimum, t in [0, 1].
    case cosine
    /// 1 - t of the way.
    case linear
}

/// A learning rate set at every step: a linear warm-up that reaches `base` at step `warmupSteps` - 1,
/// then a decay that reaches `minimum` at the last step, `totalSteps` - 1
/// (docs/algorithms.md#training-recipe).
public struct WarmupDecaySchedule: Sendable, Equatable {
    public let base: Float
    public let minimum: Float
    public let warmupSteps: Int
    public let totalSteps: Int
    public let decay: LearningRateDecay

    /// `warmupSteps` is clamped to leave at least one step of decay.
    public init(base: Float, minimum: Float = 0, warmupSteps: Int, totalSteps: Int, decay: LearningRateDecay) {
        self.base = base
        self.minimum = minimum
        self.totalSteps = max(1, totalSteps)
        self.warmupSteps = min(max(0, warmupSteps), self.totalSteps - 1)
        self.decay = decay
    }

    /// The rate of step `step`, counted from 0: base * (step + 1) / warmupSteps in the warm-up,
    /// then the decay at t = (step + 1 - warmupSteps) / (totalSteps - warmupSteps).
    public func rate(step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        let decaySteps = totalSteps - warmupSteps
        let t = Double(min(step + 1 - warmupSteps, decaySteps)) / Double(decaySteps)
        let remaining = decay == .cosine ? (1 + Foundation.cos(Double.pi * t)) / 2 : 1 - t
        return minimum + (base - minimum) * Float(remaining)
    }
}

public enum GradientClipping {
    /// Scales all gradients so that their joint L2 norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clipNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
        var squares: Double = 0
        for parameter in parameters { for g in parameter.grad { squares += Double(g) * Double(g) } }
        let norm = Float(squares.squareRoot())
        if norm > maxNorm {
            let scale = maxNorm / (norm + 1e-6)
            for parameter in parameters where !parameter.grad.isEmpty {
                parameter.grad.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] *= scale } }
            }
        }
        return norm
    }

    /// Clamps every value of `parameters` to [-limit, limit] (BinaryConnect's clipping of latent weights).
    public static func clipValues(_ parameters: [Tensor], limit: Float) {
        for parameter in parameters {
            parameter.data.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = min(max(p[i], -limit), limit) } }
        }
    }
}
