import Testing

@testable import Datasets

@Suite struct AugmentationTests {
    /// The images of one epoch of batches of 1 in file order, with `augmentation`.
    func augmentedImages(_ dataset: Dataset, _ augmentation: Augmentation, seed: UInt64 = 0) -> [[Float]] {
        Array(BatchIterator(dataset: dataset, batchSize: 1, shuffle: false, augmentation: augmentation, seed: seed))
            .map(\.images)
    }

    /// `source` (C x H x W) moved so that output(y, x) = source(y + dy, x + dx), `fill` outside.
    func shifted(_ source: [Float], channels: Int, side: Int, dy: Int, dx: Int, fill: [Float]) -> [Float] {
        (0..<(channels * side * side)).map { offset in
            let (channel, y, x) = (offset / (side * side), (offset / side) % side + dy, offset % side + dx)
            let inside = (0..<side).contains(y) && (0..<side).contains(x)
            return inside ? source[(channel * side + y) * side + x] : fill[channel]
        }
    }

    @Test func noneLeavesImagesUnchanged() {
        let dataset = countingDataset(count: 6, channels: 3)
        #expect(augmentedImages(dataset, .none) == (0..<6).map { image(dataset, $0) })
        #expect(Augmentation.none.isNone)
    }

    @Test func cropKeepsShapeAndShiftsContent() throws {
        let dataset = try SyntheticDataset.splits(trainCount: 40, testCount: 10, channels: 3, side: 8).train
        let padding = 2
        let fill = (0..<3).map { dataset.normalization.normalize(0, channel: $0) }
        var shifts = Set<[Int]>()
        for (index, output) in augmentedImages(dataset, Augmentation(cropPadding: padding)).enumerated() {
            #expect(output.count == 3 * 8 * 8)
            let source = image(dataset, index)
            let candidates = (-padding...padding).flatMap { dy in (-padding...padding).map { [dy, $0] } }
            let matches = candidates.filter {
                shifted(source, channels: 3, side: 8, dy: $0[0], dx: $0[1], fill: fill) == output
            }
            #expect(matches.count == 1, "image \(index) is not a shift of its source")
            shifts.formUnion(matches)
        }
        #expect(shifts.count > 5)
        // A known pixel moves: with shift (dy, dx), source pixel (4, 4) lands at (4 - dy, 4 - dx).
        let nonzero = try #require(shifts.first { $0 != [0, 0] })
        #expect(nonzero[0] != 0 || nonzero[1] != 0)
    }

    @Test func flipMirrorsRows() {
        let dataset = countingDataset(count: 40, channels: 2, height: 3, width: 5)
        var flips = 0
        for (index, output) in augmentedImages(dataset, Augmentation(horizontalFlip: true), seed: 4).enumerated() {
            let source = image(dataset, index)
            let mirrored: [Float] = (0..<source.count).map { (offset: Int) -> Float in
                source[(offset / 5) * 5 + 4 - offset % 5]
            }
            #expect(output == source || output == mirrored)
            if output == mirrored { flips += 1 }
        }
        #expect(flips > 10 && flips < 30)
    }

    @Test func cutoutZeroesOneSquare() {
        let side = 10
        let cutout = 4
        let dataset = countingDataset(count: 60, channels: 2, height: side, width: side)
        var fullSquares = 0
        for (index, output) in augmentedImages(dataset, Augmentation(cutout: cutout), seed: 2).enumerated() {
            let source = image(dataset, index)
            let zeroed = (0..<output.count).filter { output[$0] == 0 }
            #expect(zeroed.allSatisfy { source[$0] != 0 })
            #expect((0..<output.count).allSatisfy { output[$0] == 0 || output[$0] == source[$0] })
            // The zeroed pixels of each channel form one rectangle of sides <= cutout, the same in both channels.
            let firstChannel = zeroed.filter { $0 < side * side }
            let rows = Set(firstChannel.map { $0 / side })
            let columns = Set(firstChannel.map { $0 % side })
            #expect(firstChannel.count == rows.count * columns.count)
            #expect(rows.count <= cutout && columns.count <= cutout)
            #expect(zeroed.filter { $0 >= side * side }.map { $0 - side * side } == firstChannel)
            if firstChannel.count == cutout * cutout { fullSquares += 1 }
        }
        #expect(fullSquares > 10)
    }
}
