import Testing

@testable import Datasets

/// `count` images of channels x height x width whose pixel p of image i is i * 1000 + p + 1 (never 0).
func countingDataset(count: Int, channels: Int = 1, height: Int = 4, width: Int = 4) -> Dataset {
    let size = channels * height * width
    return Dataset(
        name: "counting", images: (0..<(count * size)).map { Float(($0 / size) * 1000 + $0 % size + 1) },
        labels: (0..<count).map { Int32($0 % 10) }, channels: channels, height: height, width: width,
        classNames: (0..<10).map(String.init))
}

@Suite struct BatchIteratorTests {
    @Test func sameSeedAndEpochGiveTheSameBatches() {
        let dataset = countingDataset(count: 50)
        let first = Array(BatchIterator(dataset: dataset, batchSize: 8, seed: 11, epoch: 3))
        let second = Array(BatchIterator(dataset: dataset, batchSize: 8, seed: 11, epoch: 3))
        let nextEpoch = Array(BatchIterator(dataset: dataset, batchSize: 8, seed: 11, epoch: 4))
        let otherSeed = Array(BatchIterator(dataset: dataset, batchSize: 8, seed: 12, epoch: 3))
        #expect(first.map(\.indices) == second.map(\.indices))
        #expect(first.map(\.images) == second.map(\.images))
        #expect(first.map(\.indices) != nextEpoch.map(\.indices))
        #expect(first.map(\.indices) != otherSeed.map(\.indices))
    }

    @Test func everyImageOnceAndALastPartialBatch() {
        let dataset = countingDataset(count: 25)
        let iterator = BatchIterator(dataset: dataset, batchSize: 10, seed: 1)
        let batches = Array(iterator)
        #expect(iterator.batchCount == 3)
        #expect(batches.map(\.count) == [10, 10, 5])
        #expect(batches.flatMap(\.indices).sorted() == Array(0..<25))
        #expect(batches.flatMap(\.indices) != Array(0..<25))
        for batch in batches {
            #expect(batch.labels == batch.indices.map { dataset.labels[$0] })
            #expect(batch.images == batch.indices.flatMap { image(dataset, $0) })
            #expect((batch.channels, batch.height, batch.width) == (1, 4, 4))
        }
    }

    @Test func dropLastSkipsTheShortBatch() {
        let dataset = countingDataset(count: 25)
        let iterator = BatchIterator(dataset: dataset, batchSize: 10, dropLast: true, seed: 1)
        let batches = Array(iterator)
        #expect(iterator.batchCount == 2)
        #expect(batches.map(\.count) == [10, 10])
        #expect(Set(batches.flatMap(\.indices)).count == 20)
        let exact = Array(BatchIterator(dataset: countingDataset(count: 20), batchSize: 10, dropLast: true))
        #expect(exact.map(\.count) == [10, 10])
    }

    @Test func withoutShuffleTheOrderIsTheFileOrder() {
        let batches = Array(BatchIterator(dataset: countingDataset(count: 7), batchSize: 3, shuffle: false, seed: 9))
        #expect(batches.map(\.indices) == [[0, 1, 2], [3, 4, 5], [6]])
    }

    @Test func orderDoesNotDependOnAugmentation() {
        let dataset = countingDataset(count: 30)
        let plain = BatchIterator(dataset: dataset, batchSize: 4, seed: 5, epoch: 1)
        let augmented = BatchIterator(
            dataset: dataset, batchSize: 4, augmentation: Augmentation(cropPadding: 1, horizontalFlip: true, cutout: 2),
            seed: 5, epoch: 1)
        #expect(plain.order == augmented.order)
        #expect(Array(plain).map(\.images) != Array(augmented).map(\.images))
    }
}
