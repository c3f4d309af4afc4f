import Testing

@testable import Datasets

@Suite struct GzipTests {
    @Test func gzipAndPlainFilesReadTheSame() throws {
        let directory = try TemporaryDirectory()
        let bytes = sampleBytes(300_000, seed: 1)
        let plain = try directory.write(bytes, to: "plain.bin")
        let compressed = try directory.writeGzip(bytes, to: "compressed.bin")
        #expect(try FileReader.bytes(atPath: compressed).count < bytes.count)
        #expect(try FileReader.contents(atPath: plain) == bytes)
        #expect(try FileReader.contents(atPath: compressed) == bytes)
    }

    @Test func concatenatedMembersAndZeroPaddingAreRead() throws {
        let directory = try TemporaryDirectory()
        let first = sampleBytes(5000, seed: 2)
        let second = sampleBytes(7000, seed: 3)
        let one = try FileReader.bytes(atPath: directory.writeGzip(first, to: "a.gz"))
        let two = try FileReader.bytes(atPath: directory.writeGzip(second, to: "b.gz"))
        #expect(try Gzip.inflate(one + two + [0, 0, 0], path: "ab.gz") == first + second)
    }

    @Test func corruptStreamIsATypedError() throws {
        let directory = try TemporaryDirectory()
        var compressed = try FileReader.bytes(atPath: directory.writeGzip(sampleBytes(100_000, seed: 4), to: "x.gz"))
        for offset in (compressed.count / 2)..<(compressed.count / 2 + 8) { compressed[offset] ^= 0x5A }
        let error = datasetError { try Gzip.inflate(compressed, path: "x.gz") }
        guard case .corruptGzip(let path, let reason) = error else {
            Issue.record("expected corruptGzip, got \(String(describing: error))")
            return
        }
        #expect(path == "x.gz")
        #expect(reason.hasPrefix("inflate: "))
        #expect(error?.description.hasPrefix("x.gz: corrupt gzip data (inflate: ") == true)
    }

    @Test func damagedChecksumIsCaught() throws {
        let directory = try TemporaryDirectory()
        var compressed = try FileReader.bytes(atPath: directory.writeGzip(sampleBytes(1000, seed: 5), to: "y.gz"))
        compressed[compressed.count - 8] ^= 0xFF  // first byte of the CRC-32 in the trailer
        #expect(datasetError { try Gzip.inflate(compressed, path: "y.gz") }
            == .corruptGzip(path: "y.gz", reason: "inflate: incorrect data check"))
    }

    @Test func streamCutShortIsTruncated() throws {
        let directory = try TemporaryDirectory()
        let compressed = try FileReader.bytes(atPath: directory.writeGzip(sampleBytes(50_000, seed: 6), to: "z.gz"))
        for length in [10, compressed.count / 2, compressed.count - 1] {
            #expect(datasetError { try Gzip.inflate(Array(compressed.prefix(length)), path: "z.gz") }
                == .truncatedGzip(path: "z.gz"))
        }
    }

    @Test func trailingGarbageIsRejected() throws {
        let directory = try TemporaryDirectory()
        let compressed = try FileReader.bytes(atPath: directory.writeGzip([1, 2, 3], to: "t.gz"))
        #expect(datasetError { try Gzip.inflate(compressed + [7, 7], path: "t.gz") }
            == .corruptGzip(path: "t.gz", reason: "2 bytes of trailing data after the gzip stream"))
    }

    @Test func missingFileNamesThePathAndReason() {
        let error = datasetError { try FileReader.contents(atPath: "/nonexistent/file.gz") }
        #expect(error?.description == "/nonexistent/file.gz: cannot read: No such file or directory")
    }
}
