import Foundation

/// A CSV file read by its header: metrics.csv and the experiment tables (fields may be quoted, with "" for a
/// quote). A last line without its newline is a row still being written and is left out.
struct CSVTable: Equatable {
    var header: [String]
    var rows: [[String]]

    static func read(_ url: URL) throws -> CSVTable {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ReportError.unreadable(url.path, (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ReportError.damaged(url.path, "not UTF-8 text") }
        return try parse(text, path: url.path)
    }

    static func parse(_ text: String, path: String) throws -> CSVTable {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The last element is empty after a final newline, and a row being written otherwise.
        lines.removeLast()
        guard let first = lines.first, !first.isEmpty else { throw ReportError.damaged(path, "no header line") }
        let header = try fields(first, path: path, line: 1)
        var rows: [[String]] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let row = try fields(line, path: path, line: index + 1)
            guard row.count == header.count else {
                throw ReportError.damaged(path, "line \(index + 1) has \(row.count) fields, the header \(header.count)")
            }
            rows.append(row)
        }
        return CSVTable(header: header, rows: rows)
    }

    /// The fields of one line; an unclosed quote is damage.
    static func fields(_ line: String, path: String, line number: Int) throws -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var characters = line.makeIterator()
        while let character = characters.next() {
            if quoted {
                if character == "\"" {
                    guard let next = characters.next() else { quoted = false; break }
                    if next == "\"" { field.append("\"") } else {
                        quoted = false
                        guard next == "," else { throw ReportError.damaged(path, "line \(number): text after a closing quote") }
                        fields.append(field)
                        field = ""
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        guard !quoted else { throw ReportError.damaged(path, "line \(number): a quote is not closed") }
        fields.append(field)
        return fields
    }

    /// The index of a column; a missing one is damage.
    func column(_ name: String, path: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw ReportError.damaged(path, "no '\(name)' column") }
        return index
    }

    /// A number of a row; an empty field is nil, anything else that is not a number is damage.
    static func number(_ field: String, path: String, row: Int) throws -> Double? {
        guard !field.isEmpty else { return nil }
        guard let value = Double(field) else { throw ReportError.damaged(path, "line \(row + 2): '\(field)' is not a number") }
        return value
    }
}
