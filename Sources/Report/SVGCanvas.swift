/// A point of a figure in SVG user units (y grows downwards).
struct Point: Equatable {
    var x: Double
    var y: Double
}

/// The markup of one SVG figure, built element by element in drawing order. Numbers are written with one
/// decimal at most, finer than a pixel and short enough for long series; colours and strokes come from the
/// page's style sheet through `class` names, so the figures stay small and restyle together.
struct SVGCanvas {
    enum Anchor: String {
        case start, middle, end
    }

    let width: Double
    let height: Double
    private(set) var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func line(_ from: Point, _ to: Point, class name: String) {
        elements.append("<line x1=\"\(Self.number(from.x))\" y1=\"\(Self.number(from.y))\" x2=\"\(Self.number(to.x))\" y2=\"\(Self.number(to.y))\""
                        + " class=\"\(name)\"/>")
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, class name: String, title: String? = nil) {
        let open = "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" class=\"\(name)\""
        elements.append(open + Self.closing("rect", title: title))
    }

    /// A polyline through `points`; nothing for fewer than two (a single point is drawn as a dot by the caller).
    mutating func polyline(_ points: [Point], class name: String) {
        guard points.count >= 2 else { return }
        var text = "<polyline class=\"\(name)\" points=\""
        for (index, point) in points.enumerated() {
            if index > 0 { text += " " }
            text += Self.number(point.x) + "," + Self.number(point.y)
        }
        elements.append(text + "\"/>")
    }

    mutating func circle(_ center: Point, radius: Double, class name: String, title: String? = nil) {
        let open = "<circle cx=\"\(Self.number(center.x))\" cy=\"\(Self.number(center.y))\" r=\"\(Self.number(radius))\" class=\"\(name)\""
        elements.append(open + Self.closing("circle", title: title))
    }

    mutating func text(_ content: String, at point: Point, anchor: Anchor = .start, class name: String = "label") {
        let anchorAttribute = anchor == .start ? "" : " text-anchor=\"\(anchor.rawValue)\""
        elements.append("<text x=\"\(Self.number(point.x))\" y=\"\(Self.number(point.y))\"\(anchorAttribute) class=\"\(name)\">"
                        + Markup.escape(content) + "</text>")
    }

    /// Elements inside a group, e.g. a cell of a table with its tooltip.
    mutating func group(class name: String, title: String? = nil, _ body: (inout SVGCanvas) -> Void) {
        var inner = SVGCanvas(width: width, height: height)
        body(&inner)
        let head = "<g class=\"\(name)\">" + (title.map { "<title>\(Markup.escape($0))</title>" } ?? "")
        elements.append(head + inner.elements.joined() + "</g>")
    }

    /// The `<svg>` element: scalable (viewBox), `label` read out by screen readers and shown by no browser.
    func markup(class name: String, label: String) -> String {
        let size = "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\""
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" \(size) class=\"\(name)\" role=\"img\" aria-label=\"\(Markup.escape(label))\">"
            + elements.joined(separator: "\n") + "</svg>"
    }

    private static func closing(_ element: String, title: String?) -> String {
        title.map { "><title>\(Markup.escape($0))</title></\(element)>" } ?? "/>"
    }

    /// `value` with at most one decimal and no trailing zero: 12, 12.5, -0.3 (non-finite values as 0).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
        let whole = tenths / 10, fraction = abs(tenths % 10)
        let sign = tenths < 0 && whole == 0 ? "-" : ""
        return fraction == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }
}

/// Escaping for text and attribute values of HTML and SVG.
enum Markup {
    static func escape(_ text: String) -> String {
        guard text.contains(where: { "&<>\"'".contains($0) }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.count + 16)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
