/// Everything that can go wrong while reading or preparing a data set. Each case renders as one line that
/// names the file (or directory) and the problem, so the command line can print it as the reason for failing.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read (`reason` is the system's message).
    case unreadable(path: String, reason: String)
    /// The gzip stream is damaged (`reason` is zlib's message, e.g. "invalid block type").
    case corruptGzip(path: String, reason: String)
    /// The gzip stream ends before its end-of-stream marker and trailer.
    case truncatedGzip(path: String)
    /// The first four bytes are not the IDX magic number this file must have.
    case wrongMagic(path: String, found: UInt32, expected: UInt32, format: String)
    /// The header is shorter than the IDX header or declares an unusable shape.
    case badHeader(path: String, reason: String)
    /// The body is not exactly as long as the header declares.
    case wrongBodyLength(path: String, declared: String, expectedBytes: Int, actualBytes: Int)
    /// A label byte is not a class index (0..<classes).
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    /// The image file and the label file disagree on the number of examples.
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
    /// The training and test images have different shapes.
    case shapeMismatch(trainPath: String, train: String, testPath: String, test: String)
    /// A CIFAR-10 batch file whose size is not a whole number of 3073-byte records.
    case wrongRecordSize(path: String, size: Int, recordSize: Int)
    /// A data set's files are not where they were looked for.
    case notFound(kind: DatasetKind, directory: String?, missing: [String])
    /// A caller-supplied setting is unusable (e.g. a training limit larger than the set).
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .corruptGzip(path, reason):
            return "\(path): corrupt gzip data (\(reason))"
        case let .truncatedGzip(path):
            return "\(path): truncated gzip data (the stream ends before its end marker)"
        case let .wrongMagic(path, found, expected, format):
            return "\(path): wrong magic number \(hex(found)), expected \(hex(expected)) (\(format))"
        case let .badHeader(path, reason):
            return "\(path): bad header: \(reason)"
        case let .wrongBodyLength(path, declared, expectedBytes, actualBytes):
            let problem = actualBytes < expectedBytes ? "truncated" : "too long"
            return "\(path): \(problem): header says \(declared) = \(expectedBytes) bytes, body has \(actualBytes)"
        case let .labelOutOfRange(path, index, label, classes):
            return "\(path): label \(label) at index \(index) is out of range 0...\(classes - 1)"
        case let .countMismatch(imagesPath, images, labelsPath, labels):
            return "\(imagesPath) has \(images) images but \(labelsPath) has \(labels) labels"
        case let .shapeMismatch(trainPath, train, testPath, test):
            return "\(trainPath) holds \(train) images but \(testPath) holds \(test) images"
        case let .wrongRecordSize(path, size, recordSize):
            return "\(path): size \(size) bytes is not a multiple of the \(recordSize)-byte CIFAR-10 record"
                + " (1 label byte + 3072 pixel bytes); is this the binary version of CIFAR-10?"
        case let .notFound(kind, directory, missing):
            return DatasetError.notFoundMessage(kind: kind, directory: directory, missing: missing)
        case let .invalidSetting(reason):
            return reason
        }
    }

    private static func notFoundMessage(kind: DatasetKind, directory: String?, missing: [String]) -> String {
        let files = missing.joined(separator: ", ")
        guard let directory else {
            return "\(kind.displayName) needs --data-dir DIR: a directory with \(files)"
        }
        switch kind {
        case .fashionMNIST where directory == DatasetLoader.defaultFashionMNISTDirectory:
            return "Fashion-MNIST not found in \(directory): run `make setup` (installs Debian's"
                + " dataset-fashion-mnist) or pass --data-dir DIR"
        case .fashionMNIST:
            return "Fashion-MNIST not found in \(directory) (missing \(files)): pass --data-dir DIR with those"
                + " files, or run `make setup` and leave out --data-dir to use"
                + " \(DatasetLoader.defaultFashionMNISTDirectory)"
        case .cifar10:
            return "CIFAR-10 not found in \(directory) (nor in its \(CIFAR10Reader.subfolder) folder): missing"
                + " \(files) of the binary version (data_batch_1.bin ... data_batch_5.bin, test_batch.bin);"
                + " pass --data-dir DIR"
        case .mnist, .synthetic:
            return "\(kind.displayName) not found in \(directory): expected \(files); pass --data-dir DIR"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
