/// A 24-bit colour, as theme files write it (`"#RRGGBB"`).
public struct RGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Parses `#RRGGBB` (case-insensitive); nil for anything else.
    public init?(hex text: String) {
        let digits = Array(text.utf8)
        guard digits.count == 7, digits[0] == UInt8(ascii: "#"),
              let value = UInt32(String(decoding: digits[1...], as: UTF8.self), radix: 16) else { return nil }
        red = UInt8((value >> 16) & 0xFF)
        green = UInt8((value >> 8) & 0xFF)
        blue = UInt8(value & 0xFF)
    }

    public var description: String {
        "#" + [red, green, blue].map { String($0, radix: 16).uppercased().leftPadded(to: 2, with: "0") }.joined()
    }

    /// Linear mix: `self` at 0, `other` at 1.
    func mixed(with other: RGB, _ fraction: Double) -> RGB {
        let f = min(1, max(0, fraction))
        func channel(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * f).rounded()) }
        return RGB(red: channel(red, other.red), green: channel(green, other.green), blue: channel(blue, other.blue))
    }

    func distanceSquared(to other: RGB) -> Int {
        let dr = Int(red) - Int(other.red), dg = Int(green) - Int(other.green), db = Int(blue) - Int(other.blue)
        return dr * dr + dg * dg + db * db
    }
}

/// How many colours the terminal can show; a theme's colours are degraded to it.
public enum ColorDepth: String, CaseIterable, Sendable {
    /// 24-bit colour (a terminfo entry with direct colour, e.g. TERM=xterm-direct).
    case trueColor
    /// The xterm 256-colour palette.
    case palette256
    /// The 16 ANSI colours (8 on the oldest terminals: the bright half then maps to its dark twin).
    case palette16
    /// No colour: `NO_COLOR` is set or the terminal has none; only bold, dim and reverse remain.
    case monochrome

    /// The depth for a terminal reporting `colors` colours (ncurses' COLORS), unless `noColor`.
    public static func forTerminal(colors: Int, noColor: Bool) -> ColorDepth {
        if noColor || colors < 8 { return .monochrome }
        if colors >= 1 << 24 { return .trueColor }
        if colors >= 256 { return .palette256 }
        return .palette16
    }

    /// The terminal colour number for `color` at this depth (the RGB value itself at true colour);
    /// nil at `.monochrome`.
    public func colorNumber(for color: RGB) -> Int? {
        switch self {
        case .trueColor: return Int(color.red) << 16 | Int(color.green) << 8 | Int(color.blue)
        case .palette256: return Palette.nearest256(color)
        case .palette16: return Palette.nearest16(color)
        case .monochrome: return nil
        }
    }
}

/// The standard xterm palettes the degradation maps into.
enum Palette {
    /// The 16 ANSI colours as xterm draws them.
    static let ansi16: [RGB] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ].map { RGB(red: $0.0, green: $0.1, blue: $0.2) }

    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// Nearest of the 6x6x6 cube (16...231) and the grey ramp (232...255); the first 16 are left out
    /// because terminals redefine them.
    static func nearest256(_ color: RGB) -> Int {
        func level(_ value: UInt8) -> Int {
            cubeLevels.indices.min { abs(cubeLevels[$0] - Int(value)) < abs(cubeLevels[$1] - Int(value)) } ?? 0
        }
        let (r, g, b) = (level(color.red), level(color.green), level(color.blue))
        let cube = RGB(red: UInt8(cubeLevels[r]), green: UInt8(cubeLevels[g]), blue: UInt8(cubeLevels[b]))
        let average = (Int(color.red) + Int(color.green) + Int(color.blue)) / 3
        let greyStep = min(23, max(0, (average - 8 + 5) / 10))
        let greyValue = UInt8(8 + 10 * greyStep)
        let grey = RGB(red: greyValue, green: greyValue, blue: greyValue)
        if grey.distanceSquared(to: color) < cube.distanceSquared(to: color) { return 232 + greyStep }
        return 16 + 36 * r + 6 * g + b
    }

    static func nearest16(_ color: RGB) -> Int {
        ansi16.indices.min { ansi16[$0].distanceSquared(to: color) < ansi16[$1].distanceSquared(to: color) } ?? 7
    }
}
