import Testing

@testable import Datasets

@Suite struct IDXReaderTests {
    /// Writes the four MNIST-layout files (train: 30 images of 5x4, test: 10), gzipped or plain.
    func writeSet(in directory: TemporaryDirectory, gzip: Bool, separator: String = "-") throws {
        let files = [
            ("train-images", "idx3", idxImages(count: 30, rows: 5, columns: 4)),
            ("train-labels", "idx1", idxLabels(count: 30)),
            ("t10k-images", "idx3", idxImages(count: 10, rows: 5, columns: 4)),
            ("t10k-labels", "idx1", idxLabels(count: 10)),
        ]
        for (name, kind, bytes) in files {
            let fileName = "\(name)\(separator)\(kind)-ubyte"
            if gzip {
                try directory.writeGzip(bytes, to: fileName + ".gz")
            } else {
                try directory.write(bytes, to: fileName)
            }
        }
    }

    @Test(arguments: [(false, "-"), (true, "-"), (false, "."), (true, ".")])
    func setRoundTrips(gzip: Bool, separator: String) throws {
        let directory = try TemporaryDirectory()
        try writeSet(in: directory, gzip: gzip, separator: separator)
        let splits = try DatasetLoader.load(.mnist, dataDirectory: directory.path)
        let train = splits.train
        #expect((train.count, train.channels, train.height, train.width) == (30, 1, 5, 4))
        #expect(splits.test.count == 10)
        #expect(train.labels == (0..<30).map { Int32($0 % 10) })
        #expect(train.classNames == DatasetKind.mnist.classNames)
        // Image 7, row 3, column 2 holds (7 * 31 + 3 * 7 + 2) mod 256.
        let value: Int = 7 * 31 + 3 * 7 + 2
        let pixel = UInt8(value % 256)
        #expect(train.images[7 * 20 + 3 * 4 + 2] == train.normalization.normalize(pixel, channel: 0))
        #expect(splits.test.normalization == train.normalization)
    }

    @Test func rawPixelsAreTheBody() throws {
        let bytes = idxImages(count: 3, rows: 2, columns: 2)
        let images = try IDXReader.parseImages(bytes, path: "images")
        #expect(images.pixels == Array(bytes[16...]))
        #expect((images.count, images.height, images.width) == (3, 2, 2))
    }

