/// A frame being drawn: the grid plus the theme and glyph set the panels draw with.
final class Canvas {
    private(set) var grid: CellGrid
    let theme: Theme
    let glyphs: GlyphSet

    init(size: GridSize, theme: Theme, glyphs: GlyphSet) {
        self.theme = theme
        self.glyphs = glyphs
        grid = CellGrid(size: size, fill: Cell(" ", style: Style(foreground: theme[.foreground], background: theme[.background])))
    }

    var bounds: Rect { Rect(x: 0, y: 0, width: grid.size.width, height: grid.size.height) }

    /// A style in the theme's colour `color` (on the theme background).
    func style(_ color: ThemeColor, bold: Bool = false, dim: Bool = false, reverse: Bool = false) -> Style {
        Style(foreground: theme[color], background: theme[.background], bold: bold, dim: dim, reverse: reverse)
    }

    @discardableResult
    func text(_ text: String, x: Int, y: Int, style: Style, clip: Rect) -> Int {
        grid.put(text, x: x, y: y, style: style, clip: clip)
    }

    func fill(_ rect: Rect, _ character: Character = " ", style: Style) {
        grid.fill(rect, with: Cell(character, style: style))
    }

    func restyle(_ rect: Rect, _ change: (inout Style) -> Void) { grid.restyle(rect, change) }

    func set(_ character: Character, x: Int, y: Int, style: Style) {
        if grid.contains(x: x, y: y) { grid[x, y] = Cell(character, style: style) }
    }

    /// Draws a bordered panel with its title in the top border; returns the inside.
    @discardableResult
    func panel(_ rect: Rect, title: String) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else { return Rect(x: rect.x, y: rect.y, width: 0, height: 0) }
        let border = glyphs.border, line = style(.border)
        fill(rect, style: style(.foreground))
        for x in (rect.x + 1)..<(rect.maxX - 1) {
            set(border.horizontal, x: x, y: rect.y, style: line)
            set(border.horizontal, x: x, y: rect.maxY - 1, style: line)
        }
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            set(border.vertical, x: rect.x, y: y, style: line)
            set(border.vertical, x: rect.maxX - 1, y: y, style: line)
        }
        set(border.topLeft, x: rect.x, y: rect.y, style: line)
        set(border.topRight, x: rect.maxX - 1, y: rect.y, style: line)
        set(border.bottomLeft, x: rect.x, y: rect.maxY - 1, style: line)
        set(border.bottomRight, x: rect.maxX - 1, y: rect.maxY - 1, style: line)
        text(" \(title) ", x: rect.x + 2, y: rect.y, style: style(.title, bold: true), clip: Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1))
        return rect.inset(1)
    }
}
