import Foundation

/// A linear map from data values to positions along one axis, with round tick values.
struct AxisScale {
    var lower: Double
    var upper: Double
    /// The positions of `lower` and `upper` (for a y axis the first is the larger: SVG's y grows downwards).
    var from: Double
    var to: Double

    func position(_ value: Double) -> Double {
        guard upper > lower else { return (from + to) / 2 }
        return from + (value - lower) / (upper - lower) * (to - from)
    }

    /// Round values from `lower` to `upper`, about `count` of them: steps of 1, 2 or 5 times a power of ten.
    /// `minimumStep` 1 keeps the ticks of a count (epochs) whole.
    static func ticks(lower: Double, upper: Double, count: Int, minimumStep: Double = 0) -> [Double] {
        let step = max(minimumStep, tickStep(span: upper - lower, count: count))
        guard step > 0 else { return [lower] }
        let first = (lower / step).rounded(.up), last = (upper / step).rounded(.down)
        guard first <= last, last - first < 1000 else { return [lower, upper] }
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// The domain that holds `lower...upper` widened to multiples of the tick step; a single value gets
    /// room around it.
    static func rounded(lower: Double, upper: Double, count: Int) -> (lower: Double, upper: Double) {
        var (low, high) = (lower, upper)
        if !(high > low) {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (low - pad, high + pad)
        }
        let step = tickStep(span: high - low, count: count)
        guard step > 0 else { return (low, high) }
        return ((low / step).rounded(.down) * step, (high / step).rounded(.up) * step)
    }

    static func tickStep(span: Double, count: Int) -> Double {
        guard span > 0, span.isFinite, count > 0 else { return 0 }
        let raw = span / Double(count)
        let power = pow(10, (log10(raw)).rounded(.down))
        let multiple = raw / power
        return power * (multiple <= 1 ? 1 : multiple <= 2 ? 2 : multiple <= 5 ? 5 : 10)
    }
}

/// How tick labels and values are written.
enum AxisFormat {
    /// 3 significant digits at most, with k, M and G for thousands, millions and billions.
    case plain
    /// Fractions as percentages: 0.5 -> 50%.
    case percent

    func text(_ value: Double) -> String {
        switch self {
        case .percent: return Self.compact(value * 100) + "%"
        case .plain:
            let magnitude = abs(value)
            if magnitude >= 1e9 { return Self.compact(value / 1e9) + "G" }
            if magnitude >= 1e6 { return Self.compact(value / 1e6) + "M" }
            if magnitude >= 1e3 { return Self.compact(value / 1e3) + "k" }
            return Self.compact(value)
        }
    }

    /// Up to 3 significant digits (4 for whole numbers below 10,000), no trailing zeros.
    static func compact(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        if value == value.rounded() && abs(value) < 1e4 { return String(Int(value)) }
        let magnitude = abs(value)
        let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
