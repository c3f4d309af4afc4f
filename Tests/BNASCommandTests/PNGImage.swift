import CZlib
import Foundation

/// The pixels of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are), for checking that a rendered
/// page is not blank.
struct PNGImage {
    let width: Int
    let height: Int
    /// Bytes per pixel: 3 (RGB) or 4 (RGBA).
    let channels: Int
    /// Rows of unfiltered pixels, `width * channels` bytes each.
    let pixels: [UInt8]

    struct DecodeError: Error, CustomStringConvertible {
        let reason: String
        var description: String { "not a PNG this test reads: \(reason)" }

        static func invalid(_ reason: String) -> DecodeError { DecodeError(reason: reason) }
    }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw DecodeError.invalid("no signature") }
        func integer(_ offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        var offset = 8
        var header: (width: Int, height: Int, depth: UInt8, colour: UInt8, interlace: UInt8)?
        var compressed: [UInt8] = []
        while offset + 8 <= bytes.count {
            let length = integer(offset)
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            guard offset + 12 + length <= bytes.count else { throw DecodeError.invalid("chunk \(type) runs past the end") }
            let body = offset + 8
            if type == "IHDR" { header = (integer(body), integer(body + 4), bytes[body + 8], bytes[body + 9], bytes[body + 12]) }
            if type == "IDAT" { compressed += bytes[body..<body + length] }
            if type == "IEND" { break }
            offset = body + length + 4
        }
        guard let header, header.depth == 8, header.colour == 2 || header.colour == 6, header.interlace == 0 else {
            throw DecodeError.invalid("not 8-bit RGB or RGBA without interlacing")
        }
        (width, height, channels) = (header.width, header.height, header.colour == 2 ? 3 : 4)
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var rawLength = uLongf(raw.count)
        let status = uncompress(&raw, &rawLength, compressed, uLong(compressed.count))
        guard status == Z_OK, Int(rawLength) == raw.count else { throw DecodeError.invalid("zlib status \(status), \(rawLength) bytes") }
        pixels = try Self.unfilter(raw, height: height, stride: stride, channels: channels)
    }

    /// Undoes each row's filter (PNG: none, sub, up, average, Paeth).
    static func unfilter(_ raw: [UInt8], height: Int, stride: Int, channels: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for column in 0..<stride {
                let value = raw[row * (stride + 1) + 1 + column]
                let left = column >= channels ? Int(out[row * stride + column - channels]) : 0
                let up = row > 0 ? Int(out[(row - 1) * stride + column]) : 0
                let upLeft = row > 0 && column >= channels ? Int(out[(row - 1) * stride + column - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let estimate = left + up - upLeft
                    let (a, b, c) = (abs(estimate - left), abs(estimate - up), abs(estimate - upLeft))
                    predictor = a <= b && a <= c ? left : b <= c ? up : upLeft
                default: throw DecodeError.invalid("row \(row) has filter \(filter)")
                }
                out[row * stride + column] = UInt8(truncatingIfNeeded: Int(value) + predictor)
            }
        }
        return out
    }

    /// The colours (RGB) of the image and how many pixels have each.
    var colourCounts: [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for index in stride(from: 0, to: pixels.count, by: channels) {
            let colour = UInt32(pixels[index]) << 16 | UInt32(pixels[index + 1]) << 8 | UInt32(pixels[index + 2])
            counts[colour, default: 0] += 1
        }
        return counts
    }
}
