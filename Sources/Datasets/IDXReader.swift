/// Reads the IDX files of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a big-endian header
/// (magic number 0x000008DD, with 08 = unsigned bytes and DD = the number of dimensions, then one UInt32 per
/// dimension) followed by the body, which must be exactly as long as the dimensions say.
enum IDXReader {
    /// Magic number of an image file: unsigned bytes, 3 dimensions (count, rows, columns).
    static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of a label file: unsigned bytes, 1 dimension (count).
    static let labelsMagic: UInt32 = 0x0000_0801

    /// The spellings under which a file `NAME` of kind `idx3` (or `idx1`) is looked for, in this order.
    static func candidateNames(_ name: String, kind: String) -> [String] {
        ["\(name)-\(kind)-ubyte", "\(name)-\(kind)-ubyte.gz", "\(name).\(kind)-ubyte", "\(name).\(kind)-ubyte.gz"]
    }

    /// The first existing spelling of `name` in `directory`, or nil.
    static func locate(_ name: String, kind: String, in directory: String) -> String? {
        candidateNames(name, kind: kind).map { directory + "/" + $0 }.first(where: FileReader.isFile)
    }

    /// Reads an image file (plain or gzip) into single-channel raw images; labels are left empty.
    static func readImages(atPath path: String) throws -> RawImageSet {
        try parseImages(FileReader.contents(atPath: path), path: path)
    }

    /// Reads a label file (plain or gzip) and checks every label is below `classes`.
    static func readLabels(atPath path: String, classes: Int) throws -> [Int32] {
        try parseLabels(FileReader.contents(atPath: path), path: path, classes: classes)
    }

    static func parseImages(_ bytes: [UInt8], path: String) throws -> RawImageSet {
        let dimensions = try header(bytes, path: path, magic: imagesMagic, format: "IDX images", rank: 3)
        let (count, rows, columns) = (dimensions[0], dimensions[1], dimensions[2])
        guard count > 0, rows > 0, columns > 0 else {
            throw DatasetError.badHeader(path: path, reason: "\(count) images of \(rows)x\(columns)")
        }
        let declared = "\(count) images of \(rows)x\(columns)"
        let size = try bodySize(dimensions, path: path, declared: declared)
        try checkBody(bytes, path: path, headerSize: 16, declared: declared, size: size)
        return RawImageSet(
            pixels: Array(bytes[16...]), labels: [], count: count, channels: 1, height: rows, width: columns)
    }

    static func parseLabels(_ bytes: [UInt8], path: String, classes: Int) throws -> [Int32] {
        let count = try header(bytes, path: path, magic: labelsMagic, format: "IDX labels", rank: 1)[0]
        guard count > 0 else { throw DatasetError.badHeader(path: path, reason: "0 labels") }
        try checkBody(bytes, path: path, headerSize: 8, declared: "\(count) labels", size: count)
        if let index = bytes[8...].firstIndex(where: { Int($0) >= classes }) {
            throw DatasetError.labelOutOfRange(path: path, index: index - 8, label: Int(bytes[index]), classes: classes)
        }
        return bytes[8...].map { Int32($0) }
    }

    /// Checks the magic number and returns the `rank` dimensions that follow it.
    private static func header(
        _ bytes: [UInt8], path: String, magic: UInt32, format: String, rank: Int
    ) throws -> [Int] {
        let headerSize = 4 * (rank + 1)
        guard bytes.count >= 4 else {
            throw DatasetError.badHeader(path: path, reason: "file has \(bytes.count) bytes, no magic number")
        }
        let found = bigEndianWord(bytes, at: 0)
        guard found == magic else {
            throw DatasetError.wrongMagic(path: path, found: found, expected: magic, format: format)
        }
        guard bytes.count >= headerSize else {
            throw DatasetError.badHeader(
                path: path, reason: "file has \(bytes.count) bytes, shorter than the \(headerSize)-byte header")
        }
        return (1...rank).map { Int(bigEndianWord(bytes, at: 4 * $0)) }
    }

    /// The product of the dimensions, or an error when it does not fit in memory's address range.
    private static func bodySize(_ dimensions: [Int], path: String, declared: String) throws -> Int {
        try dimensions.reduce(1) { product, dimension in
            let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw DatasetError.badHeader(path: path, reason: "\(declared) is too large") }
            return result
        }
    }

    private static func checkBody(_ bytes: [UInt8], path: String, headerSize: Int, declared: String, size: Int) throws {
        guard bytes.count - headerSize == size else {
            throw DatasetError.wrongBodyLength(
                path: path, declared: declared, expectedBytes: size, actualBytes: bytes.count - headerSize)
        }
    }

    private static func bigEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(0) { ($0 << 8) | UInt32($1) }
    }
}
