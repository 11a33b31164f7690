import Foundation
import SigLIP
import SigLIPTestSupport
import Testing

/// The README's library example, run against a tiny checkpoint with the bundled tokenizer and
/// a bundled benchmark image.
@Suite("README example") struct ReadmeExampleTests {
    static let repository = Commands.repository

    @Test func libraryExampleRuns() throws {
        // A tiny RINS checkpoint in a temporary folder, standing in for runs/default/....
        var vision = try ImageTowerConfig(preset: "Ti/8", imageSize: 32)
        vision.depth = 2
        vision.recursion = .rins(rounds: 2)
        var text = try TextTowerConfig(preset: "Ti", vocabularySize: 3200, length: 16)
        text.depth = 2
        let trained = try SigLIPModel(config: SigLIPConfig(vision: vision, text: text))
        trained.initialize(seed: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint.save(trained, to: dir)
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("datasets/tokenizer/siglip-emoji-4k.model"),
                                         to: dir.appendingPathComponent("spiece.model"))
        let imageURL = Self.repository.appendingPathComponent("datasets/default/zeroshot/0002_alarm_clock")
        let imageFile = try #require(try FileManager.default.contentsOfDirectory(atPath: imageURL.path).first)

        // --- the README snippet ---
        let model = try Checkpoint.load(from: dir)
        let size = model.config.imageTower.imageSize
        let tokenizer = try SigLIPTokenizer(contentsOf: dir.appendingPathComponent("spiece.model"),
                                            length: model.config.textTower.length)

        let image = try ImageDecoder.decode(contentsOf: imageURL.appendingPathComponent(imageFile))
        var pixels = Preprocess(size: size).apply(image)
        let ids = tokenizer.encode(batch: ["a picture of a fox", "a picture of a car"])

        let ctx = model.makeContext()
        let images = pixels.withUnsafeMutableBufferPointer {
            model.encodeImages(Tensor($0.baseAddress!, [1, size, size, 3]), rounds: 2, ctx)
        }
        let texts = model.encodeTexts(ids, batch: 2, ctx)
        let logits = model.loss.logits(images: images, texts: texts, ctx).toArray()
        // --- end of the snippet ---

        #expect(images.shape == [1, 192] && texts.shape == [2, 192] && logits.count == 2)
        #expect(logits.allSatisfy { $0.isFinite })
        let norm = (0..<192).reduce(Float(0)) { $0 + images.data[$1] * images.data[$1] }
        #expect(abs(norm - 1) < 1e-5)
    }
}
