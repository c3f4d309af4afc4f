import Foundation

/// The named colours a theme file sets. A key left out, or set to `""`, is the terminal's default.
public enum ThemeColor: String, CaseIterable, Sendable {
    case background, foreground, border, title, label, dim, accent
    case cursor, warning, error, ok, veto
    case gradientLow = "gradient_low", gradientMid = "gradient_mid", gradientHigh = "gradient_high"
    case trainLoss = "train_loss", validationLoss = "validation_loss"
    case trainAccuracy = "train_accuracy", validationAccuracy = "validation_accuracy"
    case bar, statusBackground = "status_background", statusForeground = "status_foreground"
}

/// Why a theme file was refused: the file, the line and what is wrong there.
public struct ThemeError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let reason: String

    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}

/// A colour theme (btop-style): plain data read from `themes/NAME.theme`, lines of `key = "#RRGGBB"`,
/// `#` comments and blank lines.
public struct Theme: Equatable, Sendable {
    public let name: String
    private var colors: [ThemeColor: RGB]

    public init(name: String, colors: [ThemeColor: RGB] = [:]) {
        self.name = name
        self.colors = colors
    }

    /// The theme with no colours at all: everything in the terminal's defaults (what `NO_COLOR` shows).
    public static let terminalDefault = Theme(name: "terminal")

    public subscript(color: ThemeColor) -> RGB? { colors[color] }

    /// The heat-map colour of `value` in 0...1, through low, mid and high; nil when the theme has no gradient.
    func gradient(_ value: Double) -> RGB? {
        guard let low = colors[.gradientLow], let high = colors[.gradientHigh] else { return nil }
        let v = value.isFinite ? min(1, max(0, value)) : 0
        guard let mid = colors[.gradientMid] else { return low.mixed(with: high, v) }
        return v < 0.5 ? low.mixed(with: mid, v * 2) : mid.mixed(with: high, (v - 0.5) * 2)
    }

    /// Parses a theme file's text; `file` names it in errors.
    public static func parse(_ text: String, name: String, file: String) throws -> Theme {
        var colors: [ThemeColor: RGB] = [:]
        var seen: Set<ThemeColor> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            func fail(_ reason: String) -> ThemeError { ThemeError(file: file, line: index + 1, reason: reason) }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else { throw fail("expected key = \"#RRGGBB\", got '\(line)'") }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard let color = ThemeColor(rawValue: key) else {
                throw fail("unknown key '\(key)' (known: \(ThemeColor.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard !seen.contains(color) else { throw fail("'\(key)' is set twice") }
            seen.insert(color)
            guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else {
                throw fail("the value of '\(key)' must be quoted: \"#RRGGBB\" or \"\" for the terminal default")
            }
            let inner = String(value.dropFirst().dropLast())
            if inner.isEmpty { continue }
            guard let rgb = RGB(hex: inner) else { throw fail("'\(inner)' is not a colour: write \"#RRGGBB\"") }
            colors[color] = rgb
        }
        return Theme(name: name, colors: colors)
    }

    /// Parses a theme file's bytes, which must be UTF-8 text.
    public static func parse(_ data: Data, name: String, file: String) throws -> Theme {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ThemeError(file: file, line: 0, reason: "not UTF-8 text")
        }
        return try parse(text, name: name, file: file)
    }

    /// Reads and parses `url` (the theme is named after the file).
    public static func load(_ url: URL) throws -> Theme {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ThemeError(file: url.path, line: 0, reason: "cannot read the theme file")
        }
        return try parse(data, name: url.deletingPathExtension().lastPathComponent, file: url.path)
    }
}

/// The themes of a `themes/` directory, the chosen one first; `t` cycles through them.
public struct ThemeCatalog: Sendable {
    public let themes: [Theme]

    /// Loads every `*.theme` of `directory` (sorted by name). `preferred` must exist when given; without
    /// it `default` comes first. A bad file is an error naming its line. A missing directory gives the
    /// terminal-default theme alone, unless a theme was asked for.
    public static func load(directory: URL, preferred: String?) throws -> ThemeCatalog {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        var themes = try files.filter { $0.pathExtension == "theme" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map(Theme.load)
        let first = preferred ?? "default"
        if let index = themes.firstIndex(where: { $0.name == first }) {
            themes.insert(themes.remove(at: index), at: 0)
        } else if let preferred {
            throw ThemeError(file: directory.appendingPathComponent("\(preferred).theme").path, line: 0,
                             reason: "no such theme (found: \(themes.map(\.name).joined(separator: ", ")))")
        }
        return ThemeCatalog(themes: themes.isEmpty ? [.terminalDefault] : themes)
    }

    public init(themes: [Theme]) { self.themes = themes.isEmpty ? [.terminalDefault] : themes }
}
