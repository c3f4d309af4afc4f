import Foundation
import Network

/// A run's config.json as the report lists it: every key, sorted, with its value as written.
struct ConfigurationTable: Equatable {
    struct Entry: Equatable {
        var key: String
        var value: String
    }

    var entries: [Entry]

    /// The table of `url`; nil when there is no such file (a run that has not written it yet).
    static func read(_ url: URL) throws -> ConfigurationTable? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ReportError.unreadable(url.path, (error as NSError).localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    static func parse(_ data: Data, path: String) throws -> ConfigurationTable {
        let object: [String: JSONValue]
        do { object = try JSONDecoder().decode([String: JSONValue].self, from: data) } catch {
            throw ReportError.damaged(path, "not a JSON object (\(JSONErrorReason.describe(error)))")
        }
        return ConfigurationTable(entries: object.keys.sorted().map { Entry(key: $0, value: object[$0]?.text ?? "") })
    }
}

/// Any JSON value, for listing a file whose keys the report does not need to know.
indirect enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The value as a line of text: numbers as short as they are exact, nested values in JSON-like brackets.
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .string(let value): return value
        case .array(let values): return "[" + values.map(\.text).joined(separator: ", ") + "]"
        case .object(let values): return "{" + values.keys.sorted().map { "\($0): \(values[$0]?.text ?? "")" }.joined(separator: ", ") + "}"
        }
    }
}