    @Test func wrongMagicIsNamed() {
        let labelsAsImages = idxLabels(count: 4)
        let error = datasetError { try IDXReader.parseImages(labelsAsImages, path: "train-images-idx3-ubyte.gz") }
        #expect(error?.description
            == "train-images-idx3-ubyte.gz: wrong magic number 0x00000801, expected 0x00000803 (IDX images)")
        let floats = idxFile(magic: 0x0000_0D03, dimensions: [1, 1, 1], body: [0, 0, 0, 0])
        #expect(datasetError { try IDXReader.parseImages(floats, path: "f") }
            == .wrongMagic(path: "f", found: 0x0D03, expected: 0x0803, format: "IDX images"))
    }

    @Test func emptyDimensionIsABadHeader() {
        let bytes = idxFile(dimensions: [10, 0, 28], body: [])
        #expect(datasetError { try IDXReader.parseImages(bytes, path: "i") }?.description
            == "i: bad header: 10 images of 0x28")
        #expect(datasetError { try IDXReader.parseLabels(idxFile(dimensions: [0], body: []), path: "l", classes: 10) }
            == .badHeader(path: "l", reason: "0 labels"))
    }

    @Test func shortHeaderIsABadHeader() {
        let bytes = Array(idxImages(count: 1, rows: 1, columns: 1).prefix(10))
        #expect(datasetError { try IDXReader.parseImages(bytes, path: "i") }?.description
            == "i: bad header: file has 10 bytes, shorter than the 16-byte header")
        #expect(datasetError { try IDXReader.parseImages([0, 0], path: "i") }
            == .badHeader(path: "i", reason: "file has 2 bytes, no magic number"))
    }

    @Test func bodyLengthMustMatchExactly() {
        let full = idxImages(count: 60, rows: 28, columns: 28)
        let short = Array(full.prefix(16 + 1000))
        #expect(datasetError { try IDXReader.parseImages(short, path: "train-images-idx3-ubyte") }?.description
            == "train-images-idx3-ubyte: truncated: header says 60 images of 28x28 = 47040 bytes, body has 1000")
        #expect(datasetError { try IDXReader.parseImages(full + [0], path: "i") }
            == .wrongBodyLength(path: "i", declared: "60 images of 28x28", expectedBytes: 47040, actualBytes: 47041))
        let shortLabels = Array(idxLabels(count: 9).dropLast())
        #expect(datasetError { try IDXReader.parseLabels(shortLabels, path: "l", classes: 10) }
            == .wrongBodyLength(path: "l", declared: "9 labels", expectedBytes: 9, actualBytes: 8))
    }

    @Test func hugeDimensionsDoNotOverflow() {
        let bytes = idxFile(dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], body: [1])
        #expect(datasetError { try IDXReader.parseImages(bytes, path: "i") }
            == .badHeader(path: "i", reason: "4294967295 images of 4294967295x4294967295 is too large"))
    }

    @Test func labelOutOfRangeIsNamed() {
        let bytes = idxFile(dimensions: [4], body: [1, 9, 10, 3])
        #expect(datasetError { try IDXReader.parseLabels(bytes, path: "labels", classes: 10) }?.description
            == "labels: label 10 at index 2 is out of range 0...9")
    }

    @Test func labelCountMustMatchImageCount() throws {
        let directory = try TemporaryDirectory()
        try writeSet(in: directory, gzip: false)
        let labels = try directory.write(idxLabels(count: 29), to: "train-labels-idx1-ubyte")
        let images = directory.path + "/train-images-idx3-ubyte"
        #expect(datasetError { try DatasetLoader.load(.mnist, dataDirectory: directory.path) }
            == .countMismatch(imagesPath: images, images: 30, labelsPath: labels, labels: 29))
    }

    @Test func trainAndTestShapesMustAgree() throws {
        let directory = try TemporaryDirectory()
        try writeSet(in: directory, gzip: false)
        try directory.write(idxImages(count: 10, rows: 4, columns: 5), to: "t10k-images-idx3-ubyte")
        let error = datasetError { try DatasetLoader.load(.mnist, dataDirectory: directory.path) }
        #expect(error?.description == "\(directory.path)/train-images-idx3-ubyte holds 5x4 images but "
            + "\(directory.path)/t10k-images-idx3-ubyte holds 4x5 images")
    }

    @Test func corruptGzipFileIsNamed() throws {
        let directory = try TemporaryDirectory()
        try writeSet(in: directory, gzip: true)
        let path = directory.path + "/train-images-idx3-ubyte.gz"
        let compressed = try FileReader.bytes(atPath: path)
        try directory.write(Array(compressed.prefix(compressed.count - 6)), to: "train-images-idx3-ubyte.gz")
        #expect(datasetError { try DatasetLoader.load(.mnist, dataDirectory: directory.path) }
            == .truncatedGzip(path: path))
        var flipped = compressed
        for offset in 12..<20 { flipped[offset] ^= 0xA5 }
        try directory.write(flipped, to: "train-images-idx3-ubyte.gz")
        let error = datasetError { try DatasetLoader.load(.mnist, dataDirectory: directory.path) }
        #expect(error?.description.hasPrefix("\(path): corrupt gzip data (inflate: ") == true)
    }

    @Test func plainFileIsPreferredAndGzipIsRecognisedByContent() throws {
        let directory = try TemporaryDirectory()
        try directory.writeGzip(idxLabels(count: 3), to: "a-idx1-ubyte")
        #expect(IDXReader.locate("a", kind: "idx1", in: directory.path) == directory.path + "/a-idx1-ubyte")
        #expect(try IDXReader.readLabels(atPath: directory.path + "/a-idx1-ubyte", classes: 10) == [0, 1, 2])
        #expect(IDXReader.locate("b", kind: "idx1", in: directory.path) == nil)
    }
}
