import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPEval
import SigLIPImage
import SigLIPModels
import SigLIPTestSupport
import Testing

@Suite("Embed") struct EmbedTests {
    /// |a − b| <= 1e-6 + 1e-5 |b|, b from transformers.
    static let absoluteTolerance: Float = 1e-6
    static let relativeTolerance: Float = 1e-5

    static func expectClose(_ actual: [Float], _ expected: [Float], _ label: String) {
        SigLIPTestSupport.expectClose(actual, expected, atol: absoluteTolerance, rtol: relativeTolerance, label)
    }

    /// The reference HF checkpoint's `pixel_values` (NCHW) and `input_ids` give transformers'
    /// `image_embeds`, `text_embeds` and `logits_per_image`; the written file holds them.
    @Test func matchesTransformers() throws {
        let model = try Checkpoint.load(from: Repo.reference)
        let io = try SafeTensorsFile(contentsOf: Repo.reference.appendingPathComponent("io.safetensors"))
        let nchw = try io.info("pixel_values").shape
        let (n, c, h, w) = (nchw[0], nchw[1], nchw[2], nchw[3])
        let source = try io.floats("pixel_values")
        var pixels = [Float](repeating: 0, count: source.count)
        for b in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
            pixels[((b * h + y) * w + x) * c + ch] = source[((b * c + ch) * h + y) * w + x]
        } } } }
        let ids = try io.int64s("input_ids").map { Int32($0) }
        let m = try io.info("input_ids").shape[0]
        let result = try Embedder.embed(model: model, pixels: pixels, imageCount: n, ids: ids, textCount: m)
        Self.expectClose(result.imageEmbeds, try io.floats("image_embeds"), "image_embeds")
        Self.expectClose(result.textEmbeds, try io.floats("text_embeds"), "text_embeds")
        Self.expectClose(result.logitsPerImage ?? [], try io.floats("logits_per_image"), "logits_per_image")

        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let out = folder.url.appendingPathComponent("embeds.safetensors")
        try result.write(to: out)
        let file = try SafeTensorsFile(contentsOf: out)
        #expect(file.names == ["image_embeds", "logits_per_image", "text_embeds"])
        #expect(try file.info("image_embeds").shape == [n, 48])
        #expect(try file.info("text_embeds").shape == [m, 48])
        #expect(try file.info("logits_per_image").shape == [n, m])
        #expect(try file.floats("logits_per_image") == result.logitsPerImage)
    }

    /// Only texts: no image_embeds and no logits.
    @Test func textsOnly() throws {
        let model = try Checkpoint.load(from: Repo.reference)
        let result = try Embedder.embed(model: model, pixels: [], imageCount: 0, ids: [Int32](repeating: 1, count: 7), textCount: 1)
        #expect(result.logitsPerImage == nil && result.imageEmbeds.isEmpty && result.textEmbeds.count == 48)
        #expect(throws: SigLIPError.self) { try Embedder.embed(model: model, pixels: [], imageCount: 0, ids: [500, 1, 1, 1, 1, 1, 1], textCount: 1) }
    }

    /// An image already at the model's resolution is used as it is: the bytes scaled to [-1, 1],
    /// bit for bit what the resampler gives at equal size; other sizes go through Preprocess.
    @Test func imageAtModelResolutionIsNotResampled() throws {
        let url = try Repo.emojiImages(1)[0]
        let image = try ImageDecoder.decode(contentsOf: url)
        #expect(image.width == 32 && image.height == 32)
        let loaded = try ImageLoading.load(url, size: 32)
        #expect(loaded == image.pixels.map { Float($0) * (2 / 255) - 1 })
        #expect(loaded == Preprocess(size: 32).apply(image), "Preprocess at equal size should be an exact copy")
        #expect(try ImageLoading.load(url, size: 16) == Preprocess(size: 16).apply(image))
    }
}
