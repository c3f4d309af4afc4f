import Foundation

/// Number and time formats shared by the panels.
enum Format {
    /// A probability in four characters: ".125", "1.00".
    static func probability(_ value: Double) -> String {
        guard value.isFinite else { return " nan" }
        if value >= 0.9995 { return "1.00" }
        let thousandths = Int((max(0, value) * 1000).rounded())
        return "." + String(thousandths).leftPadded(to: 3, with: "0")
    }

    /// `value` with `digits` decimals ("nan" and "inf" spelled out).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        return String(format: "%.\(digits)f", value)
    }

    /// A compact axis number: 2.31, 0.875, 12.4, 1.2k.
    static func axis(_ value: Double) -> String {
        guard value.isFinite else { return "nan" }
        let magnitude = abs(value)
        if magnitude >= 10_000 { return fixed(value / 1000, 0) + "k" }
        if magnitude >= 1000 { return fixed(value / 1000, 1) + "k" }
        if magnitude >= 100 { return fixed(value, 0) }
        if magnitude >= 10 { return fixed(value, 1) }
        return fixed(value, 2)
    }

    /// Seconds as m:ss or h:mm:ss.
    static func duration(_ seconds: Double) -> String {
        guard seconds >= 0, let total = Int(exactly: seconds.rounded()) else { return "--:--" }
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let mmss = String(minutes).leftPadded(to: hours > 0 ? 2 : 1, with: "0") + ":" + String(secs).leftPadded(to: 2, with: "0")
        return hours > 0 ? "\(hours):\(mmss)" : mmss
    }

    /// A rate with an SI prefix: "12.3 G", "850 M".
    static func si(_ value: Double) -> String {
        guard value.isFinite else { return "nan " }
        for (scale, prefix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(value) >= scale {
            return axis(value / scale) + " " + prefix
        }
        return axis(value) + " "
    }
}

extension String {
    /// The string padded on the left to `width` characters (unchanged when already as wide).
    func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    /// The string padded on the right, or cut, to exactly `width` characters.
    func fitted(to width: Int) -> String {
        guard width > 0 else { return "" }
        if count > width { return String(prefix(width)) }
        return self + String(repeating: " ", count: width - count)
    }

    func replacingSpaces(with character: Character) -> String { String(map { $0 == " " ? character : $0 }) }
}
