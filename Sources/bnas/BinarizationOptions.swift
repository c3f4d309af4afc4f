import ArgumentParser
import Binary
import Tensor

extension ActivationPrecision: ExpressibleByArgument {}
extension SignGradient: ExpressibleByArgument {}

/// What `--binarize` names: a weight binarization, or the ReAct preset (`BinarizationConfig.react`).
enum BinarizationPreset: String, CaseIterable, ExpressibleByArgument {
    case none, xnor, pcnn, react

    var configuration: BinarizationConfig {
        switch self {
        case .none: return BinarizationConfig(weights: .none, activations: .binary)
        case .xnor: return BinarizationConfig(weights: .xnor, activations: .binary)
        case .pcnn: return BinarizationConfig(weights: .pcnn, activations: .binary)
        case .react: return .react
        }
    }
}

/// The value of an on/off option.
enum OnOff: String, CaseIterable, ExpressibleByArgument {
    case on, off
    var isOn: Bool { self == .on }
}

/// The binarization flags of `bnas train` and `bnas search`: a preset, then each option of the ReAct
/// flavour on its own (docs/algorithms.md#react-flavour), so that an ablation can switch one at a time
/// (`--binarize xnor --shortcuts on`) or take one away from the preset (`--binarize react --thresholds off`).
struct BinarizationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Binarization of the cells' convolutions (stem and classifier stay real): none, xnor, pcnn, or react "
                               + "(xnor weights and sign activations with thresholds, RPReLU, shortcuts and ApproxSign). Default: none for train, xnor for search."))
    var binarize: BinarizationPreset?

    @Option(help: "Binary (sign) or real activations of the binarized convolutions (default: binary).")
    var activations: ActivationPrecision?

    @Option(help: "Learnable per-channel thresholds of the signs and RPReLU after each binarized block: on or off (default: on with react).")
    var thresholds: OnOff?

    @Option(help: "Real-valued shortcuts around each binarized block whose input and output shapes match: on or off (default: on with react).")
    var shortcuts: OnOff?

    @Option(name: .customLong("sign-gradient"),
            help: "The derivative standing in for sign's in the backward pass: ste (1 on [-1, 1]) or approx (ApproxSign, 2 - 2|x| on [-1, 1]; default with react).")
    var signGradient: SignGradient?

    /// The configuration the flags ask for, starting from `preset` when `--binarize` is not given; a
    /// combination that cannot be built is refused with the reason.
    func configuration(default preset: BinarizationPreset) throws -> BinarizationConfig {
        var configuration = (binarize ?? preset).configuration
        if let activations { configuration.activations = activations }
        if let thresholds { configuration.thresholds = thresholds.isOn }
        if let shortcuts { configuration.shortcuts = shortcuts.isOn }
        if let signGradient { configuration.signGradient = signGradient }
        if let conflict = configuration.conflict { throw ValidationError(conflict) }
        return configuration
    }
}
