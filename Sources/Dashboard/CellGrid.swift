/// How a cell is drawn: colours from the theme (nil = the terminal's default) and attributes.
public struct Style: Equatable, Hashable, Sendable {
    public var foreground: RGB?
    public var background: RGB?
    public var bold = false
    public var dim = false
    public var reverse = false
    public var underline = false

    public init(foreground: RGB? = nil, background: RGB? = nil, bold: Bool = false, dim: Bool = false,
                reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()
}

/// One character cell of the screen. Every glyph the dashboard draws is one column wide.
public struct Cell: Equatable, Sendable {
    public var character: Character
    public var style: Style

    public init(_ character: Character = " ", style: Style = .plain) {
        self.character = character
        self.style = style
    }
}

/// The frame in memory (ratatui's Buffer): panels draw into it, a `Screen` shows it, tests read it as text.
public struct CellGrid: Equatable, Sendable {
    public let size: GridSize
    private(set) var cells: [Cell]

    public init(size: GridSize, fill: Cell = Cell()) {
        self.size = GridSize(width: max(0, size.width), height: max(0, size.height))
        cells = Array(repeating: fill, count: self.size.width * self.size.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * size.width + x] }
        set { cells[y * size.width + x] = newValue }
    }

    func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < size.width && y < size.height }

    /// Writes `text` from (x, y) rightwards, clipped to `clip` (default: the whole grid). Returns the
    /// column after the last character written.
    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, clip: Rect? = nil) -> Int {
        let bounds = clip ?? Rect(x: 0, y: 0, width: size.width, height: size.height)
        guard y >= bounds.y, y < bounds.maxY else { return x + text.count }
        var column = x
        for character in text {
            if column >= bounds.maxX { break }
            if column >= bounds.x, contains(x: column, y: y) { self[column, y] = Cell(character, style: style) }
            column += 1
        }
        return column
    }

    /// Sets the style of every cell of `rect` without touching the characters.
    mutating func restyle(_ rect: Rect, _ change: (inout Style) -> Void) {
        let (columns, rows) = clamped(rect)
        for y in rows { for x in columns { change(&self[x, y].style) } }
    }

    /// Fills `rect` with `cell`.
    mutating func fill(_ rect: Rect, with cell: Cell) {
        let (columns, rows) = clamped(rect)
        for y in rows { for x in columns { self[x, y] = cell } }
    }

    private func clamped(_ rect: Rect) -> (Range<Int>, Range<Int>) {
        let x0 = min(max(0, rect.x), size.width), y0 = min(max(0, rect.y), size.height)
        return (x0..<max(x0, min(size.width, rect.maxX)), y0..<max(y0, min(size.height, rect.maxY)))
    }

    /// Row `y` as text (trailing spaces kept).
    public func row(_ y: Int) -> String { String(cells[(y * size.width)..<((y + 1) * size.width)].map(\.character)) }

    /// The whole grid as text, one line per row, trailing spaces trimmed: what snapshot tests compare.
    public var text: String {
        (0..<size.height).map { y in
            var line = row(y)
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// The column of the first occurrence of `needle` on row `y`, if any.
    public func column(of needle: String, inRow y: Int) -> Int? {
        guard let range = row(y).range(of: needle) else { return nil }
        return row(y).distance(from: row(y).startIndex, to: range.lowerBound)
    }
}
