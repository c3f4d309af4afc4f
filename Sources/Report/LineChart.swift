/// One value of a series; a nil or non-finite `y` breaks the line (an operation removed from the search).
struct ChartPoint: Equatable {
    var x: Double
    var y: Double?
    /// What the point is, in a dot's tooltip (the series' name when nil).
    var label: String?

    init(x: Double, y: Double?, label: String? = nil) {
        self.x = x
        self.y = y
        self.label = label
    }
}

/// A line chart: series over shared axes, shaded bands (the warm-up) and labelled vertical markers
/// (reduction steps, vetoes). `compact` draws a small multiple: a title inside, fewer ticks, no legend.
struct LineChart {
    struct Series {
        var name: String
        /// The colour class of the page's style sheet (`c-train`, `op-3`, ...).
        var style: String
        var points: [ChartPoint]
        /// Dots at the points instead of a line (per-epoch values over per-step lines).
        var dots = false
        var dotRadius = 2.5
    }

    struct Marker {
        var x: Double
        var label: String
        /// `reduction` or `veto`: the marker's class.
        var style: String
        /// The tooltip.
        var title: String
    }

    struct Band {
        var from: Double
        var to: Double
        var label: String
    }

    /// A mean with its spread: a bar from mean - spread to mean + spread and a tick at the mean.
    struct ErrorBar {
        var x: Double
        var mean: Double
        var spread: Double
        var style: String
        var title: String
    }

    var width = 560.0
    var height = 250.0
    var title: String?
    var series: [Series]
    var markers: [Marker] = []
    var bands: [Band] = []
    var errorBars: [ErrorBar] = []
    var xLabel = ""
    var yLabel = ""
    var xFormat = AxisFormat.plain
    var yFormat = AxisFormat.plain
    /// Fixed domains (small multiples share one); nil: from the data, widened to round ticks.
    var xDomain: (lower: Double, upper: Double)?
    var yDomain: (lower: Double, upper: Double)?
    var legend = true
    var compact = false
    /// Ticks on whole x values only (epochs).
    var wholeX = false

    /// The plot area's edges inside the figure.
    var plotLeft: Double { compact ? 34 : 52 }
    var plotRight: Double { width - (compact ? 6 : 14) }
    var plotTop: Double { compact ? 18 : 28 }
    var plotBottom: Double { height - (compact ? 16 : 34) }

    func svg(label: String) -> String {
        var canvas = SVGCanvas(width: width, height: height)
        let xScale = scale(horizontal: true)
        let yScale = scale(horizontal: false)
        for band in bands where band.to > xScale.lower && band.from < xScale.upper {
            let left = xScale.position(max(band.from, xScale.lower)), right = xScale.position(min(band.to, xScale.upper))
            canvas.rect(x: left, y: plotTop, width: right - left, height: plotBottom - plotTop, class: "band")
            if !compact { canvas.text(band.label, at: Point(x: left + 4, y: plotTop + 12), class: "band-label") }
        }
        drawAxes(&canvas, x: xScale, y: yScale)
        for marker in markers where marker.x >= xScale.lower && marker.x <= xScale.upper {
            let x = xScale.position(marker.x)
            canvas.group(class: "marker \(marker.style)", title: marker.title) { group in
                group.line(Point(x: x, y: plotTop), Point(x: x, y: plotBottom), class: "marker-line")
                if !compact { group.text(marker.label, at: Point(x: x + 2, y: plotTop + 10), class: "marker-label") }
            }
        }
        for bar in errorBars {
            let x = xScale.position(bar.x), low = yScale.position(bar.mean - bar.spread), high = yScale.position(bar.mean + bar.spread)
            let mean = yScale.position(bar.mean)
            canvas.group(class: "error-bar \(bar.style)", title: bar.title) { group in
                group.line(Point(x: x, y: low), Point(x: x, y: high), class: "spread")
                group.line(Point(x: x - 9, y: mean), Point(x: x + 9, y: mean), class: "mean")
            }
        }
        for series in series { draw(series, on: &canvas, x: xScale, y: yScale) }
        if let title { canvas.text(title, at: Point(x: plotLeft, y: 12), class: "panel-title") }
        if legend && !compact { drawLegend(&canvas) }
        return canvas.markup(class: compact ? "chart panel" : "chart", label: label)
    }

    private var tickCount: (x: Int, y: Int) { compact ? (3, 2) : (6, 5) }

