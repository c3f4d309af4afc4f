import CZlib

/// Whole-file gzip decompression through zlib. The data sets are small enough (the largest, Fashion-MNIST's
/// training images, inflates to 47 MB) to inflate into memory in one go.
enum Gzip {
    /// True when `bytes` start with the gzip magic number 0x1f 0x8b.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a gzip file's bytes (several concatenated members are allowed, as `gzip -d` allows them;
    /// zero padding after the last member is ignored). `path` only names the file in errors.
    static func inflate(_ compressed: [UInt8], path: String) throws -> [UInt8] {
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else {
            throw DatasetError.corruptGzip(path: path, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: initialCapacity(compressed))
        var consumed = 0
        var produced = 0
        while true {
            if produced == output.count {
                output.append(contentsOf: repeatElement(0, count: output.count))
            }
            let status = step(&stream, input: compressed, consumed: &consumed, output: &output, produced: &produced)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let rest = compressed[consumed...]
                if rest.count >= 2 && rest.starts(with: [0x1F, 0x8B]) {
                    inflateReset(&stream)
                    continue
                }
                guard rest.allSatisfy({ $0 == 0 }) else {
                    throw DatasetError.corruptGzip(
                        path: path, reason: "\(rest.count) bytes of trailing data after the gzip stream")
                }
                output.removeLast(output.count - produced)
                return output
            case Z_BUF_ERROR where produced < output.count:
                // No progress with room left to write: the input ran out before the end of the stream.
                throw DatasetError.truncatedGzip(path: path)
            case Z_BUF_ERROR:
                continue
            case Z_NEED_DICT:
                throw DatasetError.corruptGzip(path: path, reason: "inflate: needs a preset dictionary")
            case Z_MEM_ERROR:
                throw DatasetError.corruptGzip(path: path, reason: "inflate: out of memory")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw DatasetError.corruptGzip(path: path, reason: "inflate: \(message)")
            }
        }
    }

    /// One call of zlib's `inflate` on the unconsumed input into the unused output; advances both counters.
    private static func step(
        _ stream: inout z_stream, input: [UInt8], consumed: inout Int, output: inout [UInt8], produced: inout Int
    ) -> Int32 {
        input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                guard let inputBase = inputBuffer.baseAddress, let outputBase = outputBuffer.baseAddress else {
                    return Z_BUF_ERROR
                }
                let inputChunk = min(inputBuffer.count - consumed, Int(UInt32.max))
                let outputChunk = min(outputBuffer.count - produced, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: inputBase + consumed)
                stream.avail_in = UInt32(inputChunk)
                stream.next_out = outputBase + produced
                stream.avail_out = UInt32(outputChunk)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                consumed += inputChunk - Int(stream.avail_in)
                produced += outputChunk - Int(stream.avail_out)
                stream.next_in = nil
                stream.next_out = nil
                return status
            }
        }
    }

    /// The gzip trailer's ISIZE (the last four bytes: uncompressed size mod 2^32) as a first guess of the
    /// output size, bounded by deflate's best ratio (about 1032:1) so that a damaged trailer cannot ask for
    /// an absurd allocation. A wrong guess only costs a reallocation.
    private static func initialCapacity(_ compressed: [UInt8]) -> Int {
        let minimum = 1 << 16
        guard compressed.count >= 18 else { return minimum }
        let trailer = compressed.suffix(4).reversed().reduce(0) { ($0 << 8) | Int($1) }
        return max(minimum, min(trailer, compressed.count * 1032))
    }
}
