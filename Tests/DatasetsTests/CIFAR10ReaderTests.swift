import Foundation
import Testing

@testable import Datasets

@Suite struct CIFAR10ReaderTests {
    /// Writes five training batches of two records and a test batch of three; record r of batch b has label
    /// (b + r) mod 10 and pixel seed 10 * b + r.
    func writeSet(in directory: TemporaryDirectory, folder: String) throws {
        for (batch, name) in (CIFAR10Reader.trainFiles + CIFAR10Reader.testFiles).enumerated() {
            let records = batch == 5 ? 3 : 2
            let bytes = (0..<records).flatMap { cifarRecord(label: UInt8((batch + $0) % 10), seed: 10 * batch + $0) }
            try directory.write(bytes, to: folder + name)
        }
    }

    @Test(arguments: ["", "cifar-10-batches-bin/"])
    func fakeSetLoadsInCHWOrder(folder: String) throws {
        let directory = try TemporaryDirectory()
        try writeSet(in: directory, folder: folder)
        let splits = try DatasetLoader.load(.cifar10, dataDirectory: directory.path)
        let train = splits.train
        #expect((train.count, train.channels, train.height, train.width) == (10, 3, 32, 32))
        #expect(splits.test.count == 3)
        #expect(train.labels == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5])
        #expect(splits.test.labels == [5, 6, 7])
        #expect(train.classNames[3] == "cat")
        // Training image 5 is record 1 of batch 2 (pixel seed 21): check channel 2, row 7, column 30.
        let offset: Int = 5 * 3072 + 2 * 1024 + 7 * 32 + 30
        let value: Int = 2 * 50 + 7 * 3 + 30 + 21
        let pixel = UInt8(value % 256)
        #expect(train.images[offset] == train.normalization.normalize(pixel, channel: 2))
        #expect(train.normalization.mean.count == 3)
    }

    @Test func wrongSizeIsRejected() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(cifarRecord(label: 1, seed: 0) + [0, 0], to: "data_batch_1.bin")
        #expect(datasetError { try CIFAR10Reader.readBatch(atPath: path) }
            == .wrongRecordSize(path: path, size: 3075, recordSize: 3073))
        let empty = try directory.write([], to: "empty.bin")
        #expect(datasetError { try CIFAR10Reader.readBatch(atPath: empty) }?.description.hasPrefix(
            "\(empty): size 0 bytes is not a multiple of the 3073-byte CIFAR-10 record") == true)
    }

    @Test func labelOutOfRangeIsRejected() {
        let bytes = cifarRecord(label: 3, seed: 0) + cifarRecord(label: 10, seed: 1)
        #expect(datasetError { try CIFAR10Reader.parseBatch(bytes, path: "b", classes: 10) }
            == .labelOutOfRange(path: "b", index: 1, label: 10, classes: 10))
    }

    @Test func missingBatchesAreListed() throws {
        let directory = try TemporaryDirectory()
        try writeSet(in: directory, folder: "")
        try FileManager.default.removeItem(atPath: directory.path + "/data_batch_4.bin")
        let error = datasetError { try DatasetLoader.load(.cifar10, dataDirectory: directory.path) }
        #expect(error == .notFound(kind: .cifar10, directory: directory.path, missing: ["data_batch_4.bin"]))
        #expect(error?.description == "CIFAR-10 not found in \(directory.path)"
            + " (nor in its cifar-10-batches-bin folder):"
            + " missing data_batch_4.bin of the binary version (data_batch_1.bin ... data_batch_5.bin, test_batch.bin);"
            + " pass --data-dir DIR")
    }
}
