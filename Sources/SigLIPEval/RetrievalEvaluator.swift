import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPData

/// The embeddings of an image–text data set for retrieval: each distinct image once, each
/// usable sample's (first) caption once, and which image each caption describes.
public struct RetrievalEmbeddings: Sendable {
    /// Distinct image names [N], in first-seen order.
    public var imageNames: [String]
    /// [N, E], L2-normalised.
    public var images: [Float]
    /// [M] captions, in sample order.
    public var captions: [String]
    /// [M, E], L2-normalised.
    public var texts: [Float]
    /// [M]: the image (index into `imageNames`) caption j describes.
    public var imageOfText: [Int]
    public var skipped: [SkippedImage]
}

/// Retrieval over an image–text data set (any layout `openImageTextDataset` reads). Samples
/// with the same image name share one image (several captions per image); a sample whose
/// image cannot be read or decoded is skipped and listed.
public enum RetrievalEvaluator {
    public static func evaluate(encoder: ZeroShotEncoder, dataset: any ImageTextDataset, rounds: Int, batchSize: Int = 32,
                                ks: [Int] = Retrieval.defaultKs, data: String = "", checkpoint: String = "",
                                progress: (EvalProgress) -> Void = { _ in }) throws -> RetrievalReport {
        let embedded = try embed(encoder: encoder, dataset: dataset, rounds: rounds, batchSize: batchSize, data: data,
                                 progress: progress)
        let e = encoder.embeddingWidth
        let (i2t, t2i) = Retrieval.recall(images: embedded.images, texts: embedded.texts, imageOfText: embedded.imageOfText,
                                          width: e, ks: ks)
        func keyed(_ values: [Double]) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: zip(ks.map(String.init), values))
        }
        return RetrievalReport(data: data, checkpoint: checkpoint, rounds: rounds, images: embedded.imageNames.count,
                               texts: embedded.captions.count, flopsPerImage: encoder.flopsPerImage(rounds: rounds),
                               imageToText: keyed(i2t), textToImage: keyed(t2i), skipped: embedded.skipped)
    }

    /// Encodes every distinct image (decoded in parallel, batch by batch) and every usable
    /// sample's first caption at `rounds`.
    public static func embed(encoder: ZeroShotEncoder, dataset: any ImageTextDataset, rounds: Int, batchSize: Int = 32,
                             data: String = "", progress: (EvalProgress) -> Void = { _ in }) throws -> RetrievalEmbeddings {
        guard rounds >= 1 else { throw SigLIPError(path: "--rounds", problem: "rounds must be at least 1, got \(rounds)") }
        guard batchSize >= 1 else { throw SigLIPError(path: "--batch-size", problem: "must be at least 1, got \(batchSize)") }
        guard dataset.count > 0 else { throw SigLIPError(path: data, problem: "no image–text samples") }
        let size = encoder.imageSize, stride = size * size * 3, e = encoder.embeddingWidth
        var imageIndex: [String: Int] = [:], imageNames: [String] = []
        var imageEmbeddings: [Float] = [], captions: [String] = [], imageOfText: [Int] = []
        var skipped = dataset.indexSkipped.map { SkippedImage(path: $0.name, reason: $0.reason) }
        let buffer = FloatBuffer(count: batchSize * stride, zeroed: false)
        var start = 0
        while start < dataset.count {
            let end = min(start + batchSize, dataset.count)
            var samples: [ImageTextSample] = []
            for i in start..<end {
                do { samples.append(try dataset.sample(at: i)) } catch let error as SigLIPError where error.kind == .badSample {
                    skipped.append(SkippedImage(path: error.path, reason: error.problem))
                }
            }
            // Images not seen before, decoded in parallel.
            var fresh: [ImageTextSample] = []
            var pending: Set<String> = []
            for s in samples where imageIndex[s.name] == nil && !pending.contains(s.name) {
                fresh.append(s)
                pending.insert(s.name)
            }
            let failures = ImageLoading.loadInParallel(count: fresh.count, stride: stride, into: buffer.data) { i, slot in
                try ImageLoading.load(data: fresh[i].imageBytes, name: fresh[i].name, size: size, into: slot)
            }
            var loaded = 0
            for (i, failure) in failures.enumerated() {
                if let failure {
                    skipped.append(SkippedImage(path: fresh[i].name, reason: failure))
                    continue
                }
                if loaded != i { (buffer.data + loaded * stride).update(from: buffer.data + i * stride, count: stride) }
                imageIndex[fresh[i].name] = imageNames.count
                imageNames.append(fresh[i].name)
                loaded += 1
            }
            if loaded > 0 {
                imageEmbeddings += try encoder.encodeImages(UnsafeBufferPointer(start: buffer.data, count: loaded * stride),
                                                            count: loaded, rounds: rounds)
            }
            for s in samples { if let image = imageIndex[s.name] { captions.append(s.captionCandidates[0]); imageOfText.append(image) } }
            start = end
            progress(EvalProgress(phase: .images, done: start, total: dataset.count))
        }
        guard !captions.isEmpty else { throw SigLIPError(path: data, problem: "no usable image–text sample (all \(skipped.count) skipped)") }
        var textEmbeddings: [Float] = []
        var t = 0
        while t < captions.count {
            let chunkEnd = min(t + 256, captions.count)
            textEmbeddings += try encoder.encodeTexts(Array(captions[t..<chunkEnd]), rounds: rounds)
            t = chunkEnd
            progress(EvalProgress(phase: .texts, done: t, total: captions.count))
        }
        precondition(imageEmbeddings.count == imageNames.count * e, "one embedding per distinct image")
        return RetrievalEmbeddings(imageNames: imageNames, images: imageEmbeddings, captions: captions, texts: textEmbeddings,
                                   imageOfText: imageOfText, skipped: skipped)
    }
}
