import Tensor

/// A piece of a network that owns parameters and/or sub-layers.
public protocol Layer: AnyObject {
    /// Trainable tensors held directly by this layer.
    var ownParameters: [Tensor] { get }
    /// Layers held by this one, in a fixed order (parameter order follows it).
    var sublayers: [any Layer] { get }
}

/// A layer with one input and one output.
public protocol UnaryLayer: Layer {
    func callAsFunction(_ x: Tensor, training: Bool) -> Tensor
}

extension Layer {
    public var ownParameters: [Tensor] { [] }
    public var sublayers: [any Layer] { [] }

    /// This layer and everything below it, depth first.
    public var allLayers: [any Layer] { [self] + sublayers.flatMap { $0.allLayers } }

    /// Every trainable tensor below this layer, in a stable order (checkpoints and model files rely on it).
    public var parameters: [Tensor] { allLayers.flatMap { $0.ownParameters } }

    /// The running statistics of every batch norm below this layer, in the same stable order.
    public var batchNormStatistics: [BatchNormStatistics] {
        allLayers.compactMap { ($0 as? BatchNorm2d)?.statistics }
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// Initialisation shared by the layers: PyTorch's default, uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
enum Initializer {
    static func uniform(_ shape: [Int], fanIn: Int, rng: inout SeededRNG) -> Tensor {
        Tensor.randomUniform(shape, bound: 1 / Float(fanIn).squareRoot(), rng: &rng, requiresGrad: true)
    }
}
