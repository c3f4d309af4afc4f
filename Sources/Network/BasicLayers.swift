import Tensor

/// A bias-free 2-d convolution (a batch norm follows every convolution here).
public final class Conv2d: UnaryLayer {
    public let weight: Tensor
    public let stride, padding, dilation, groups: Int

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, rng: inout SeededRNG) {
        weight = Initializer.uniform([outChannels, inChannels / groups, kernel, kernel],
                                     fanIn: inChannels / groups * kernel * kernel, rng: &rng)
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }

    public var ownParameters: [Tensor] { [weight] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        x.conv2d(weight, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Batch norm over channels, optionally affine (the search cells use affine=False).
public final class BatchNorm2d: UnaryLayer {
    public let gamma: Tensor?
    public let beta: Tensor?
    public let statistics: BatchNormStatistics

    public init(channels: Int, affine: Bool = true) {
        gamma = affine ? Tensor.filled([channels], value: 1, requiresGrad: true) : nil
        beta = affine ? Tensor.zeros([channels], requiresGrad: true) : nil
        statistics = BatchNormStatistics(channels: channels)
    }

    public var ownParameters: [Tensor] { [gamma, beta].compactMap { $0 } }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        x.batchNorm(gamma: gamma, beta: beta, statistics: statistics, training: training)
    }
}

/// A fully connected layer with bias.
public final class Linear: UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor

    public init(inFeatures: Int, outFeatures: Int, rng: inout SeededRNG) {
        weight = Initializer.uniform([outFeatures, inFeatures], fanIn: inFeatures, rng: &rng)
        bias = Initializer.uniform([outFeatures], fanIn: inFeatures, rng: &rng)
    }

    public var ownParameters: [Tensor] { [weight, bias] }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        x.linear(weight: weight, bias: bias)
    }
}

/// Layers applied one after the other.
public final class Sequential: UnaryLayer {
    public let layers: [any UnaryLayer]

    public init(_ layers: [any UnaryLayer]) { self.layers = layers }

    public var sublayers: [any Layer] { layers }

    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        layers.reduce(x) { $1($0, training: training) }
    }
}

/// max(x, 0).
public final class ReLU: UnaryLayer {
    public init() {}
    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor { x.relu() }
}
