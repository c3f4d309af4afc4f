import Foundation

/// The statistics of the experiment tables: mean and sample standard deviation, and Welch's
/// confidence interval for the difference of two means (docs/experiments.md#the-compare-protocol).
public enum Statistics {
    /// Mean and sample standard deviation (0 for a single value).
    public static func meanAndSpread(_ values: [Double]) -> (mean: Double, spread: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }

    /// mean(a) - mean(b) with its two-sided `level` confidence interval by Welch's t-test, which does
    /// not assume the two groups have the same variance. Needs two values in each group; nil otherwise.
    /// When both groups have no spread the interval is the difference itself.
    public static func welchInterval(_ a: [Double], _ b: [Double], level: Double = 0.95)
        -> (difference: Double, low: Double, high: Double, degreesOfFreedom: Double)? {
        guard a.count >= 2, b.count >= 2 else { return nil }
        let (meanA, spreadA) = meanAndSpread(a)
        let (meanB, spreadB) = meanAndSpread(b)
        let (va, vb) = (spreadA * spreadA / Double(a.count), spreadB * spreadB / Double(b.count))
        let difference = meanA - meanB
        let standardError = (va + vb).squareRoot()
        guard standardError > 0 else { return (difference, difference, difference, .infinity) }
        // Welch-Satterthwaite.
        let degreesOfFreedom = (va + vb) * (va + vb) / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
        let t = studentTQuantile(0.5 + level / 2, degreesOfFreedom: degreesOfFreedom)
        return (difference, difference - t * standardError, difference + t * standardError, degreesOfFreedom)
    }

    /// The `p` quantile (0.5 < p < 1) of Student's t distribution, by bisection on `studentTCDF`.
    public static func studentTQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0.5 && p < 1 && nu > 0, "studentTQuantile: p in (0.5, 1) and positive degrees of freedom")
        var (low, high) = (0.0, 1.0)
        while studentTCDF(high, degreesOfFreedom: nu) < p { high *= 2 }
        for _ in 0..<200 where high - low > 1e-12 * high {
            let middle = (low + high) / 2
            if studentTCDF(middle, degreesOfFreedom: nu) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// P(T <= t) for Student's t with `nu` degrees of freedom: 1 - I_x(nu/2, 1/2) / 2 for t >= 0, with
    /// x = nu / (nu + t^2) and I the regularized incomplete beta function.
    public static func studentTCDF(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        let tail = 0.5 * regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// I_x(a, b), from its continued fraction (evaluated by the modified Lentz method) on the side of
    /// x where it converges fast, and the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logFront: Double = a * log(x) + b * log(1 - x) - logBeta
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * betaContinuedFraction(x, a: a, b: b) / a }
        return 1 - exp(logFront) * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction 1 / (1 + d1 / (1 + d2 / (1 + ...))) of the incomplete beta function, with
    /// d(2m+1) = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and d(2m) = m(b-m)x / ((a+2m-1)(a+2m)).
    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...300 {
            let m = Double(m)
            for numerator in [m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                              -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))] {
                d = 1 + numerator * d
                if abs(d) < tiny { d = tiny }
                c = 1 + numerator / c
                if abs(c) < tiny { c = tiny }
                d = 1 / d
                result *= d * c
            }
            if abs(d * c - 1) < 1e-15 { break }
        }
        return result
    }
}
