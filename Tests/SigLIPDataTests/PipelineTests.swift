import Foundation
import SigLIPBase
import SigLIPTestSupport
import Testing
import SigLIPImage
import SigLIPText
@testable import SigLIPData

/// A batch reduced to plain values, compared bit for bit.
struct BatchRecord: Equatable {
    var pixelBits: [UInt32]
    var ids: [Int32]
    var indices: [Int]
    var flips: [Bool]
    var position: DataPosition
    var next: DataPosition

    init(_ batch: ImageTextBatch) {
        pixelBits = batch.pixels.buffer.map(\.bitPattern)
        ids = batch.ids
        indices = batch.indices
        flips = batch.flips
        position = batch.position
        next = batch.next
    }
}

@Suite struct PipelineTests {
    static let tokenizer = try! Repo.tokenizer(length: 8)

    static func configuration(batch: Int = 8, workers: Int, start: DataPosition = .start,
                              shard: DataShard = .all) -> PipelineConfiguration {
        PipelineConfiguration(batchSize: batch, preprocess: Preprocess(size: 8, randomFlip: true), seed: 7,
                              workers: workers, prefetch: 2, shard: shard, start: start)
    }

    static func run(_ dataset: any ImageTextDataset, _ configuration: PipelineConfiguration, batches: Int,
                    onSkip: ((SkippedSample) -> Void)? = nil) throws -> (records: [BatchRecord], statistics: PipelineStatistics) {
        let pipeline = try ImageTextPipeline(dataset: dataset, tokenizer: tokenizer, configuration: configuration, onSkip: onSkip)
        defer { pipeline.stop() }
        let records = try (0..<batches).map { _ in BatchRecord(try pipeline.next()) }
        return (records, pipeline.statistics)
    }

    /// 43 samples: 5 batches of 8 per epoch, 3 dropped at each epoch's end.
    static func manifest(_ folder: TemporaryFolder, count: Int = 43, corrupt: Set<Int> = []) throws -> CaptionManifest {
        try CaptionManifest(url: try DefaultSamples.manifestFolder(folder, count: count, corrupt: corrupt))
    }

