import Testing
@testable import Tensor

/// The tests' form of `GradientCheck.run`: every input's report becomes an expectation.
extension GradientCheck {
    static func check(
        _ inputs: [Tensor], tolerance: Tolerance = .smooth, seed: UInt64 = 99,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ build: ([Tensor]) -> Tensor
    ) {
        for report in run(inputs, tolerance: tolerance, seed: seed, build) {
            #expect(report.passed, "\(report)", sourceLocation: sourceLocation)
        }
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
