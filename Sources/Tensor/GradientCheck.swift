/// Finite-difference gradient checking, for the tests of every op and layer.
///
/// The loss is sum(output * R) for fixed random weights R, so that every output element counts
/// (each with its own weight). Autograd runs in Float32; each central difference
/// (L(x + h) - L(x - h)) / 2h evaluates the function in Float32 but accumulates the loss in Double,
/// and divides by the step that Float32 actually took.
public enum GradientCheck {
    public struct Tolerance: Sendable {
        /// Perturbation of each input element.
        public var step: Float
        public var absolute: Double
        public var relative: Double

        public init(step: Float = 1e-2, absolute: Double = 5e-4, relative: Double = 2e-3) {
            self.step = step
            self.absolute = absolute
            self.relative = relative
        }

        /// For functions linear (or piecewise linear) in each input: the difference is exact up to
        /// rounding, so the bound can be tight.
        public static let linear = Tolerance(step: 1e-2, absolute: 3e-4, relative: 1e-3)
        public static let smooth = Tolerance()
    }

    /// The worst element of one input's gradient.
    public struct Report: CustomStringConvertible, Sendable {
        public let input: Int
        public let shape: [Int]
        public let hasGradient: Bool
        public let worstIndex: Int
        public let analytic: Double
        public let numeric: Double
        /// |numeric - analytic| / (absolute + relative * max(|numeric|, |analytic|)); pass when <= 1.
        public let excess: Double

        public var passed: Bool { hasGradient && excess <= 1 }

        public var description: String {
            hasGradient
                ? "input \(input) \(shape): gradient[\(worstIndex)] = \(analytic), finite difference \(numeric)"
                : "input \(input) \(shape) got no gradient"
        }
    }

    /// Compares the autograd gradient of every input that requires one with central differences.
    /// `build` maps the inputs to an output of any shape. Gradients are cleared afterwards.
    public static func run(_ inputs: [Tensor], tolerance: Tolerance = .smooth, seed: UInt64 = 99,
                           _ build: ([Tensor]) -> Tensor) -> [Report] {
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

        var reports: [Report] = []
        for (position, input) in inputs.enumerated() where input.requiresGrad {
            guard input.grad.count == input.count else {
                reports.append(Report(input: position, shape: input.shape, hasGradient: false, worstIndex: -1, analytic: 0, numeric: 0, excess: .infinity))
                continue
            }
            let gradient = input.grad
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
                let analytic = Double(gradient[index])
                let bound = tolerance.absolute + tolerance.relative * max(abs(numeric), abs(analytic))
                let excess = abs(numeric - analytic) / bound
                if !(excess <= worst.excess) && !worst.excess.isNaN { worst = (excess, index, analytic, numeric) }
            }
            reports.append(Report(input: position, shape: input.shape, hasGradient: true, worstIndex: worst.index,
                                  analytic: worst.analytic, numeric: worst.numeric, excess: worst.excess))
        }
        for input in inputs { input.zeroGrad() }
        return reports
    }
}
