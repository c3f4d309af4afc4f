import Foundation
@testable import Report
import Testing

/// The SVG primitives and charts on known inputs, compared element by element.
struct SVGTests {
    /// Every element `<tag ...>` of `markup` (self-closing, or up to its closing tag), in order.
    static func elements(_ tag: String, in markup: String) -> [String] {
        var found: [String] = []
        var rest = markup[...]
        while let start = rest.range(of: "<\(tag) ") {
            let tail = rest[start.lowerBound...]
            guard let head = tail.firstIndex(of: ">") else { break }
            let end = tail[tail.index(before: head)] == "/" ? tail.index(after: head) : tail.range(of: "</\(tag)>")?.upperBound
            guard let end else { break }
            found.append(String(tail[..<end]))
            rest = tail[end...]
        }
        return found
    }

    /// The texts of the `<text>` elements of one class.
    static func texts(_ markup: String, class name: String) -> [String] {
        elements("text", in: markup).filter { $0.contains("class=\"\(name)\"") }.compactMap { element in
            element.split(separator: ">").dropFirst().first.map { String($0.prefix { $0 != "<" }) }
        }
    }

    @Test func numbersHaveOneDecimalAtMostAndTextIsEscaped() {
        #expect(SVGCanvas.number(12) == "12")
        #expect(SVGCanvas.number(12.25) == "12.3")
        #expect(SVGCanvas.number(96.66666) == "96.7")
        #expect(SVGCanvas.number(-0.3) == "-0.3")
        #expect(SVGCanvas.number(-0.04) == "0")
        #expect(SVGCanvas.number(-1.5) == "-1.5")
        #expect(SVGCanvas.number(.nan) == "0")
        #expect(Markup.escape(#"a<b & "c" 'd'>"#) == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        #expect(Markup.escape("c-1→n2") == "c-1→n2")
    }

    @Test func ticksAreRoundAndLabelsShort() {
        #expect(AxisScale.ticks(lower: 0, upper: 1, count: 5).map { ($0 * 10).rounded() } == [0, 2, 4, 6, 8, 10])
        #expect(AxisScale.ticks(lower: 0, upper: 20, count: 6) == [0, 5, 10, 15, 20])
        #expect(AxisScale.ticks(lower: 0, upper: 3, count: 6, minimumStep: 1) == [0, 1, 2, 3])
        #expect(AxisScale.rounded(lower: 0.63, upper: 2.41, count: 5) == (0.5, 2.5))
        let single = AxisScale.rounded(lower: 2, upper: 2, count: 5)
        #expect(abs(single.lower - 1.8) < 1e-9 && abs(single.upper - 2.2) < 1e-9, "\(single)")
        #expect(AxisFormat.plain.text(5.89e9) == "5.89G")
        #expect(AxisFormat.plain.text(12_000) == "12k")
        #expect(AxisFormat.plain.text(66_154) == "66.2k")
        #expect(AxisFormat.plain.text(0.125) == "0.125")
        #expect(AxisFormat.plain.text(0.6000000000000001) == "0.6")
        #expect(AxisFormat.plain.text(15) == "15")
        #expect(AxisFormat.percent.text(0.5) == "50%")
        #expect(AxisFormat.percent.text(0.8448) == "84.5%")
    }

