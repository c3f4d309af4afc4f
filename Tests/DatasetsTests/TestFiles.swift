import CZlib
import Foundation
import Tensor

@testable import Datasets

/// A fresh temporary directory for one test, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("bnas-datasets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` inside the directory (creating subfolders) and returns the full path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Writes `bytes` gzip-compressed (through zlib's gzwrite) to `name` and returns the full path.
    @discardableResult
    func writeGzip(_ bytes: [UInt8], to name: String) throws -> String {
        let file = path + "/" + name
        guard let handle = gzopen(file, "wb") else { throw TestFileError.gzip(file) }
        let written = bytes.withUnsafeBytes { gzwrite(handle, $0.baseAddress, UInt32($0.count)) }
        guard gzclose(handle) == Z_OK, written == Int32(bytes.count) else { throw TestFileError.gzip(file) }
        return file
    }
}

enum TestFileError: Error { case gzip(String) }

/// Encodes a big-endian IDX file of unsigned bytes.
func idxFile(magic: UInt32 = 0x0000_0800, dimensions: [Int], body: [UInt8]) -> [UInt8] {
    var bytes = [UInt8]()
    let magicWithRank = magic == 0x0000_0800 ? magic | UInt32(dimensions.count) : magic
    for word in [magicWithRank] + dimensions.map(UInt32.init) {
        bytes += [UInt8(word >> 24), UInt8((word >> 16) & 0xFF), UInt8((word >> 8) & 0xFF), UInt8(word & 0xFF)]
    }
    return bytes + body
}

/// `count` images of rows x columns with pixel value (image * 31 + y * 7 + x) mod 256, and labels image mod 10.
func idxImages(count: Int, rows: Int, columns: Int) -> [UInt8] {
    let body = (0..<count).flatMap { image in
        (0..<(rows * columns)).map { UInt8((image * 31 + ($0 / columns) * 7 + $0 % columns) % 256) }
    }
    return idxFile(dimensions: [count, rows, columns], body: body)
}

func idxLabels(count: Int) -> [UInt8] {
    idxFile(dimensions: [count], body: (0..<count).map { UInt8($0 % 10) })
}

/// A CIFAR-10 record: label, then channel c, row y, column x holding (c * 50 + y * 3 + x + seed) mod 256.
func cifarRecord(label: UInt8, seed: Int) -> [UInt8] {
    [label] + (0..<3072).map { offset in
        let (channel, y, x) = (offset / 1024, (offset / 32) % 32, offset % 32)
        return UInt8((channel * 50 + y * 3 + x + seed) % 256)
    }
}

/// Deterministic pseudo-random bytes that compress a little (so a gzip stream has several blocks).
func sampleBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededRNG(seed: seed)
    return (0..<count).map { _ in UInt8(rng.nextInt(below: 16) * 16) }
}

/// Catches the error `body` throws as a `DatasetError` (nil when it throws nothing or something else).
func datasetError<T>(_ body: () throws -> T) -> DatasetError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? DatasetError
    }
}

/// Decompresses a gzip file with zlib's gzread, independently of the code under test.
func gunzip(_ path: String) throws -> [UInt8] {
    guard let handle = gzopen(path, "rb") else { throw TestFileError.gzip(path) }
    defer { gzclose(handle) }
    var output = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { gzread(handle, $0.baseAddress, UInt32($0.count)) }
        guard count >= 0 else { throw TestFileError.gzip(path) }
        if count == 0 { return output }
        output += chunk[0..<Int(count)]
    }
}
