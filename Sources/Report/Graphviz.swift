import Foundation

/// Graphviz's `dot`, found on PATH, turning the cells' .dot files into SVG for the report.
public struct Graphviz: Sendable {
    /// The `dot` executable; nil when it is not installed.
    public let executable: URL?

    /// `dot` from the folders of `path` (a PATH value).
    public init(searchPath path: String? = ProcessInfo.processInfo.environment["PATH"]) {
        let folders = (path ?? "").split(separator: ":").map(String.init)
        executable = folders.lazy.map { URL(fileURLWithPath: $0).appendingPathComponent("dot") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Why the report has no cell graphs when `dot` is missing.
    static let missingReason = "the cell graphs are left out: Graphviz's dot is not on PATH (scripts/setup.sh installs graphviz)"

    /// The SVG element of the drawing of `file`; `idPrefix` keeps the ids of two drawings on one page apart.
    /// A file dot cannot read is an error naming it.
    func svg(of file: URL, idPrefix: String) throws -> String {
        guard let executable else { throw ReportError.unreadable(file.path, Self.missingReason) }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-Tsvg", file.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ReportError.unreadable(file.path, "cannot run \(executable.path): \(error.localizedDescription)")
        }
        // The drawing is read before waiting (it may be larger than a pipe holds); dot's messages are a few lines.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let text = String(data: data, encoding: .utf8), let start = text.range(of: "<svg") else {
            let firstLine = String(decoding: errorData, as: UTF8.self).split(separator: "\n").first.map(String.init)
            let message = firstLine ?? "dot exited with \(process.terminationStatus)"
            throw ReportError.damaged(file.path, "Graphviz cannot draw it: \(message)")
        }
        // dot's ids ("graph0", "node1", ...) are the same in every drawing.
        return String(text[start.lowerBound...])
            .replacingOccurrences(of: " id=\"", with: " id=\"\(idPrefix)-").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
