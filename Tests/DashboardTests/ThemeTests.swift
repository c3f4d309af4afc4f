import Foundation
import Testing
@testable import Dashboard

/// Theme files: the shipped ones parse, bad ones are refused with their line, colours degrade by depth.
struct ThemeTests {
    static let themesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("themes")

    @Test func theShippedThemesParseWithEveryKey() throws {
        let catalog = try ThemeCatalog.load(directory: Self.themesDirectory, preferred: nil)
        #expect(catalog.themes.map(\.name) == ["default", "light", "mono16"])
        for theme in catalog.themes {
            #expect(theme[.gradientLow] != nil && theme[.gradientHigh] != nil, "\(theme.name) has no gradient")
            #expect(theme[.veto] != nil && theme[.trainLoss] != nil)
        }
        #expect(catalog.themes[0][.title] == RGB(hex: "#61AFEF"))
        #expect(catalog.themes[0][.background] == nil, "an empty value is the terminal default")
    }

    @Test func aPreferredThemeComesFirstAndAMissingOneIsRefused() throws {
        #expect(try ThemeCatalog.load(directory: Self.themesDirectory, preferred: "light").themes.first?.name == "light")
        #expect(throws: ThemeError.self) { try ThemeCatalog.load(directory: Self.themesDirectory, preferred: "neon") }
    }

    @Test func aBadLineIsRefusedWithItsNumber() {
        let cases: [(String, Int, String)] = [
            ("# fine\nforeground = \"#FFFFFF\"\ntitle = \"#12345\"\n", 3, "is not a colour"),
            ("title = \"#123456\"\n\nwobble = \"#000000\"", 3, "unknown key 'wobble'"),
            ("title = #123456", 1, "must be quoted"),
            ("title \"#123456\"", 1, "expected key ="),
            ("title = \"#123456\"\ntitle = \"#654321\"", 2, "set twice"),
        ]
        for (text, line, reason) in cases {
            do {
                _ = try Theme.parse(text, name: "bad", file: "bad.theme")
                Issue.record("accepted a bad theme: \(text)")
            } catch let error as ThemeError {
                #expect(error.line == line, "\(error)")
                #expect(error.description.hasPrefix("bad.theme:\(line): "))
                #expect(error.reason.contains(reason), "\(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func aBadFileInTheDirectoryRefusesTheCatalog() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "title = \"#FFFFFF\"\nborder = \"red\"\n".write(to: directory.appendingPathComponent("broken.theme"), atomically: true, encoding: .utf8)
        #expect(throws: ThemeError(file: directory.appendingPathComponent("broken.theme").path, line: 2,
                                   reason: "'red' is not a colour: write \"#RRGGBB\"")) {
            try ThemeCatalog.load(directory: directory, preferred: nil)
        }
    }

    @Test func coloursDegradeTrueColorTo256To16() throws {
        let orange = try #require(RGB(hex: "#FF8700"))
        #expect(ColorDepth.trueColor.colorNumber(for: orange) == 0xFF8700)
        #expect(ColorDepth.palette256.colorNumber(for: orange) == 208, "xterm 208 is #FF8700")
        #expect(ColorDepth.palette256.colorNumber(for: RGB(red: 128, green: 128, blue: 128)) == 244, "greys use the grey ramp")
        #expect(ColorDepth.palette16.colorNumber(for: orange) == 9 || ColorDepth.palette16.colorNumber(for: orange) == 3)
        #expect(ColorDepth.palette16.colorNumber(for: RGB(red: 0, green: 0, blue: 0)) == 0)
        #expect(ColorDepth.palette16.colorNumber(for: RGB(red: 250, green: 250, blue: 250)) == 15)
        #expect(ColorDepth.monochrome.colorNumber(for: orange) == nil)
    }

    @Test func theTerminalReportDecidesTheDepthAndNoColorWins() {
        #expect(ColorDepth.forTerminal(colors: 1 << 24, noColor: false) == .trueColor)
        #expect(ColorDepth.forTerminal(colors: 256, noColor: false) == .palette256)
        #expect(ColorDepth.forTerminal(colors: 16, noColor: false) == .palette16)
        #expect(ColorDepth.forTerminal(colors: 8, noColor: false) == .palette16)
        #expect(ColorDepth.forTerminal(colors: 256, noColor: true) == .monochrome)
        #expect(ColorDepth.forTerminal(colors: 2, noColor: false) == .monochrome)
    }

    @Test func theGradientRunsLowMidHigh() throws {
        let theme = try Theme.parse("gradient_low = \"#000000\"\ngradient_mid = \"#808080\"\ngradient_high = \"#FFFFFF\"", name: "g", file: "g")
        #expect(theme.gradient(0) == RGB(red: 0, green: 0, blue: 0))
        #expect(theme.gradient(0.5) == RGB(red: 128, green: 128, blue: 128))
        #expect(theme.gradient(1) == RGB(red: 255, green: 255, blue: 255))
        #expect(Theme.terminalDefault.gradient(0.5) == nil)
    }
}
