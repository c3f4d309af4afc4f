/// A self-contained HTML page: the style sheet and every figure inline, no script, nothing fetched, so the
/// file opens offline in any browser and can be mailed or archived alone.
struct HTMLPage {
    var title: String
    var subtitle: String
    private(set) var body: [String] = []

    init(title: String, subtitle: String) {
        self.title = title
        self.subtitle = subtitle
    }

    mutating func section(id: String, title: String, _ parts: [String]) {
        body.append("<section id=\"\(id)\">\n<h2>\(Markup.escape(title))</h2>\n" + parts.joined(separator: "\n") + "\n</section>")
    }

    var html: String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Markup.escape(title))</title>
        <style>
        \(Self.styleSheet)
        </style>
        </head>
        <body>
        <h1>\(Markup.escape(title))</h1>
        <p class="subtitle">\(Markup.escape(subtitle))</p>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }

    /// A figure: its content (SVG or a note) and a caption.
    static func figure(id: String, caption: String, _ content: String) -> String {
        "<figure id=\"\(id)\">\n\(content)\n<figcaption>\(Markup.escape(caption))</figcaption>\n</figure>"
    }

    /// A figure that has nothing to draw yet, with the reason.
    static func emptyFigure(id: String, reason: String) -> String {
        "<figure id=\"\(id)\" class=\"empty\">\n\(note(reason))\n</figure>"
    }

    static func note(_ text: String) -> String { "<p class=\"note\">\(Markup.escape(text))</p>" }

    static func paragraph(_ text: String) -> String { "<p>\(Markup.escape(text))</p>" }

    static func row(_ parts: [String]) -> String { "<div class=\"row\">\n" + parts.joined(separator: "\n") + "\n</div>" }

    static func heading(_ text: String) -> String { "<h3>\(Markup.escape(text))</h3>" }

    /// A table cell's text and how it is set.
    struct Cell {
        var text: String
        var numeric = false
        var code = false

        static func number(_ text: String) -> Cell { Cell(text: text, numeric: true) }
        static func code(_ text: String) -> Cell { Cell(text: text, code: true) }
    }

    /// A table; no header row when `header` is empty.
    static func table(id: String? = nil, class name: String? = nil, header: [String], rows: [[Cell]]) -> String {
        let open = "<table" + (id.map { " id=\"\($0)\"" } ?? "") + (name.map { " class=\"\($0)\"" } ?? "") + ">"
        let head = header.isEmpty ? [] : ["<tr>" + header.map { "<th>\(Markup.escape($0))</th>" }.joined() + "</tr>"]
        let lines = rows.map { row in
            "<tr>" + row.map { cell -> String in
                let text = cell.code ? "<code>\(Markup.escape(cell.text))</code>" : Markup.escape(cell.text)
                return cell.numeric ? "<td class=\"num\">\(text)</td>" : "<td>\(text)</td>"
            }.joined() + "</tr>"
        }
        return ([open] + head + lines + ["</table>"]).joined(separator: "\n")
    }

    /// Two columns, a name and its value.
    static func keyValues(id: String, _ pairs: [(String, Cell)]) -> String {
        table(id: id, class: "key-values", header: [], rows: pairs.map { [Cell(text: $0.0), $0.1] })
    }

    /// A colour key in HTML, for figures of many panels that share one.
    static func legend(_ items: [(name: String, style: String)]) -> String {
        let keys = items.map { "<span class=\"key \($0.style)\"></span>\(Markup.escape($0.name))" }
        return "<p class=\"legend-row\">" + keys.joined(separator: " ") + "</p>"
    }

    /// Colours: Tableau 10, one per candidate operation (`op-0` ... `op-7` in `OperationKind` order) and per
    /// experiment group; series and marks take theirs through these classes.
    static let styleSheet = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff;margin:0 auto;max-width:1240px;padding:12px 24px 40px}
    h1{font-size:22px;margin:10px 0 2px}
    h2{font-size:18px;margin:30px 0 8px;padding-bottom:4px;border-bottom:1px solid #ddd}
    h3{font-size:14.5px;margin:14px 0 4px}
    .subtitle{color:#555;margin:0 0 10px}
    figure{margin:6px 0 14px}
    figcaption{color:#555;font-size:12.5px;max-width:980px}
    .row{display:flex;flex-wrap:wrap;gap:10px 22px;align-items:flex-start}
    .row>figure{flex:1 1 520px;max-width:600px;min-width:0}
    .node-row{display:flex;flex-wrap:wrap;gap:2px 6px}
    svg{max-width:100%;height:auto}
    svg text{font-family:inherit}
    .grid{stroke:#e8e8e8}
    .axis{stroke:#888}
    .tick{font-size:10.5px;fill:#555}
    .axis-title,.legend{font-size:11.5px;fill:#333}
    .panel-title{font-size:10.5px;font-weight:600;fill:#333}
    .band{fill:#f4efe1}
    .band-label{font-size:10.5px;fill:#8a7a50}
    .marker-line{stroke-width:1;stroke-dasharray:3 3}
    .marker-label{font-size:9.5px}
    .reduction{stroke:#c0392b;fill:#c0392b}
    .veto{stroke:#7d3c98;fill:#7d3c98}
    .marker-label{stroke:none}
    .c-train,.op-1,.g-random{stroke:#4e79a7;fill:#4e79a7}
    .c-validation,.op-4,.g-searched{stroke:#e15759;fill:#e15759}
    .c-bit,.op-6,.g-published{stroke:#59a14f;fill:#59a14f}
    .c-float,.op-5,.g-ablation{stroke:#b07aa1;fill:#b07aa1}
    .op-0{stroke:#bab0ac;fill:#bab0ac}
    .op-2,.g-training-noise{stroke:#76b7b2;fill:#76b7b2}
    .op-3,.g-full-precision{stroke:#f28e2b;fill:#f28e2b}
    .op-7,.g-vetoed{stroke:#9c755f;fill:#9c755f}
    polyline.series{fill:none;stroke-width:1.4;stroke-linejoin:round}
    .panel polyline.series{stroke-width:1.1}
    line.swatch{stroke-width:2.5}
    .dot{stroke:#fff;stroke-width:.6}
    .bar{stroke:none}
    .bar-note{font-size:10.5px;fill:#333}
    .box{fill-opacity:.3;stroke-width:.8}
    .box-label{font-size:10.5px;fill:#222}
    .error-bar line{stroke-width:2}
    .key{display:inline-block;width:16px;height:3px;margin:0 4px 3px 12px;vertical-align:middle}
    .key.op-0{background:#bab0ac}.key.op-1{background:#4e79a7}.key.op-2{background:#76b7b2}.key.op-3{background:#f28e2b}
    .key.op-4{background:#e15759}.key.op-5{background:#b07aa1}.key.op-6{background:#59a14f}.key.op-7{background:#9c755f}
    .key.reduction{background:#c0392b}.key.veto{background:#7d3c98}
    .legend-row{font-size:12.5px;margin:2px 0 6px}
    table{border-collapse:collapse;font-size:13px;margin:4px 0 10px}
    th,td{padding:3px 14px 3px 0;text-align:left;vertical-align:top}
    th{font-weight:600;border-bottom:1px solid #ccc}
    td.num{text-align:right;font-variant-numeric:tabular-nums}
    .key-values td:first-child{color:#555;white-space:nowrap}
    .wide{overflow-x:auto}
    .wide td{white-space:nowrap}
    code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;word-break:break-word}
    .note{color:#7a4500;background:#fff6e5;border-left:3px solid #e0a030;padding:4px 10px;margin:6px 0}
    """
}
