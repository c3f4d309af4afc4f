import Foundation

/// Errors of the run folder, with the path and what to do.
public enum RunFolderError: Error, CustomStringConvertible, Equatable {
    case exists(String)
    case invalidName(String)
    case cannotWrite(String, String)
    case cannotRead(String, String)
    /// A file of the run that is there but cannot be understood.
    case damaged(String, String)

    public var description: String {
        switch self {
        case .exists(let path): return "\(path) already exists: pass another --run NAME (bnas never overwrites a run)"
        case .invalidName(let name): return "invalid run name '\(name)': use letters, digits, '-', '_' and '.' only"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        case .cannotRead(let path, let reason): return "cannot read \(path): \(reason)"
        case .damaged(let path, let reason): return "\(path) is damaged: \(reason)"
        }
    }
}

/// `runs/<name>/`: every search or training writes its files here (docs/design.md#run-folder documents them).
/// Files are replaced atomically (written to a temporary file, flushed, renamed), so an interrupted
/// write never leaves a half file behind.
public struct RunFolder: Sendable {
    public let name: String
    public let url: URL

    /// A new run folder under `root`; `name` defaults to a timestamp. Refuses to reuse an existing folder.
    public static func create(name: String?, root: URL = URL(fileURLWithPath: "runs")) throws -> RunFolder {
        let chosen = name ?? timestampName()
        guard !chosen.isEmpty, chosen != ".", chosen != "..",
              chosen.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else { throw RunFolderError.invalidName(chosen) }
        let url = root.appendingPathComponent(chosen)
        if FileManager.default.fileExists(atPath: url.path) { throw RunFolderError.exists(url.path) }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotWrite(url.path, error.localizedDescription)
        }
        return RunFolder(name: chosen, url: url)
    }

    /// An existing run folder (for resume, eval, export).
    public init(existing path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunFolderError.cannotRead(path, "no such run folder")
        }
        url = URL(fileURLWithPath: path)
        name = url.lastPathComponent
    }

    init(name: String, url: URL) {
        self.name = name
        self.url = url
    }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `data` to `name` atomically: temporary file, fsync, rename over the old file.
    public func write(_ data: Data, to name: String) throws {
        try AtomicFile.write(data, to: file(name))
    }

    /// Writes a value as pretty, key-sorted JSON.
    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(encoder.encode(value), to: name)
    }

    /// Appends one line to a text file (metrics.csv), creating it with `header` first if new.
    public func appendLine(_ line: String, to name: String, header: String) throws {
        let target = file(name)
        if !FileManager.default.fileExists(atPath: target.path) {
            try write(Data((header + "\n").utf8), to: name)
        }
        do {
            let handle = try FileHandle(forWritingTo: target)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data((line + "\n").utf8))
        } catch {
            throw RunFolderError.cannotWrite(target.path, error.localizedDescription)
        }
    }

    static func timestampName() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: Date())
    }
}

/// Crash-safe file replacement.
public enum AtomicFile {
    public static func write(_ data: Data, to target: URL) throws {
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw RunFolderError.cannotWrite(temporary.path, "cannot create file")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, target.path) != 0 {
                throw RunFolderError.cannotWrite(target.path, String(cString: strerror(errno)))
            }
        } catch let error as RunFolderError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RunFolderError.cannotWrite(target.path, error.localizedDescription)
        }
    }
}
