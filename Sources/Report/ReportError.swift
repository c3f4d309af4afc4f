/// Why a report could not be made, naming the file or argument.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case unreadable(String, String)
    /// A file that is there but cannot be understood (the path, what is wrong).
    case damaged(String, String)

    public var description: String {
        switch self {
        case .notFound(let argument):
            return "no run folder or experiment table '\(argument)': pass runs/NAME, results/NAME.csv or an experiment table's name"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .damaged(let path, let reason): return "\(path) is damaged: \(reason)"
        }
    }
}
