import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPImage
import SigLIPText

/// The training input pipeline: worker threads read, decode, preprocess and tokenize
/// examples ahead of the training step (at most `prefetch` batches in flight) and `next()`
/// assembles them into batches.
///
/// Deterministic for a seed: epoch e visits the data in the order of `EpochOrder` (a
/// permutation derived from (seed, e), then this shard's share) and flips are drawn from
/// (seed, e, index), so the batches are the same for any number of workers. A batch never
/// spans two epochs: when an epoch's remaining good examples cannot fill one, they are
/// dropped and the batch starts the next epoch. Runs over epochs forever; the caller stops.
///
/// A sample whose image cannot be read or decoded, or whose caption is missing or empty, is
/// reported once (`onSkip`, `statistics.skipped`) and skipped: the batch is filled with the
/// next good examples in order. Storage failures end the run: `next()` throws them.
public final class ImageTextPipeline {
    public let configuration: PipelineConfiguration
    public let order: EpochOrder
    /// Where the next batch starts.
    public private(set) var position: DataPosition
    public private(set) var statistics = PipelineStatistics()

    private let workers: PipelineWorkers
    private let tokenLength: Int
    private let onSkip: ((SkippedSample) -> Void)?
    private var cursor = 0
    private var failure: Error?
    private var reported: Set<Int> = []
    private var isStopped = false

    /// Starts the worker threads. Throws `SigLIPError` when the settings cannot work: a batch
    /// larger than this shard's share of the data set, a bad shard, a start outside an epoch.
    ///
    /// - Parameter onSkip: called on the consumer's thread, inside `next()`, the first time
    ///   each bad sample is met.
    public init(dataset: any ImageTextDataset, tokenizer: SigLIPTokenizer, configuration: PipelineConfiguration,
                onSkip: ((SkippedSample) -> Void)? = nil) throws {
        let c = configuration
        func invalid(_ problem: String) -> SigLIPError { SigLIPError(path: "input pipeline", problem: problem) }
        guard c.batchSize >= 1 else { throw invalid("batch size must be at least 1, got \(c.batchSize)") }
        guard c.workers >= 1, c.prefetch >= 1 else {
            throw invalid("workers and prefetch must be at least 1 (got \(c.workers), \(c.prefetch))")
        }
        guard c.shard.count >= 1, (0..<c.shard.count).contains(c.shard.index) else {
            throw invalid("shard \(c.shard.index) of \(c.shard.count) does not exist")
        }
        let order = EpochOrder.pipeline(datasetCount: dataset.count, seed: c.seed, shuffle: c.shuffle, shard: c.shard, batchSize: c.batchSize)
        guard c.batchSize <= order.epochLength else {
            throw invalid(c.shard.count > 1
                ? "the global batch of \(c.shard.count) × \(c.batchSize) is larger than the data (\(dataset.count) examples)"
                : "batch size \(c.batchSize) is larger than the data (\(order.epochLength) examples)")
        }
        // The epoch bound keeps epoch × epochLength (in `advance`) far from overflowing.
        guard (0...(Int(Int32.max) / max(order.epochLength, 1))).contains(c.start.epoch),
              (0...order.epochLength).contains(c.start.offset) else {
            throw invalid("start position \(c.start) is outside an epoch of \(order.epochLength) examples")
        }
        var normalized = c
        normalized.start = order.advance(c.start, by: 0)
        self.configuration = normalized
        self.order = order
        self.position = normalized.start
        self.tokenLength = tokenizer.length
        self.onSkip = onSkip
        workers = PipelineWorkers(dataset: dataset, tokenizer: tokenizer, configuration: normalized, order: order)
        workers.start()
    }

    deinit { stop() }

    /// Stops the worker threads and waits for them; later `next()` calls throw.
    public func stop() {
        guard !isStopped else { return }
        isStopped = true
        workers.stop()
    }

    /// The next batch: pixels [B, H, W, 3], ids [B, L]. Throws the first storage error a
    /// worker met, `PipelineStoppedError` after `stop()`, or `SigLIPError` when a whole
    /// epoch has fewer good examples than one batch.
    public func next() throws -> ImageTextBatch {
        if let failure { throw failure }
        if isStopped { throw PipelineStoppedError() }
        do {
            return try assemble()
        } catch {
            failure = error
            throw error
        }
    }

    private func assemble() throws -> ImageTextBatch {
        let batchSize = configuration.batchSize, imageCount = configuration.preprocess.outputCount
        let pixels = FloatBuffer(count: batchSize * imageCount, zeroed: false)
        var ids: [Int32] = [], captions: [String] = [], indices: [Int] = [], flips: [Bool] = []
        ids.reserveCapacity(batchSize * tokenLength)
        var batchStart = cursor
        while indices.count < batchSize {
            if cursor != batchStart && order.advance(configuration.start, by: cursor).offset == 0 {
                // Crossed into a new epoch: drop the partial batch and start afresh.
                if order.advance(configuration.start, by: batchStart).offset == 0 {
                    throw SigLIPError(path: "input pipeline", problem: "epoch \(order.advance(configuration.start, by: batchStart).epoch) "
                                       + "has fewer good examples (\(indices.count)) than one batch (\(batchSize)); "
                                       + "\(statistics.skipped.count) bad samples so far, first: \(statistics.skipped.first?.description ?? "none")")
                }
                statistics.dropped += indices.count
                ids.removeAll(keepingCapacity: true)
                captions.removeAll()
                indices.removeAll()
                flips.removeAll()
                batchStart = cursor
            }
            let item = try workers.take(cursor)
            cursor += 1
            switch item {
            case let .good(index, image, tokens, caption, flip):
                image.withUnsafeBufferPointer { (pixels.data + indices.count * imageCount).update(from: $0.baseAddress!, count: imageCount) }
                ids += tokens
                captions.append(caption)
                indices.append(index)
                flips.append(flip)
            case .skipped(let sample):
                statistics.skippedCount += 1
                if reported.insert(sample.index).inserted {
                    statistics.skipped.append(sample)
                    onSkip?(sample)
                }
            case .fatal(let error):
                throw error
            }
        }
        position = order.advance(configuration.start, by: cursor)
        statistics.batches += 1
        statistics.samples += batchSize
        return ImageTextBatch(pixels: pixels, ids: ids, captions: captions, indices: indices, flips: flips,
                              position: order.advance(configuration.start, by: batchStart), next: position)
    }
}
