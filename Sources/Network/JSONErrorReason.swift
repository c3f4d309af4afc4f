/// A short reason for a JSON decoding error, for one-line messages (the full `DecodingError`
/// description spans coding paths and debug text).
public enum JSONErrorReason {
    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at '\(path)'"
        default: return "not valid JSON"
        }
    }
}
