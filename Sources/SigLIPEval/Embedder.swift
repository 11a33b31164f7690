import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPLayers
import SigLIPModels
import SigLIPText

/// Embeddings as Hugging Face's `SiglipModel` returns them: `image_embeds` [N, E] and
/// `text_embeds` [M, E] L2-normalised, and `logits_per_image` [N, M] = exp(t)·⟨img, txt⟩ + b
/// when both are present.
public struct Embeddings: Sendable {
    public var width: Int
    public var imageCount: Int
    public var textCount: Int
    /// [N, E] row-major.
    public var imageEmbeds: [Float]
    /// [M, E] row-major.
    public var textEmbeds: [Float]
    /// [N, M] row-major, nil unless N > 0 and M > 0.
    public var logitsPerImage: [Float]?

    /// Writes `image_embeds`, `text_embeds` (each only when non-empty) and `logits_per_image` as
    /// F32 safetensors.
    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        var writer = SafeTensorsWriter()
        writer.metadata = metadata.merging(["format": "pt"]) { a, _ in a }
        func add(_ name: String, _ values: [Float], _ shape: [Int]) {
            values.withUnsafeBufferPointer { writer.add(name, shape: shape, floats: $0) }
        }
        if imageCount > 0 { add("image_embeds", imageEmbeds, [imageCount, width]) }
        if textCount > 0 { add("text_embeds", textEmbeds, [textCount, width]) }
        if let logitsPerImage { add("logits_per_image", logitsPerImage, [imageCount, textCount]) }
        try writer.write(to: url)
    }
}

/// The `embed` computation: given inputs → `Embeddings`.
public enum Embedder {
    /// pixels: [N, H, W, 3] in [-1, 1]; ids: [M, L] (L = the text length). `rounds`: image tower
    /// recursion rounds (nil: as configured).
    public static func embed(model: SigLIPModel, pixels: [Float], imageCount n: Int, ids: [Int32], textCount m: Int,
                             rounds: Int? = nil) throws -> Embeddings {
        let s = model.config.imageTower.imageSize, l = model.config.textTower.length
        guard pixels.count == n * s * s * 3 else {
            throw SigLIPError(path: "", problem: "\(pixels.count) pixel values for \(n) images of \(s) × \(s) × 3")
        }
        guard ids.count == m * l else { throw SigLIPError(path: "", problem: "\(ids.count) token ids for \(m) texts of length \(l)") }
        let vocabulary = Int32(model.config.textTower.vocabularySize)
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw SigLIPError(path: "", problem: "token id \(bad) outside the vocabulary 0..<\(vocabulary)")
        }
        let ctx = model.makeContext()
        var result = Embeddings(width: model.config.imageTower.width, imageCount: n, textCount: m,
                                imageEmbeds: [], textEmbeds: [], logitsPerImage: nil)
        var images: Tensor?, texts: Tensor?
        if n > 0 {
            let input = ctx.arena.tensor([n, s, s, 3])
            pixels.withUnsafeBufferPointer { input.data.update(from: $0.baseAddress!, count: $0.count) }
            images = model.encodeImages(input, rounds: rounds, ctx)
            result.imageEmbeds = images!.toArray()
        }
        if m > 0 {
            texts = model.encodeTexts(ids, batch: m, ctx)
            result.textEmbeds = texts!.toArray()
        }
        if let images, let texts { result.logitsPerImage = model.loss.logits(images: images, texts: texts, ctx).toArray() }
        return result
    }

    /// Image files and texts through the checkpoint's preprocessing and tokenizer, as Hugging
    /// Face's `SiglipProcessor` does: texts lowercased and canonicalised (ASCII punctuation
    /// removed, whitespace collapsed, `SiglipTokenizer.canonicalize_text`), padded to L with
    /// the pad id. An unreadable image is an error: every row must be there.
    public static func embed(checkpoint: EvalCheckpoint, images: [URL], texts: [String], rounds: Int? = nil) throws -> Embeddings {
        let s = checkpoint.model.config.imageTower.imageSize, stride = s * s * 3
        var pixels = [Float](repeating: 0, count: images.count * stride)
        let failures = images.isEmpty ? [] : pixels.withUnsafeMutableBufferPointer { buffer in
            ImageLoading.loadInParallel(count: images.count, stride: stride, into: buffer.baseAddress!) { i, slot in
                try ImageLoading.load(images[i], size: s, filter: checkpoint.imageProcessor.resizeFilter, into: slot)
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw SigLIPError(path: "", problem: failure) }
        return try embed(model: checkpoint.model, pixels: pixels, imageCount: images.count,
                         ids: checkpoint.tokenizer.encode(batch: texts.map { TextCanonicalization.huggingFace.apply($0) }),
                         textCount: texts.count, rounds: rounds)
    }
}
