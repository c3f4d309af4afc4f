import Tensor

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

/// How the cells' convolutions are binarized: the weights, the activations, and the options of the
/// ReAct flavour (docs/algorithms.md#react-flavour), each on its own so that an ablation can switch
/// one at a time. Files written before the options existed decode with all of them off, and a
/// configuration with all of them off encodes as before.
public struct BinarizationConfig: Codable, Equatable, Hashable, Sendable {
    public var weights: WeightBinarization
    public var activations: ActivationPrecision
    /// Learnable per-channel thresholds of every sign, sign(x - a_c) (ReActNet's RSign), and RPReLU
    /// after the batch norm of every binarized block. Only with binary activations.
    public var thresholds: Bool
    /// Real-valued shortcuts, y = x + block(x), around every binarized block whose input and output
    /// shapes match (Bi-Real Net).
    public var shortcuts: Bool
    /// The derivative that stands in for sign's in the backward pass of the activations.
    public var signGradient: SignGradient

    public init(weights: WeightBinarization, activations: ActivationPrecision, thresholds: Bool = false, shortcuts: Bool = false,
                signGradient: SignGradient = .ste) {
        self.weights = weights
        self.activations = activations
        self.thresholds = thresholds
        self.shortcuts = shortcuts
        self.signGradient = signGradient
    }

    private enum CodingKeys: String, CodingKey { case weights, activations, thresholds, shortcuts, signGradient }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(weights: try container.decode(WeightBinarization.self, forKey: .weights),
                  activations: try container.decode(ActivationPrecision.self, forKey: .activations),
                  thresholds: try container.decodeIfPresent(Bool.self, forKey: .thresholds) ?? false,
                  shortcuts: try container.decodeIfPresent(Bool.self, forKey: .shortcuts) ?? false,
                  signGradient: try container.decodeIfPresent(SignGradient.self, forKey: .signGradient) ?? .ste)
    }

    /// Writes the options only where they are not off, so that a configuration without them is
    /// written as it was before they existed (model headers keep their bytes).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(weights, forKey: .weights)
        try container.encode(activations, forKey: .activations)
        if thresholds { try container.encode(thresholds, forKey: .thresholds) }
        if shortcuts { try container.encode(shortcuts, forKey: .shortcuts) }
        if signGradient != .ste { try container.encode(signGradient, forKey: .signGradient) }
    }

    /// Full-precision convolutions.
    public static let float = BinarizationConfig(weights: .none, activations: .real)

    /// The ReAct flavour (`--binarize react`): XNOR weights, sign activations with learnable thresholds,
    /// RPReLU and real-valued shortcuts, and ApproxSign for the sign's derivative, which learned better
    /// than the straight-through estimator in a short trial (`--sign-gradient ste` takes it back).
    public static let react = BinarizationConfig(weights: .xnor, activations: .binary, thresholds: true, shortcuts: true, signGradient: .approx)

    public var isBinary: Bool { weights != .none }

    /// Whether binarized convolutions take sign(x): then the op's leading ReLU is dropped, since
    /// sign(ReLU(x)) would be +1 everywhere (docs/algorithms.md#binarisation).
    public var binarizesActivations: Bool { weights != .none && activations == .binary }

    /// Whether every sign of the activations has a learnable threshold and every binarized block ends in RPReLU.
    public var usesThresholds: Bool { binarizesActivations && thresholds }

    /// Whether binarized blocks whose input and output shapes match add their input to their output.
    public var usesShortcuts: Bool { isBinary && shortcuts }

    /// The derivative of the activations' sign in effect (the estimator when nothing is binarized).
    public var activationSignGradient: SignGradient { binarizesActivations ? signGradient : .ste }

    /// Why this combination cannot be built, or nil: the options need binarized weights, and the
    /// thresholds and the sign's derivative need sign activations.
    public var conflict: String? {
        if !isBinary && (thresholds || shortcuts || signGradient != .ste) {
            return "--thresholds, --shortcuts and --sign-gradient need binarized weights (--binarize xnor, pcnn or react)"
        }
        if !binarizesActivations && (thresholds || signGradient != .ste) {
            return "--thresholds and --sign-gradient need sign activations (--activations binary)"
        }
        return nil
    }

    /// "xnor/binary", "pcnn/real", "none" for logs and tables; "react" for the preset, and the options
    /// that are on after a "+" otherwise ("xnor/binary+thresholds+approxsign").
    public var label: String {
        if weights == .none { return "none" }
        if self == .react { return "react" }
        let options = [(thresholds, "thresholds"), (shortcuts, "shortcuts"), (signGradient == .approx, "approxsign")]
        return "\(weights.rawValue)/\(activations.rawValue)" + options.filter(\.0).map { "+" + $0.1 }.joined()
    }
}