    @Test func sameBatchesWithOneTwoOrFourWorkers() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let dataset = try Self.manifest(folder)
        let reference = try Self.run(dataset, Self.configuration(workers: 1), batches: 12).records
        for workers in [2, 4] {
            #expect(try Self.run(dataset, Self.configuration(workers: workers), batches: 12).records == reference)
        }
        // Each epoch visits distinct samples in a new order; flips vary; positions chain.
        let order = EpochOrder(datasetCount: 43, seed: 7)
        #expect(reference[0].indices == Array(order.indices(epoch: 0).prefix(8)))
        #expect(reference[5].indices == Array(order.indices(epoch: 1).prefix(8)))
        #expect(reference[0].indices != reference[5].indices)
        #expect(Set(reference[0..<5].flatMap(\.indices)).count == 40)
        #expect(Set(reference.flatMap(\.flips)) == [true, false])
        #expect(reference[4].next == DataPosition(epoch: 0, offset: 40))
        #expect(reference[5].position == DataPosition(epoch: 1, offset: 0))
        for i in 1..<reference.count where reference[i].position.offset != 0 {
            #expect(reference[i].position == reference[i - 1].next)
        }
    }

    @Test func pixelsAndIdsMatchDecodingEachSampleAlone() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let dataset = try Self.manifest(folder, count: 12)
        let configuration = Self.configuration(batch: 4, workers: 2)
        let pipeline = try ImageTextPipeline(dataset: dataset, tokenizer: Self.tokenizer, configuration: configuration)
        let batch = try pipeline.next()
        let recipe = configuration.preprocess
        for (slot, index) in batch.indices.enumerated() {
            let sample = try dataset.sample(at: index)
            let expected = recipe.apply(try ImageDecoder.decode(data: sample.imageBytes, name: sample.name), flip: batch.flips[slot])
            let got = Array(UnsafeBufferPointer(start: batch.pixels.data + slot * recipe.outputCount, count: recipe.outputCount))
            #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
            #expect(Array(batch.ids[(slot * 8)..<(slot * 8 + 8)]) == Self.tokenizer.encode(sample.caption))
            #expect(batch.captions[slot] == sample.caption)
        }
        #expect(batch.pixels.count == 4 * 8 * 8 * 3)
    }

    @Test(arguments: [2, 5, 7, 9])
    func resumingFromASavedPositionGivesTheSameBatches(after: Int) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let dataset = try Self.manifest(folder, corrupt: [6])
        let reference = try Self.run(dataset, Self.configuration(workers: 2), batches: 12).records
        let resumed = try Self.run(dataset, Self.configuration(workers: 3, start: reference[after - 1].next),
                                   batches: 12 - after).records
        #expect(resumed == Array(reference[after...]))
    }

    @Test func shardsPartitionEachEpoch() throws {
        let order = (0..<3).map { EpochOrder(datasetCount: 43, seed: 7, shard: DataShard(index: $0, count: 3)) }
        for epoch in 0..<3 {
            let parts = order.map { $0.indices(epoch: epoch) }
            #expect(parts.map(\.count) == [15, 14, 14])
            #expect(parts.flatMap { $0 }.sorted() == Array(0..<43))
            #expect(order[0].permutation(epoch: epoch) == EpochOrder(datasetCount: 43, seed: 7).indices(epoch: epoch))
        }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let dataset = try Self.manifest(folder)
        let shard1 = try Self.run(dataset, Self.configuration(batch: 7, workers: 2, shard: DataShard(index: 1, count: 3)), batches: 2)
        #expect(shard1.records.flatMap(\.indices) == order[1].indices(epoch: 0))
    }

    @Test func corruptImagesAreReportedOnceSkippedAndCounted() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bad: Set<Int> = [3, 17, 30]
        let dataset = try Self.manifest(folder, count: 40, corrupt: bad)
        let reports = ReportLog()
        let run = try Self.run(dataset, Self.configuration(workers: 3), batches: 12) { reports.append($0) }
        #expect(reports.items.map(\.index).sorted() == [3, 17, 30])
        #expect(reports.items.allSatisfy { $0.name.hasPrefix("images/") && $0.reason.contains("unknown image format") })
        #expect(run.statistics.skipped == reports.items)
        // Epochs 0 and 1 were read to their end (37 good: 4 batches of 8, 5 dropped each);
        // epoch 2 up to its 32nd good sample.
        let order2 = EpochOrder(datasetCount: 40, seed: 7).indices(epoch: 2)
        let lastUsed = order2.firstIndex(of: run.records[11].indices.last!)!
        #expect(run.records[11].next == DataPosition(epoch: 2, offset: lastUsed + 1))
        #expect(run.statistics.skippedCount == 2 * 3 + order2[...lastUsed].filter(bad.contains).count)
        #expect(run.statistics.dropped == 2 * 5)
        #expect(run.statistics.samples == 12 * 8 && run.statistics.batches == 12)
        // Expected composition: each epoch's order without the bad samples, in batches of 8.
        let order = EpochOrder(datasetCount: 40, seed: 7)
        let expected = (0..<3).flatMap { epoch -> [[Int]] in
            let good = order.indices(epoch: epoch).filter { !bad.contains($0) }
            return (0..<4).map { Array(good[($0 * 8)..<($0 * 8 + 8)]) }
        }
        #expect(run.records.map(\.indices) == expected)
        #expect(try Self.run(dataset, Self.configuration(workers: 1), batches: 12).records == run.records)
    }

    @Test func errorsInsteadOfHanging() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // Batch larger than the data (or than a shard of it).
        let small = try Self.manifest(folder, count: 10, corrupt: Set(0..<8))
        #expect(throws: SigLIPError.self) { try Self.run(small, Self.configuration(batch: 11, workers: 1), batches: 1) }
        #expect(throws: SigLIPError.self) {
            try Self.run(small, Self.configuration(batch: 6, workers: 1, shard: DataShard(index: 0, count: 2)), batches: 1)
        }
        // Only 2 good samples per epoch for a batch of 4.
        let error = #expect(throws: SigLIPError.self) { try Self.run(small, Self.configuration(batch: 4, workers: 2), batches: 1) }
        #expect(error?.problem.contains("fewer good examples") == true)
        // A storage failure in a worker comes out of next().
        let failing = FailingDataset(inner: try Self.manifest(folder, count: 20), failAt: 5)
        let pipeline = try ImageTextPipeline(dataset: failing, tokenizer: Self.tokenizer,
                                             configuration: PipelineConfiguration(batchSize: 4, preprocess: Preprocess(size: 8),
                                                                                 shuffle: false, workers: 2))
        _ = try pipeline.next()
        #expect(throws: SigLIPError(path: "disk", problem: "gone", kind: .unreadable)) { try pipeline.next() }
        #expect(throws: SigLIPError(path: "disk", problem: "gone", kind: .unreadable)) { try pipeline.next() }
        pipeline.stop()
    }

    @Test func stopEndsTheWorkersAndLaterCallsThrow() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let dataset = try Self.manifest(folder, count: 16)
        for _ in 0..<5 {  // created and dropped without reading: deinit must not hang
            _ = try ImageTextPipeline(dataset: dataset, tokenizer: Self.tokenizer, configuration: Self.configuration(workers: 4))
        }
        let pipeline = try ImageTextPipeline(dataset: dataset, tokenizer: Self.tokenizer, configuration: Self.configuration(workers: 2))
        _ = try pipeline.next()
        pipeline.stop()
        #expect(throws: PipelineStoppedError.self) { try pipeline.next() }
    }
}

/// Collects skip reports (the callback runs on the consumer's thread).
final class ReportLog: @unchecked Sendable {
    private(set) var items: [SkippedSample] = []
    func append(_ item: SkippedSample) { items.append(item) }
}

/// A data set whose storage fails at one index.
struct FailingDataset: ImageTextDataset {
    let inner: CaptionManifest
    let failAt: Int
    var count: Int { inner.count }
    var indexSkipped: [SkippedEntry] { [] }
    func sample(at index: Int) throws -> ImageTextSample {
        if index == failAt { throw SigLIPError(path: "disk", problem: "gone", kind: .unreadable) }
        return try inner.sample(at: index)
    }
}
