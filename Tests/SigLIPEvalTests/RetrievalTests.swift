import Foundation
import SigLIPData
import SigLIPEval
import SigLIPTestSupport
import Testing

@Suite("Retrieval") struct RetrievalTests {
    /// Three images, four texts (image 0 has two). Scores are chosen so every rank is known.
    @Test func recallAtK() {
        let images = [unit(3, [0: 1]), unit(3, [1: 1]), unit(3, [2: 1])].flatMap { $0 }
        // text 0 → image 0 (best match), text 1 → image 0 (but closest to image 1),
        // text 2 → image 1 (closest to image 2, then 1), text 3 → image 2 (best).
        let texts = [unit(3, [0: 1]), unit(3, [1: 1]), unit(3, [2: 0.8, 1: 0.6]), unit(3, [2: 1])].flatMap { $0 }
        let (i2t, t2i) = Retrieval.recall(images: images, texts: texts, imageOfText: [0, 0, 1, 2], width: 3, ks: [1, 2, 5])
        // Image→text: image 0's best text (text 0) ranks 1st; image 1: text 1 ranks 1st, text 2 2nd →
        // its own text 2 ranks 2nd; image 2: text 3 ranks 1st.
        #expect(i2t == [2.0 / 3, 1, 1])
        // Text→image: text 0 → 1st, text 1 → image 0 ranks 2nd (image 1 first; image 0 ties image 2 but
        // has the lower index), text 2 → image 1 ranks 2nd, text 3 → 1st.
        #expect(t2i == [0.5, 1, 1])
    }

    /// Over a caption manifest: shared images are encoded once; a missing image is skipped.
    @Test func manifestThroughTheEvaluator() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let emoji = try Repo.emojiImages(2)
        let a = try folder.write("images/a.png", try Data(contentsOf: emoji[0]))
        let b = try folder.write("images/b.png", try Data(contentsOf: emoji[1]))
        let lines = [#"{"image": "images/a.png", "caption": "first"}"#, #"{"image": "images/b.png", "caption": "second"}"#,
                     #"{"image": "images/a.png", "caption": "again first"}"#, #"{"image": "images/missing.png", "caption": "lost"}"#]
        let manifest = try folder.write("captions.jsonl", Data(lines.joined(separator: "\n").utf8))
        let encoder = TableEncoder(imageSize: 32, embeddingWidth: 2)
        encoder.images = [0: [try ImageLoading.load(a, size: 32): unit(2, [0: 1]), try ImageLoading.load(b, size: 32): unit(2, [1: 1])]]
        encoder.texts = ["first": unit(2, [0: 1]), "second": unit(2, [0: 0.6, 1: 0.8]), "again first": unit(2, [1: 1])]
        let report = try RetrievalEvaluator.evaluate(encoder: encoder, dataset: try openImageTextDataset(at: manifest), rounds: 1, batchSize: 3)
        #expect(report.images == 2 && report.texts == 3 && report.skipped.count == 1)
        #expect(report.imageToText["1"] == 0.5)         // image b ranks "again first" (image a's) above "second"
        #expect(report.imageToText["5"] == 1)
        #expect(report.textToImage["1"] == 2.0 / 3)     // "again first" is closer to image b
        #expect(report.textToImage["10"] == 1)
    }
}
