/// The characters charts, bars and borders are drawn with: braille (2x4 dots a cell), block (half
/// blocks, 1x2) or plain ASCII for terminals and fonts without either. `g` cycles them.
public enum GlyphSet: String, CaseIterable, Sendable {
    case braille, block, ascii

    /// Sub-cell resolution of chart points: (columns, rows) of dots per cell.
    var dotsPerCell: (columns: Int, rows: Int) {
        switch self {
        case .braille: return (2, 4)
        case .block: return (1, 2)
        case .ascii: return (1, 1)
        }
    }

    /// The character for a cell's dots; `dots[row * columns + column]` as `dotsPerCell` lays them out.
    func chartCharacter(_ dots: [Bool]) -> Character {
        switch self {
        case .braille:
            // Unicode braille: dots 1-2-3-7 down the left column, 4-5-6-8 down the right.
            let bits = [0x01, 0x08, 0x02, 0x10, 0x04, 0x20, 0x40, 0x80]
            var value = 0
            for (index, on) in dots.enumerated() where on { value |= bits[index] }
            return Character(Unicode.Scalar(0x2800 + value) ?? " ")
        case .block:
            switch (dots[0], dots[1]) {
            case (true, true): return "█"
            case (true, false): return "▀"
            case (false, true): return "▄"
            case (false, false): return " "
            }
        case .ascii:
            return dots[0] ? "*" : " "
        }
    }

    /// A horizontal bar of `fraction` (0...1) of `width` cells, with eighth-cell resolution where the
    /// glyphs allow it.
    func bar(_ fraction: Double, width: Int) -> String {
        guard width > 0 else { return "" }
        let f = fraction.isFinite ? min(1, max(0, fraction)) : 0
        if self == .ascii {
            let filled = Int((f * Double(width)).rounded())
            return String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        }
        let eighths = Int((f * Double(width * 8)).rounded())
        let partials: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var text = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { text.append(partials[eighths % 8]) }
        return text + String(repeating: " ", count: max(0, width - text.count))
    }

    var border: BorderGlyphs { self == .ascii ? .ascii : .rounded }
    var arrow: String { self == .ascii ? "->" : "→" }
    var removedMark: Character { self == .ascii ? "." : "·" }
    var vetoMark: Character { self == .ascii ? "x" : "✗" }
    var keptMark: Character { self == .ascii ? "*" : "★" }

    /// The next set in the `g` cycle.
    var next: GlyphSet {
        let all = GlyphSet.allCases
        return all[((all.firstIndex(of: self) ?? 0) + 1) % all.count]
    }
}

/// Box-drawing characters of a panel border.
struct BorderGlyphs {
    let horizontal: Character, vertical: Character
    let topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character

    static let rounded = BorderGlyphs(horizontal: "─", vertical: "│", topLeft: "╭", topRight: "╮", bottomLeft: "╰", bottomRight: "╯")
    static let ascii = BorderGlyphs(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+")
}
