import ArgumentParser
import Dashboard
import Foundation

extension GlyphSet: ExpressibleByArgument {}

/// The dashboard's look, shared by every command that opens it (`search`, `replay`).
struct DashboardArguments: ParsableArguments {
    @Option(help: "Colour theme: a NAME.theme file of the themes directory (default, light, mono16, ...).")
    var theme: String?

    @Option(help: "Glyphs for charts and borders: braille, block or ascii (g switches at run time).")
    var glyphs: GlyphSet = .braille

    @Option(name: .customLong("themes-dir"), help: "Directory of the .theme files (default: ./themes, else the package's).")
    var themesDirectory: String?

    var options: DashboardOptions {
        DashboardOptions(theme: theme, glyphs: glyphs,
                         themesDirectory: themesDirectory.map { URL(fileURLWithPath: $0) } ?? DashboardOptions.defaultThemesDirectory())
    }
}
