/// Reads the binary version of CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html): each batch file is a
/// sequence of 3073-byte records, one label byte (0...9) then 32x32 pixels of red, then green, then blue
/// (channel-major, rows top to bottom: CHW).
enum CIFAR10Reader {
    static let channels = 3
    static let side = 32
    static let recordSize = 1 + 3 * 32 * 32
    /// The folder the CIFAR-10 archive unpacks to; the loader also looks inside it.
    static let subfolder = "cifar-10-batches-bin"
    static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    static let testFiles = ["test_batch.bin"]

    /// Reads one batch file (plain or gzip).
    static func readBatch(atPath path: String, classes: Int = 10) throws -> RawImageSet {
        try parseBatch(FileReader.contents(atPath: path), path: path, classes: classes)
    }

    static func parseBatch(_ bytes: [UInt8], path: String, classes: Int) throws -> RawImageSet {
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw DatasetError.wrongRecordSize(path: path, size: bytes.count, recordSize: recordSize)
        }
        let count = bytes.count / recordSize
        let imageSize = recordSize - 1
        var labels = [Int32](repeating: 0, count: count)
        var badLabel: (index: Int, label: Int)?
        let pixels = [UInt8](unsafeUninitializedCapacity: count * imageSize) { buffer, initialized in
            bytes.withUnsafeBufferPointer { source in
                for record in 0..<count {
                    let start = record * recordSize
                    let label = Int(source[start])
                    if label >= classes && badLabel == nil { badLabel = (record, label) }
                    labels[record] = Int32(label)
                    let target = UnsafeMutableBufferPointer(
                        rebasing: buffer[(record * imageSize)..<((record + 1) * imageSize)])
                    _ = target.initialize(from: source[(start + 1)..<(start + recordSize)])
                }
            }
            initialized = count * imageSize
        }
        if let badLabel {
            throw DatasetError.labelOutOfRange(
                path: path, index: badLabel.index, label: badLabel.label, classes: classes)
        }
        return RawImageSet(pixels: pixels, labels: labels, count: count, channels: channels, height: side, width: side)
    }

    /// The directory holding the batch files: `directory` itself, or its `cifar-10-batches-bin` folder when
    /// only that one has them all.
    static func batchDirectory(in directory: String) -> String {
        let all = trainFiles + testFiles
        let nested = directory + "/" + subfolder
        if !all.allSatisfy({ FileReader.isFile(directory + "/" + $0) })
            && all.allSatisfy({ FileReader.isFile(nested + "/" + $0) }) {
            return nested
        }
        return directory
    }
}