    private func scale(horizontal: Bool) -> AxisScale {
        let fixed = horizontal ? xDomain : yDomain
        let (from, to) = horizontal ? (plotLeft, plotRight) : (plotBottom, plotTop)
        if let fixed { return AxisScale(lower: fixed.lower, upper: fixed.upper, from: from, to: to) }
        var values: [Double] = []
        for series in series {
            for point in series.points {
                guard let y = point.y, y.isFinite, point.x.isFinite else { continue }
                values.append(horizontal ? point.x : y)
            }
        }
        for bar in errorBars { values += horizontal ? [bar.x] : [bar.mean - bar.spread, bar.mean + bar.spread] }
        guard let low = values.min(), let high = values.max() else { return AxisScale(lower: 0, upper: 1, from: from, to: to) }
        // The x axis spans the data exactly (steps, epochs); the y axis opens to round ticks.
        let count = horizontal ? tickCount.x : tickCount.y
        let domain = horizontal && high > low ? (low, high) : AxisScale.rounded(lower: low, upper: high, count: count)
        return AxisScale(lower: domain.0, upper: domain.1, from: from, to: to)
    }

    private func drawAxes(_ canvas: inout SVGCanvas, x: AxisScale, y: AxisScale) {
        for tick in AxisScale.ticks(lower: y.lower, upper: y.upper, count: tickCount.y) {
            let position = y.position(tick)
            canvas.line(Point(x: plotLeft, y: position), Point(x: plotRight, y: position), class: "grid")
            canvas.text(yFormat.text(tick), at: Point(x: plotLeft - 4, y: position + 3.5), anchor: .end, class: "tick")
        }
        for tick in AxisScale.ticks(lower: x.lower, upper: x.upper, count: tickCount.x, minimumStep: wholeX ? 1 : 0) {
            let position = x.position(tick)
            canvas.line(Point(x: position, y: plotBottom), Point(x: position, y: plotBottom + 3), class: "axis")
            canvas.text(xFormat.text(tick), at: Point(x: position, y: plotBottom + 13), anchor: .middle, class: "tick")
        }
        canvas.line(Point(x: plotLeft, y: plotBottom), Point(x: plotRight, y: plotBottom), class: "axis")
        canvas.line(Point(x: plotLeft, y: plotTop), Point(x: plotLeft, y: plotBottom), class: "axis")
        if !compact {
            canvas.text(xLabel, at: Point(x: (plotLeft + plotRight) / 2, y: height - 6), anchor: .middle, class: "axis-title")
            canvas.text(yLabel, at: Point(x: 4, y: 14), class: "axis-title")
        }
    }

    /// The series as polylines between its breaks (single points as dots), or as dots.
    private func draw(_ series: Series, on canvas: inout SVGCanvas, x: AxisScale, y: AxisScale) {
        var run: [Point] = []
        func flush() {
            if run.count == 1 { canvas.circle(run[0], radius: 1.5, class: "dot \(series.style)") }
            canvas.polyline(run, class: "series \(series.style)")
            run.removeAll(keepingCapacity: true)
        }
        for point in series.points {
            guard let value = point.y, value.isFinite, point.x.isFinite else {
                flush()
                continue
            }
            let position = Point(x: x.position(point.x), y: y.position(value))
            if series.dots {
                canvas.circle(position, radius: series.dotRadius, class: "dot \(series.style)",
                              title: "\(point.label ?? series.name) \(xFormat.text(point.x)): \(yFormat.text(value))")
            } else {
                run.append(position)
            }
        }
        flush()
    }

    private func drawLegend(_ canvas: inout SVGCanvas) {
        var x = max(plotLeft, 4 + 7 * Double(yLabel.count) + 16)
        // A series named as one before it (the dots over a line) shares its entry.
        var named: Set<String> = []
        for series in series where named.insert(series.name).inserted {
            if series.dots {
                canvas.circle(Point(x: x + 8, y: 10), radius: min(4, series.dotRadius), class: "dot \(series.style)")
            } else {
                canvas.line(Point(x: x, y: 10), Point(x: x + 16, y: 10), class: "swatch \(series.style)")
            }
            canvas.text(series.name, at: Point(x: x + 20, y: 14), class: "legend")
            x += 28 + 6.5 * Double(series.name.count)
        }
    }
}

extension Array where Element == ChartPoint {
    /// At most about `limit` points: every k-th, the last, and each point where a break starts or ends,
    /// so a long series draws the same shape at a fraction of the size.
    func thinned(to limit: Int) -> [ChartPoint] {
        guard count > limit, limit > 1 else { return self }
        let stride = (count + limit - 1) / limit
        var kept: [ChartPoint] = []
        kept.reserveCapacity(limit + 8)
        for index in indices {
            let broken = self[index].y == nil
            let edge = index > 0 && broken != (self[index - 1].y == nil)
            let nextEdge = index + 1 < count && broken != (self[index + 1].y == nil)
            if index % stride == 0 || index == count - 1 || edge || nextEdge { kept.append(self[index]) }
        }
        return kept
    }
}
