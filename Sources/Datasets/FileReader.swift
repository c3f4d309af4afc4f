import Foundation

/// Reads whole data files into memory: plain files as they are, gzip files (recognised by their first two
/// bytes, whatever their name) inflated through zlib.
enum FileReader {
    /// The file's contents, inflated when it is gzip-compressed.
    static func contents(atPath path: String) throws -> [UInt8] {
        try contents(ofFile: bytes(atPath: path), path: path)
    }

    /// The contents of a file whose raw bytes are `bytes`: inflated when they are gzip. `path` names it in errors.
    static func contents(ofFile bytes: [UInt8], path: String) throws -> [UInt8] {
        Gzip.isGzip(bytes) ? try Gzip.inflate(bytes, path: path) : bytes
    }

    /// The file's raw bytes, read with POSIX calls so errors carry the system's reason.
    static func bytes(atPath path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw systemError(path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError(path) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw DatasetError.unreadable(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        var readError: DatasetError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = 0
            guard let base = buffer.baseAddress else { return }
            while initialized < size {
                let count = read(descriptor, base + initialized, size - initialized)
                if count < 0 && errno == EINTR { continue }
                if count < 0 {
                    readError = systemError(path)
                    return
                }
                if count == 0 { return }
                initialized += count
            }
        }
        if let readError { throw readError }
        return bytes
    }

    private static func systemError(_ path: String) -> DatasetError {
        .unreadable(path: path, reason: String(cString: strerror(errno)))
    }

    /// True when `path` names an existing regular file (or a link to one).
    static func isFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }
}
