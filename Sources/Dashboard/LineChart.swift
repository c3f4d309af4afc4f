/// A line chart with y-axis labels, an x-axis and a legend, drawn in the glyph set's dots (braille
/// 2x4 a cell, half blocks 1x2, ASCII 1x1).
struct LineChart {
    struct Series {
        var name: String
        var color: ThemeColor
        /// (x, y) points; nil y breaks the line.
        var points: [(x: Double, y: Double?)]
    }

    /// What is plotted ("loss"), first in the legend.
    var title: String
    var series: [Series]
    var yRange: ClosedRange<Double>
    var xRange: ClosedRange<Double>
    var yLabel: (Double) -> String = Format.axis
    var xUnit = "step"

    static let axisWidth = 6

    /// Draws into `rect`; below 5 rows the legend and the x-axis give way to the plot.
    func draw(_ canvas: Canvas, in rect: Rect) {
        guard rect.width > Self.axisWidth + 4, rect.height >= 1 else { return }
        let compact = rect.height < 5
        var x = rect.x + Self.axisWidth + 1
        if !compact { x = canvas.text(title + "  ", x: x, y: rect.y, style: canvas.style(.label, bold: true), clip: rect) }
        for item in series where !compact {
            x = canvas.text(canvas.glyphs == .ascii ? "- " : "━ ", x: x, y: rect.y, style: canvas.style(item.color), clip: rect)
            x = canvas.text(item.name + "  ", x: x, y: rect.y, style: canvas.style(.label), clip: rect)
        }
        let plot = Rect(x: rect.x + Self.axisWidth + 1, y: rect.y + (compact ? 0 : 1), width: rect.width - Self.axisWidth - 1,
                        height: rect.height - (compact ? 0 : 2))
        guard !plot.isEmpty else { return }
        drawAxes(canvas, plot: plot, rect: rect, withXAxis: !compact)
        var dots = DotCanvas(width: plot.width, height: plot.height, glyphs: canvas.glyphs)
        for (index, item) in series.enumerated() { dots.plot(item.points, series: index, xRange: xRange, yRange: yRange) }
        for row in 0..<plot.height {
            for column in 0..<plot.width {
                guard let (character, seriesIndex) = dots.cell(column: column, row: row) else { continue }
                canvas.set(character, x: plot.x + column, y: plot.y + row, style: canvas.style(series[seriesIndex].color))
            }
        }
    }

    private func drawAxes(_ canvas: Canvas, plot: Rect, rect: Rect, withXAxis: Bool) {
        let label = canvas.style(.label), line = canvas.style(.border)
        let vertical: Character = canvas.glyphs == .ascii ? "|" : "┤"
        let labelRows = plot.height >= 5 ? [0, plot.height / 2, plot.height - 1] : [0, plot.height - 1]
        for row in 0..<plot.height {
            canvas.set(labelRows.contains(row) ? vertical : (canvas.glyphs == .ascii ? "|" : "│"), x: plot.x - 1, y: plot.y + row, style: line)
        }
        for row in Set(labelRows) {
            let fraction = plot.height > 1 ? 1 - Double(row) / Double(plot.height - 1) : 1
            let value = yRange.lowerBound + fraction * (yRange.upperBound - yRange.lowerBound)
            canvas.text(yLabel(value).leftPadded(to: Self.axisWidth - 1), x: rect.x, y: plot.y + row, style: label, clip: rect)
        }
        guard withXAxis else { return }
        let axisY = plot.maxY
        canvas.set(canvas.glyphs == .ascii ? "+" : "└", x: plot.x - 1, y: axisY, style: line)
        let low = String(Int(xRange.lowerBound)), high = "\(Int(xRange.upperBound)) \(xUnit)s"
        canvas.text(low, x: plot.x, y: axisY, style: label, clip: rect)
        canvas.text(high, x: plot.maxX - high.count, y: axisY, style: label, clip: rect)
    }
}

/// Dots in a grid of cells; each cell remembers the last series drawn into it (its colour).
struct DotCanvas {
    let width: Int, height: Int
    let glyphs: GlyphSet
    private let perColumn: Int, perRow: Int
    private var dots: [Bool]
    private var owner: [Int]

    init(width: Int, height: Int, glyphs: GlyphSet) {
        (self.width, self.height, self.glyphs) = (width, height, glyphs)
        (perColumn, perRow) = glyphs.dotsPerCell
        dots = Array(repeating: false, count: width * perColumn * height * perRow)
        owner = Array(repeating: -1, count: width * height)
    }

    private var dotWidth: Int { width * perColumn }
    private var dotHeight: Int { height * perRow }

    /// Plots a series as connected line segments.
    mutating func plot(_ points: [(x: Double, y: Double?)], series: Int, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>) {
        let xSpan = max(xRange.upperBound - xRange.lowerBound, 1e-12), ySpan = max(yRange.upperBound - yRange.lowerBound, 1e-12)
        var previous: (Int, Int)?
        for point in points {
            guard let y = point.y, y.isFinite, point.x.isFinite else { previous = nil; continue }
            let current = (Self.dot((point.x - xRange.lowerBound) / xSpan, of: dotWidth),
                           Self.dot(1 - (y - yRange.lowerBound) / ySpan, of: dotHeight))
            if let previous { line(from: previous, to: current, series: series) } else { set(current.0, current.1, series: series) }
            previous = current
        }
    }

    /// The dot at `fraction` (0...1) of `count` dots; fractions outside (points off the chart) give the edge.
    private static func dot(_ fraction: Double, of count: Int) -> Int {
        let position = (fraction * Double(count - 1)).rounded()
        return position > 0 ? Int(min(position, Double(count - 1))) : 0
    }

    private mutating func line(from start: (Int, Int), to end: (Int, Int), series: Int) {
        var (x, y) = start
        let dx = abs(end.0 - x), dy = -abs(end.1 - y)
        let sx = x < end.0 ? 1 : -1, sy = y < end.1 ? 1 : -1
        var error = dx + dy
        while true {
            set(x, y, series: series)
            if x == end.0 && y == end.1 { break }
            let doubled = 2 * error
            if doubled >= dy { error += dy; x += sx }
            if doubled <= dx { error += dx; y += sy }
        }
    }

    private mutating func set(_ x: Int, _ y: Int, series: Int) {
        dots[y * dotWidth + x] = true
        owner[(y / perRow) * width + x / perColumn] = series
    }

    /// The character and series of a cell, nil when no dot is set in it.
    func cell(column: Int, row: Int) -> (Character, Int)? {
        let series = owner[row * width + column]
        guard series >= 0 else { return nil }
        var cellDots: [Bool] = []
        for dotRow in 0..<perRow {
            for dotColumn in 0..<perColumn {
                cellDots.append(dots[(row * perRow + dotRow) * dotWidth + column * perColumn + dotColumn])
            }
        }
        return (glyphs.chartCharacter(cellDots), series)
    }
}
