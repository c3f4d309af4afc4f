import Testing
@testable import Tensor

/// Finite-difference gradient checking and the small helpers the op tests share.
///
/// The loss is sum(output * R) for fixed random weights R, so that every output element counts
/// (and with its own weight). Autograd runs in Float32; each central difference
/// (L(x + h) - L(x - h)) / 2h evaluates the op in Float32 but accumulates the loss in Double, and
/// divides by the step that Float32 actually took.
enum GradientCheck {
    struct Tolerance {
        /// Perturbation of each input element.
        var step: Float = 1e-2
        var absolute: Double = 5e-4
        var relative: Double = 2e-3

        /// For ops that are linear (or piecewise linear) in each input: the difference is exact
        /// up to rounding, so the bound can be tight.
        static let linear = Tolerance(step: 1e-2, absolute: 3e-4, relative: 1e-3)
        static let smooth = Tolerance()
    }

    /// Checks the autograd gradient of every `inputs` tensor that requires a gradient against
    /// central differences. `build` maps the inputs to the op's output (any shape).
    static func check(
        _ inputs: [Tensor], tolerance: Tolerance = .smooth, seed: UInt64 = 99,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ build: ([Tensor]) -> Tensor
    ) {
        let probe = GradMode.disabled { build(inputs) }
        var rng = SeededRNG(seed: seed)
        let lossWeights = (0..<probe.count).map { _ in rng.nextUniform() * 2 - 1 }

        for input in inputs { input.zeroGrad() }
        let output = build(inputs)
        (output * Tensor(shape: output.shape, data: lossWeights)).sum().backward()

        func loss() -> Double {
            let values = GradMode.disabled { build(inputs) }.data
            var total: Double = 0
            for index in values.indices { total += Double(values[index]) * Double(lossWeights[index]) }
            return total
        }

        for (position, input) in inputs.enumerated() where input.requiresGrad {
            #expect(input.grad.count == input.count, "input \(position) got no gradient", sourceLocation: sourceLocation)
            guard input.grad.count == input.count else { continue }
            var worst = (excess: 0.0, index: -1, analytic: 0.0, numeric: 0.0)
            for index in 0..<input.count {
                let original = input.data[index]
                let plus = original + tolerance.step
                let minus = original - tolerance.step
                input.data[index] = plus
                let lossPlus = loss()
                input.data[index] = minus
                let lossMinus = loss()
                input.data[index] = original
                let numeric = (lossPlus - lossMinus) / (Double(plus) - Double(minus))
                let analytic = Double(input.grad[index])
                let bound = tolerance.absolute + tolerance.relative * max(abs(numeric), abs(analytic))
                let excess = abs(numeric - analytic) / bound
                if !(excess <= worst.excess) && !worst.excess.isNaN { worst = (excess, index, analytic, numeric) }
            }
            #expect(
                worst.excess <= 1,
                "input \(position) \(input.shape): gradient[\(worst.index)] = \(worst.analytic), finite difference \(worst.numeric)",
                sourceLocation: sourceLocation)
        }
        for input in inputs { input.zeroGrad() }
    }
}

/// A seeded random tensor, uniform in (-bound, bound).
func randomTensor(_ shape: [Int], seed: UInt64, bound: Float = 1, requiresGrad: Bool = true) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return Tensor.randomUniform(shape, bound: bound, rng: &rng, requiresGrad: requiresGrad)
}

/// Seeded values whose magnitude is at least `gap` (inputs for ops with a kink at 0).
func awayFromZero(_ shape: [Int], seed: UInt64, gap: Float = 0.1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    let values = (0..<shape.reduce(1, *)).map { _ -> Float in
        let magnitude = gap + rng.nextUniform() * (1 - gap)
        return rng.nextUniform() < 0.5 ? -magnitude : magnitude
    }
    return Tensor(shape: shape, data: values, requiresGrad: true)
}

/// A seeded permutation of 0..<count scaled by `spacing`: every value distinct and `spacing` apart,
/// so a finite-difference step smaller than spacing / 2 never changes which element is largest.
func distinctValues(_ shape: [Int], seed: UInt64, spacing: Float = 0.1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    var order = Array(0..<shape.reduce(1, *))
    rng.shuffle(&order)
    return Tensor(shape: shape, data: order.map { Float($0) * spacing - 5 }, requiresGrad: true)
}

func doubles(_ tensor: Tensor) -> [Double] { tensor.data.map(Double.init) }

/// Element-wise |actual - expected| <= absolute + relative * |expected|.
func expectClose(
    _ actual: [Float], _ expected: [Double], absolute: Double = 1e-5, relative: Double = 1e-5,
    _ what: String = "values", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    var worst = (excess: 0.0, index: -1)
    for index in actual.indices {
        let bound = absolute + relative * abs(expected[index])
        let difference = abs(Double(actual[index]) - expected[index])
        let excess = difference == 0 ? 0 : difference / bound
        if !(excess <= worst.excess) && !worst.excess.isNaN { worst = (excess, index) }
    }
    #expect(
        worst.excess <= 1,
        "\(what)[\(worst.index)] = \(worst.index >= 0 ? Double(actual[worst.index]) : 0), expected \(worst.index >= 0 ? expected[worst.index] : 0)",
        sourceLocation: sourceLocation)
}
