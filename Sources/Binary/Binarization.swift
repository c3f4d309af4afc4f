/// How the convolutions of the cells are binarized (`--binarize`, `--activations`).
public enum WeightBinarization: String, Codable, CaseIterable, Sendable {
    /// Full precision.
    case none
    /// XNOR-Net: W ~ a * sign(W), a = mean |W| per output channel (docs/algorithms.md#xnor-net).
    case xnor
    /// PCNN: W ~ a * sign(P o W) with a learned projection P and a = mean |W| per layer (docs/algorithms.md#pcnn).
    case pcnn
}

public enum ActivationPrecision: String, Codable, CaseIterable, Sendable {
    /// sign(x) feeds every binarized convolution (1-bit weights and activations).
    case binary
    /// Activations stay real after ReLU; only the weights are binary (BNAS's released code).
    case real
}

public struct BinarizationConfig: Codable, Equatable, Hashable, Sendable {
    public var weights: WeightBinarization
    public var activations: ActivationPrecision

    public init(weights: WeightBinarization, activations: ActivationPrecision) {
        self.weights = weights
        self.activations = activations
    }

    /// Full-precision convolutions.
    public static let float = BinarizationConfig(weights: .none, activations: .real)

    public var isBinary: Bool { weights != .none }

    /// Whether binarized convolutions take sign(x): then the op's leading ReLU is dropped, since
    /// sign(ReLU(x)) would be +1 everywhere (docs/algorithms.md#binarisation).
    public var binarizesActivations: Bool { weights != .none && activations == .binary }

    /// "xnor/binary", "pcnn/real", "none" for logs and tables.
    public var label: String { weights == .none ? "none" : "\(weights.rawValue)/\(activations.rawValue)" }
}
