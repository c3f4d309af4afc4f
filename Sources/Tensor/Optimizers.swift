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
}

/// SGD with momentum and L2 weight decay, PyTorch semantics: v = mu v + (g + wd p); p -= lr v.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    /// Momentum buffers, one per parameter (saved in checkpoints).
    public var velocity: [[Float]]

    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        velocity = parameters.map { [Float](repeating: 0, count: $0.count) }
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
            let (lr, mu, wd) = (learningRate, momentum, weightDecay)
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
    public let parameters: [Tensor]
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// First and second moment estimates and the step count (saved in checkpoints).
    public var firstMoment: [[Float]]
    public var secondMoment: [[Float]]
    public var steps: Int = 0

    public init(parameters: [Tensor], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoment = firstMoment
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
}
