/// Grouped bars: one group per category (an operation), one bar per series (bit path, float path), a note
/// above each group (the speed-up).
struct BarChart {
    struct Group {
        var label: String
        var values: [Double]
        var note: String
    }

    var width = 560.0
    var height = 250.0
    var seriesNames: [String]
    /// The colour class of each series.
    var styles: [String]
    var groups: [Group]
    var yLabel = ""
    var yFormat = AxisFormat.plain

    let plotLeft = 52.0, plotTop = 28.0
    var plotRight: Double { width - 14 }
    var plotBottom: Double { height - 34 }

    func svg(label: String) -> String {
        var canvas = SVGCanvas(width: width, height: height)
        let largest = groups.flatMap(\.values).filter(\.isFinite).max() ?? 1
        let domain = AxisScale.rounded(lower: 0, upper: max(largest, 1e-12), count: 5)
        let y = AxisScale(lower: 0, upper: domain.upper, from: plotBottom, to: plotTop)
        for tick in AxisScale.ticks(lower: 0, upper: domain.upper, count: 5) {
            let position = y.position(tick)
            canvas.line(Point(x: plotLeft, y: position), Point(x: plotRight, y: position), class: "grid")
            canvas.text(yFormat.text(tick), at: Point(x: plotLeft - 4, y: position + 3.5), anchor: .end, class: "tick")
        }
        let slot = (plotRight - plotLeft) / Double(max(1, groups.count))
        let barWidth = min(28, slot * 0.8 / Double(max(1, seriesNames.count)))
        for (index, group) in groups.enumerated() {
            let center = plotLeft + slot * (Double(index) + 0.5)
            let start = center - barWidth * Double(group.values.count) / 2
            for (series, value) in group.values.enumerated() where value.isFinite {
                let top = y.position(value)
                canvas.rect(x: start + barWidth * Double(series), y: top, width: barWidth - 2, height: plotBottom - top,
                            class: "bar \(styles[series % styles.count])",
                            title: "\(group.label) \(seriesNames[series % seriesNames.count]): \(yFormat.text(value))")
            }
            let tallest = group.values.filter(\.isFinite).max() ?? 0
            canvas.text(group.note, at: Point(x: center, y: y.position(tallest) - 4), anchor: .middle, class: "bar-note")
            canvas.text(group.label, at: Point(x: center, y: plotBottom + 13), anchor: .middle, class: "tick")
        }
        canvas.line(Point(x: plotLeft, y: plotBottom), Point(x: plotRight, y: plotBottom), class: "axis")
        canvas.line(Point(x: plotLeft, y: plotTop), Point(x: plotLeft, y: plotBottom), class: "axis")
        canvas.text(yLabel, at: Point(x: 4, y: 14), class: "axis-title")
        var x = max(plotLeft, 4 + 7 * Double(yLabel.count) + 16)
        for (index, name) in seriesNames.enumerated() {
            canvas.rect(x: x, y: 5, width: 12, height: 10, class: "bar \(styles[index % styles.count])")
            canvas.text(name, at: Point(x: x + 16, y: 14), class: "legend")
            x += 28 + 6.5 * Double(name.count)
        }
        return canvas.markup(class: "chart", label: label)
    }
}
