import SigLIPCore
import SigLIPImage

/// The input pipeline's settings.
public struct PipelineConfiguration: Sendable, Equatable {
    /// B, images per batch.
    public var batchSize: Int
    /// Resize / crop / flip / scale recipe; `randomFlip` turns on the seeded flips.
    public var preprocess: Preprocess
    public var seed: UInt64
    /// Shuffle each epoch (off: data set order every epoch).
    public var shuffle: Bool
    /// Decoding threads (≥ 1). The batches do not depend on it.
    public var workers: Int
    /// Batches decoded ahead of the consumer, at most (≥ 1).
    public var prefetch: Int
    public var shard: DataShard
    /// Where the first batch starts (from `ImageTextBatch.next` of a previous run).
    public var start: DataPosition
    /// Let JPEGs decode at 1/2, 1/4 or 1/8 scale when still at least the target size.
    public var reducedSizeDecode: Bool
    public var decodeLimits: DecodeLimits

    public init(batchSize: Int, preprocess: Preprocess, seed: UInt64 = 0, shuffle: Bool = true,
                workers: Int = 2, prefetch: Int = 2, shard: DataShard = .all, start: DataPosition = .start,
                reducedSizeDecode: Bool = true, decodeLimits: DecodeLimits = .default) {
        self.batchSize = batchSize
        self.preprocess = preprocess
        self.seed = seed
        self.shuffle = shuffle
        self.workers = workers
        self.prefetch = prefetch
        self.shard = shard
        self.start = start
        self.reducedSizeDecode = reducedSizeDecode
        self.decodeLimits = decodeLimits
    }
}

/// One batch of B image–caption pairs, ready for the model.
public struct ImageTextBatch {
    /// Preprocessed images: [B, H, W, 3] floats in [-1, 1].
    public let pixels: FloatBuffer
    /// Token ids: [B, L], row-major.
    public let ids: [Int32]
    /// The captions: [B].
    public let captions: [String]
    /// Data set indices of the samples: [B].
    public let indices: [Int]
    /// Whether each image was mirrored: [B].
    public let flips: [Bool]
    /// Where this batch started, and where the next one starts (save it to resume).
    public let position: DataPosition
    public let next: DataPosition

    public var size: Int { indices.count }
}

/// A sample the pipeline left out: its data set index, name and the reason.
public struct SkippedSample: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let name: String
    public let reason: String
    public var description: String { "\(name): \(reason)" }
}

/// Counters of a pipeline run (reset when a pipeline is created).
public struct PipelineStatistics: Sendable, Equatable {
    public var batches = 0
    /// Good samples delivered in batches.
    public var samples = 0
    /// Good samples dropped with an epoch's incomplete last batch (a batch never spans two
    /// epochs, so no sample appears twice in one batch).
    public var dropped = 0
    /// Times a bad sample was skipped (a bad sample counts once per epoch it comes round in).
    public var skippedCount = 0
    /// Each bad sample once, in the order first met, with its reason.
    public var skipped: [SkippedSample] = []
}

/// The pipeline was stopped (`stop()`) before or while a batch was requested.
public struct PipelineStoppedError: Error, CustomStringConvertible, Sendable {
    public var description: String { "the input pipeline was stopped" }
}
