import Foundation
import SigLIPBase
import SigLIPImage
import SigLIPText

/// What a worker made of one example of the stream.
enum PipelineItem {
    /// Preprocessed pixels [H, W, 3] and token ids [L].
    case good(index: Int, pixels: [Float], ids: [Int32], caption: String, flip: Bool)
    /// A bad sample to report and skip.
    case skipped(SkippedSample)
    /// An error that ends the run (storage failure, out of memory).
    case fatal(Error)
}

/// The state shared by the decoding threads and the consumer, guarded by `condition`.
///
/// Examples of the stream are numbered 0, 1, 2, … from the start position. Workers claim the
/// next number (never more than `capacity` ahead of the consumer's cursor), process it
/// outside the lock and file the result by number; the consumer takes results strictly in
/// number order, so batches do not depend on thread timing.
final class PipelineWorkers: @unchecked Sendable {
    let dataset: any ImageTextDataset
    let tokenizer: SigLIPTokenizer
    let configuration: PipelineConfiguration
    let order: EpochOrder

    private let condition = NSCondition()
    private let finished = DispatchGroup()
    private let capacity: Int
    private var nextClaim = 0
    private var consumed = 0
    private var results: [Int: PipelineItem] = [:]
    private var knownBad: [Int: SkippedSample] = [:]
    private var epochCache: (epoch: Int, indices: [Int])?
    private var stopped = false

    init(dataset: any ImageTextDataset, tokenizer: SigLIPTokenizer, configuration: PipelineConfiguration, order: EpochOrder) {
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.configuration = configuration
        self.order = order
        capacity = configuration.prefetch * configuration.batchSize
    }

    func start() {
        for worker in 0..<configuration.workers {
            finished.enter()
            let thread = Thread { [self] in
                run()
                finished.leave()
            }
            thread.name = "siglip-data-\(worker)"
            thread.start()
        }
    }

    /// Asks the workers to finish and waits until every thread has returned.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    /// The result for stream number `sequence` (the consumer's cursor), waiting for it.
    /// Frees the slot so the workers may go one example further.
    func take(_ sequence: Int) throws -> PipelineItem {
        condition.lock()
        defer { condition.unlock() }
        while results[sequence] == nil && !stopped { condition.wait() }
        guard let item = results.removeValue(forKey: sequence) else { throw PipelineStoppedError() }
        consumed = sequence + 1
        condition.broadcast()
        return item
    }

    private func run() {
        while let (sequence, epoch, index, known) = claim() {
            let item = known.map { PipelineItem.skipped($0) } ?? process(epoch: epoch, index: index)
            condition.lock()
            results[sequence] = item
            if case .skipped(let sample) = item { knownBad[index] = sample }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next stream number to process with its epoch and data set index, or nil when stopped.
    private func claim() -> (Int, Int, Int, SkippedSample?)? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && nextClaim >= consumed + capacity { condition.wait() }
        if stopped { return nil }
        let sequence = nextClaim
        nextClaim += 1
        let position = order.advance(configuration.start, by: sequence)
        if epochCache?.epoch != position.epoch {
            epochCache = (position.epoch, order.indices(epoch: position.epoch))
        }
        let index = epochCache!.indices[position.offset]
        return (sequence, position.epoch, index, knownBad[index])
    }

    /// Read, decode, preprocess and tokenize one example.
    private func process(epoch: Int, index: Int) -> PipelineItem {
        let recipe = configuration.preprocess
        do {
            let sample = try dataset.sample(at: index)
            let image = try ImageDecoder.decode(
                data: sample.imageBytes, name: sample.name,
                minimumSize: configuration.reducedSizeDecode ? recipe.minimumDecodeSize : nil,
                limits: configuration.decodeLimits)
            let flip = recipe.randomFlip && order.flip(epoch: epoch, index: index)
            let pixels = [Float](unsafeUninitializedCapacity: recipe.outputCount) { buffer, initialized in
                recipe.apply(image, flip: flip, into: buffer.baseAddress!)
                initialized = recipe.outputCount
            }
            let candidates = sample.captionCandidates
            let caption = candidates[order.captionChoice(epoch: epoch, index: index, count: candidates.count)]
            return .good(index: index, pixels: pixels, ids: tokenizer.encode(caption), caption: caption, flip: flip)
        } catch let error as SigLIPError where Self.skips(error) {
            return .skipped(SkippedSample(index: index, name: error.path, reason: error.problem))
        } catch {
            return .fatal(error)
        }
    }

    /// A bad sample or an image that does not decode is skipped (and counted); running out of
    /// memory, or a data set that cannot be read, stops the pipeline.
    static func skips(_ error: SigLIPError) -> Bool {
        switch error.kind {
        case .badSample, .corrupt, .unknownFormat, .tooLarge, .unsupported: return true
        case .unreadable, .outOfMemory, .invalid, .unwritable: return false
        }
    }
}
