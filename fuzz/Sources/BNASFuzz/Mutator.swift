import CLibFuzzer

// libFuzzer's custom mutator: libFuzzer's own byte mutations, steered where they rarely go.
//
// - A number written as text is rarely turned into an extreme one (a mutation would have to overwrite
//   exactly its digits), yet extreme numbers are what breaks arithmetic on a file's counts and sizes: for
//   the formats that write numbers as text (JSON, DARTS), one mutation in four replaces a number of the
//   input by one of `extremeNumbers`.
// - A model file or checkpoint is mostly tensors, so most mutations land in them, not in the JSON header
//   that describes them: half of the mutations of those formats change the header alone (its length
//   field follows; the target seals the checksum).

private let extremeNumbers: [[UInt8]] = [
    "0", "1", "-1", "2", "255", "65536", "2147483647", "2147483648", "4294967296", "-2147483648",
    "9223372036854775807", "-9223372036854775808", "9223372036854775806", "18446744073709551615",
    "1e300", "-1e300", "1e-300", "0.5", "-0.5", "\"nan\"", "\"inf\"", "\"-inf\"", "null",
].map { Array($0.utf8) }

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzerCustomMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = Xorshift(seed: seed)
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var mutated: [UInt8]?
    if let target = FuzzTarget.selected {
        if let lengthBytes = target.headerLengthBytes, random.next(2) == 0, let header = headerRange(bytes, lengthBytes: lengthBytes),
           !header.isEmpty {
            let rest = size - header.count
            var part = Array(bytes[header])
            if target.hasTextNumbers, random.next(4) == 0, let replaced = replacingNumber(part, &random) {
                part = replaced
            } else {
                // libFuzzer mutates in place, within a buffer of the size the whole input may still grow to.
                part += [UInt8](repeating: 0, count: max(0, maxSize - rest - part.count))
                let count = part.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress, header.count, $0.count) }
                part.removeLast(part.count - count)
            }
            var framed = Array(bytes[..<header.lowerBound]) + part + Array(bytes[header.upperBound...])
            withUnsafeBytes(of: UInt64(part.count).littleEndian) { framed.replaceSubrange((16 - lengthBytes)..<16, with: $0.prefix(lengthBytes)) }
            mutated = framed
        } else if target.hasTextNumbers, random.next(4) == 0 {
            mutated = replacingNumber(bytes, &random)
        }
    }
    guard let mutated, mutated.count <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    for (index, byte) in mutated.enumerated() { data[index] = byte }
    return mutated.count
}

/// Enough randomness to pick what to mutate: xorshift32 from libFuzzer's seed.
private struct Xorshift {
    var state: UInt32
    init(seed: UInt32) { state = seed == 0 ? 0x9E37_79B9 : seed }

    mutating func next(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return Int(state % UInt32(bound))
    }
}

/// The JSON header of a model file or checkpoint: from byte 16, as long as its length field says.
private func headerRange(_ bytes: [UInt8], lengthBytes: Int) -> Range<Int>? {
    guard bytes.count >= 16 else { return nil }
    let length = bytes[(16 - lengthBytes)..<16].reversed().reduce(0) { $0 << 8 | Int($1) }
    guard (0...(bytes.count - 16)).contains(length) else { return nil }
    return 16..<(16 + length)
}

/// `bytes` with one of its numbers replaced by an extreme one, or nil when it has none.
private func replacingNumber(_ bytes: [UInt8], _ random: inout Xorshift) -> [UInt8]? {
    let numbers = numberRanges(bytes)
    guard !numbers.isEmpty else { return nil }
    let target = numbers[random.next(numbers.count)]
    return Array(bytes[..<target.lowerBound]) + extremeNumbers[random.next(extremeNumbers.count)] + Array(bytes[target.upperBound...])
}

/// Where the numbers are: a `-` or digit after `:`, `[` or `,` (spaces between), up to where the number ends.
private func numberRanges(_ bytes: [UInt8]) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var afterSeparator = false
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if afterSeparator, byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            let start = index
            while index < bytes.count, "0123456789+-.eE".utf8.contains(bytes[index]) { index += 1 }
            ranges.append(start..<index)
            afterSeparator = false
            continue
        }
        if byte == UInt8(ascii: ":") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: ",") {
            afterSeparator = true
        } else if byte != UInt8(ascii: " ") {
            afterSeparator = false
        }
        index += 1
    }
    return ranges
}
