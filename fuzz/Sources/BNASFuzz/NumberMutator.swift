import CLibFuzzer

// libFuzzer's byte-level mutations rarely turn a number written as text into an extreme one (they would
// have to overwrite exactly its digits), yet extreme numbers are what breaks arithmetic on a file's counts
// and sizes. For the targets whose formats write numbers as text (JSON, DARTS), one mutation in four
// replaces a number of the input by one of these.
private let extremeNumbers: [[UInt8]] = [
    "0", "1", "-1", "2", "255", "65536", "2147483647", "2147483648", "4294967296", "-2147483648",
    "9223372036854775807", "-9223372036854775808", "9223372036854775806", "18446744073709551615",
    "1e300", "-1e300", "1e-300", "0.5", "-0.5", "\"nan\"", "\"inf\"", "\"-inf\"", "null",
].map { Array($0.utf8) }

@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzerCustomMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = seed == 0 ? 0x9E37_79B9 : seed
    func next(_ bound: Int) -> Int {
        // xorshift32: enough to pick a number and a replacement.
        random ^= random << 13
        random ^= random >> 17
        random ^= random << 5
        return Int(random % UInt32(bound))
    }
    guard FuzzTarget.selected?.hasTextNumbers == true, next(4) == 0 else { return LLVMFuzzerMutate(data, size, maxSize) }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let numbers = numberRanges(bytes)
    guard !numbers.isEmpty else { return LLVMFuzzerMutate(data, size, maxSize) }
    let target = numbers[next(numbers.count)]
    let mutated = Array(bytes[..<target.lowerBound]) + extremeNumbers[next(extremeNumbers.count)] + Array(bytes[target.upperBound...])
    guard mutated.count <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    for (index, byte) in mutated.enumerated() { data[index] = byte }
    return mutated.count
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