    /// A 200x100 chart: plot area x 52...186, y 66 (value 0) ... 28 (value 1).
    static let chart = LineChart(
        width: 200, height: 100,
        series: [LineChart.Series(name: "train", style: "c-train",
                                  points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 1), ChartPoint(x: 2, y: nil), ChartPoint(x: 3, y: 0.5)])],
        markers: [LineChart.Marker(x: 1, label: "R1", style: "reduction", title: "reduction step 1")],
        bands: [LineChart.Band(from: 0, to: 0.5, label: "warm-up")],
        xLabel: "epoch", yLabel: "loss", xDomain: (0, 3), yDomain: (0, 1), legend: false, wholeX: true)

    @Test func aLineChartBreaksAtMissingValuesAndPlacesMarksOnItsScale() {
        let svg = Self.chart.svg(label: "loss")
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" width="200" height="100" class="chart" role="img" aria-label="loss">"#))
        #expect(svg.hasSuffix("</svg>"))
        // The line up to the break, then the lone point after it as a dot.
        #expect(Self.elements("polyline", in: svg) == [#"<polyline class="series c-train" points="52,66 96.7,28"/>"#])
        #expect(Self.elements("circle", in: svg) == [#"<circle cx="186" cy="47" r="1.5" class="dot c-train"/>"#])
        #expect(Self.elements("rect", in: svg) == [#"<rect x="52" y="28" width="22.3" height="38" class="band"/>"#])
        #expect(svg.contains(#"<g class="marker reduction"><title>reduction step 1</title><line x1="96.7" y1="28" x2="96.7" y2="66" class="marker-line"/>"#
                             + #"<text x="98.7" y="38" class="marker-label">R1</text></g>"#))
        #expect(Self.texts(svg, class: "tick") == ["0", "0.2", "0.4", "0.6", "0.8", "1", "0", "1", "2", "3"])
        let grid = Self.elements("line", in: svg).filter { $0.contains("class=\"grid\"") }
        #expect(grid.map { $0.components(separatedBy: "y1=\"")[1].prefix { $0 != "\"" } } == ["66", "58.4", "50.8", "43.2", "35.6", "28"])
        #expect(Self.texts(svg, class: "axis-title") == ["epoch", "loss"])
        #expect(Self.texts(svg, class: "band-label") == ["warm-up"])
    }

    @Test func dotsCarryTheirLabelAndTheLegendNamesEachSeriesOnce() {
        var chart = Self.chart
        chart.legend = true
        chart.series = [LineChart.Series(name: "test", style: "c-validation", points: [ChartPoint(x: 1, y: 0.5)]),
                        LineChart.Series(name: "test", style: "c-validation", points: [ChartPoint(x: 1, y: 0.5, label: "epoch one")], dots: true)]
        let svg = chart.svg(label: "x")
        #expect(Self.texts(svg, class: "legend") == ["test"])
        #expect(svg.contains(#"<circle cx="96.7" cy="47" r="2.5" class="dot c-validation"><title>epoch one 1: 0.5</title></circle>"#))
    }

    @Test func aBarChartDrawsOneBarPerValueWithTheNoteAboveTheTallest() {
        let chart = BarChart(width: 200, height: 100, seriesNames: ["bit path", "float path"], styles: ["c-bit", "c-float"],
                             groups: [BarChart.Group(label: "sep3", values: [0.5, 1], note: "2.0x")], yLabel: "ms")
        let svg = chart.svg(label: "latency")
        let bars = Self.elements("rect", in: svg).filter { $0.contains("<title>") }
        // y: 0 at 66, 1 at 28; one slot of 134 centred at 119, bars 28 wide.
        #expect(bars == [#"<rect x="91" y="47" width="26" height="19" class="bar c-bit"><title>sep3 bit path: 0.5</title></rect>"#,
                         #"<rect x="119" y="28" width="26" height="38" class="bar c-float"><title>sep3 float path: 1</title></rect>"#])
        #expect(Self.texts(svg, class: "bar-note") == ["2.0x"])
        #expect(Self.texts(svg, class: "legend") == ["bit path", "float path"])
    }

    @Test func thinningKeepsTheEndsTheBreaksAndAboutTheLimit() {
        let points: [ChartPoint] = (0..<3120).map { index in
            let broken = index >= 1000 && index < 1500
            return ChartPoint(x: Double(index), y: broken ? nil : Double(index % 7))
        }
        let thinned = points.thinned(to: 300)
        #expect(thinned.count <= 310 && thinned.count >= 280, "\(thinned.count)")
        #expect(thinned.first == points.first && thinned.last == points.last)
        let xs: [Double] = thinned.map { $0.x }
        #expect(xs == xs.sorted())
        // The last value before the break and the first after it survive, as does the break itself.
        for x in [999.0, 1000, 1499, 1500] { #expect(thinned.contains { $0.x == x }, "x = \(x)") }
        #expect(points.prefix(200).map { $0 }.thinned(to: 300) == Array(points.prefix(200)))
    }
}
