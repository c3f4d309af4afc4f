/// The images at `indices` (in that order) of `source`, which holds images of `imageSize` values each:
/// one copy per image, no per-element appends. Shared by raw and normalised sets and the batch iterator.
func gatherImages<Element>(_ source: [Element], imageSize: Int, indices: [Int]) -> [Element] {
    [Element](unsafeUninitializedCapacity: indices.count * imageSize) { buffer, initialized in
        source.withUnsafeBufferPointer { source in
            for (position, index) in indices.enumerated() {
                let target = UnsafeMutableBufferPointer(
                    rebasing: buffer[(position * imageSize)..<((position + 1) * imageSize)])
                _ = target.initialize(from: source[(index * imageSize)..<((index + 1) * imageSize)])
            }
        }
        initialized = indices.count * imageSize
    }
}
