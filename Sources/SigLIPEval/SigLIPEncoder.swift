import SigLIPBase
import SigLIPCore
import SigLIPImage
import SigLIPLayers
import SigLIPModels
import SigLIPText

/// `ZeroShotEncoder` over a `SigLIPModel` and its tokenizer. Not thread-safe: it owns one
/// context whose arena is reset after every call (results are copied out first), and which
/// keeps the weights packed for the products from one call to the next (an inference context:
/// as much memory again as the weights; make a new encoder after editing a few weights by hand).
public final class SigLIPEncoder: ZeroShotEncoder {
    public let model: SigLIPModel
    public let tokenizer: SigLIPTokenizer
    /// Texts per forward pass of the text tower.
    public let textBatchSize: Int
    public let resizeFilter: ResizeFilter
    private let context: Context

    public init(model: SigLIPModel, tokenizer: SigLIPTokenizer, textBatchSize: Int = ZeroShotEvaluator.defaultTextBatch, resizeFilter: ResizeFilter = .bilinear) {
        self.model = model
        self.tokenizer = tokenizer
        self.textBatchSize = max(1, textBatchSize)
        self.resizeFilter = resizeFilter
        context = model.makeInferenceContext()
    }

    public var imageSize: Int { model.config.imageTower.imageSize }
    public var embeddingWidth: Int { model.config.imageTower.width }
    public var defaultRounds: Int { model.config.imageTower.recursion.rounds }
    public var imageTowerRecurses: Bool { model.config.imageTower.recursion.signature.isRecursive }
    public var textDependsOnRounds: Bool { model.config.textTower.recursion.signature.isRecursive }

    public func encodeImages(_ pixels: UnsafeBufferPointer<Float>, count: Int, rounds: Int) throws -> [Float] {
        let s = imageSize
        guard pixels.count == count * s * s * 3 else {
            throw SigLIPError(path: "", problem: "image batch has \(pixels.count) floats, expected \(count) × \(s) × \(s) × 3")
        }
        guard count > 0 else { return [] }
        defer { context.arena.reset() }
        let input = context.arena.tensor([count, s, s, 3])
        input.data.update(from: pixels.baseAddress!, count: pixels.count)
        return model.encodeImages(input, rounds: rounds, context).toArray()
    }

    public func encodeTexts(_ texts: [String], rounds: Int) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(texts.count * embeddingWidth)
        var start = 0
        while start < texts.count {
            let chunk = Array(texts[start..<min(start + textBatchSize, texts.count)])
            out += encodeTokens(tokenizer.encode(batch: chunk), count: chunk.count, rounds: textDependsOnRounds ? rounds : nil)
            start += chunk.count
        }
        return out
    }

    /// ids: [B, L] → [B, E] L2-normalised (rounds nil: the text tower as configured).
    public func encodeTokens(_ ids: [Int32], count: Int, rounds: Int?) -> [Float] {
        guard count > 0 else { return [] }
        defer { context.arena.reset() }
        return model.encodeTexts(ids, batch: count, rounds: rounds, context).toArray()
    }

    public func flopsPerImage(rounds: Int) -> Double { FLOPs.inferencePerImage(model.config, rounds: rounds) }
}
