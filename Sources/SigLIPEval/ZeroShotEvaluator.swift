import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPData

/// Progress of a long evaluation step, reported through a callback (libraries never print).
public struct EvalProgress: Sendable, Equatable {
    public enum Phase: String, Sendable { case classTexts = "class texts", images, texts }
    public let phase: Phase
    public let done: Int
    public let total: Int

    public init(phase: Phase, done: Int, total: Int) {
        self.phase = phase
        self.done = done
        self.total = total
    }
}

/// What a zero-shot evaluation classifies: class names, prompt templates and labelled images.
public struct ZeroShotTask: Sendable {
    public var classNames: [String]
    public var templates: [String]
    public var images: [URL]
    /// labels[i] ∈ 0..<K is the class of images[i].
    public var labels: [Int]

    public init(classNames: [String], templates: [String], images: [URL], labels: [Int]) {
        self.classNames = classNames
        self.templates = templates
        self.images = images
        self.labels = labels
    }

    public init(dataset: ClassificationDataset, templates: [String]) {
        self.init(classNames: dataset.classNames, templates: templates, images: dataset.examples.map(\.url),
                  labels: dataset.examples.map(\.label))
    }
}

/// The zero-shot classifier of DESIGN.md §4.9 run over a task at several recursion rounds.
public enum ZeroShotEvaluator {
    public struct Outcome: Sendable {
        /// One per requested rounds value, in the order asked, with `gainOverOneRound` filled.
        public var results: [RoundsResult]
        public var skipped: [SkippedImage]
        /// The images evaluated (the task's, less the skipped ones), in task order.
        public var evaluated: [URL]
        /// Per requested rounds value (same order as `results`), each evaluated image's
        /// outcome, aligned with `evaluated`: top-1 hit and top-k hit.
        public var itemHits: [(top1: [Bool], topK: [Bool])]
    }

    /// Images per batch and texts per batch unless told otherwise (also `SigLIPEncoder`'s texts per
    /// forward pass, and what `MemoryEstimate` counts for an evaluation during training).
    public static let defaultImageBatch = 32, defaultTextBatch = 256

    /// Class text embeddings are computed once (per rounds value only when the text tower
    /// recurses); each batch of images is decoded once, in parallel, and encoded at every
    /// rounds value. Undecodable images are skipped and listed in `skipped`.
    public static func evaluate(encoder: ZeroShotEncoder, task: ZeroShotTask, rounds: [Int], batchSize: Int = defaultImageBatch,
                                textBatchSize: Int = defaultTextBatch, listed: Int = 10,
                                progress: (EvalProgress) -> Void = { _ in }) throws -> Outcome {
        try validate(task: task, rounds: rounds, batchSize: batchSize)
        let k = task.classNames.count, e = encoder.embeddingWidth
        var classEmbeddings: [Int: [Float]] = [:]
        let textRounds = encoder.textDependsOnRounds ? rounds : [rounds[0]]
        for r in textRounds {
            classEmbeddings[r] = try ClassEmbeddings.compute(
                encoder: encoder, classNames: task.classNames, templates: task.templates, rounds: r, batchSize: textBatchSize,
                progress: { progress(EvalProgress(phase: .classTexts, done: $0, total: $1)) })
        }
        func weights(_ r: Int) -> [Float] { classEmbeddings[encoder.textDependsOnRounds ? r : rounds[0]]! }

        var boards = rounds.map { _ in Scoreboard(classes: k) }
        var skipped: [SkippedImage] = [], evaluated: [URL] = []
        let size = encoder.imageSize, stride = size * size * 3
        let buffer = FloatBuffer(count: batchSize * stride, zeroed: false)
        var start = 0
        progress(EvalProgress(phase: .images, done: 0, total: task.images.count))
        while start < task.images.count {
            let end = min(start + batchSize, task.images.count)
            let failures = ImageLoading.loadBatch(Array(task.images[start..<end]), size: size, filter: encoder.resizeFilter,
                                                      into: buffer.data)
            var labels: [Int] = []
            for (i, failure) in failures.enumerated() {
                if let failure {
                    skipped.append(SkippedImage(path: task.images[start + i].path, reason: failure))
                } else {
                    if labels.count != i { (buffer.data + labels.count * stride).update(from: buffer.data + i * stride, count: stride) }
                    labels.append(task.labels[start + i])
                    evaluated.append(task.images[start + i])
                }
            }
            if !labels.isEmpty {
                let pixels = UnsafeBufferPointer(start: buffer.data, count: labels.count * stride)
                for (j, r) in rounds.enumerated() {
                    let embeddings = try encoder.encodeImages(pixels, count: labels.count, rounds: r)
                    guard embeddings.count == labels.count * e else {
                        throw SigLIPError(path: "", problem: "image encoder returned \(embeddings.count) floats for \(labels.count) images of width \(e)")
                    }
                    boards[j].add(images: embeddings, labels: labels, classEmbeddings: weights(r), width: e)
                }
            }
            start = end
            progress(EvalProgress(phase: .images, done: start, total: task.images.count))
        }
        guard boards[0].images > 0 else {
            throw SigLIPError(path: "", problem: "none of the \(task.images.count) images could be decoded (first: \(skipped.first.map { "\($0.path): \($0.reason)" } ?? "?"))")
        }
        var results = zip(rounds, boards).map { r, board in
            RoundsResult(rounds: r, scoreboard: board, classNames: task.classNames, flopsPerImage: encoder.flopsPerImage(rounds: r), listed: listed)
        }
        if let one = results.first(where: { $0.rounds == 1 }) {
            for i in results.indices { results[i].gainOverOneRound = results[i].top1 - one.top1 }
        }
        return Outcome(results: results, skipped: skipped, evaluated: evaluated,
                       itemHits: boards.map { ($0.top1HitList, $0.topKHitList) })
    }

    /// Sets `gainOverBaseline` of every candidate result to its top-1 minus the baseline's
    /// (the baseline's first result: the checkpoint as configured).
    public static func applyBaseline(_ baseline: RoundsResult, to results: inout [RoundsResult]) {
        for i in results.indices { results[i].gainOverBaseline = results[i].top1 - baseline.top1 }
    }

    static func validate(task: ZeroShotTask, rounds: [Int], batchSize: Int) throws {
        guard !rounds.isEmpty else { throw SigLIPError(path: "--rounds", problem: "no rounds values") }
        if let bad = rounds.first(where: { $0 < 1 }) { throw SigLIPError(path: "--rounds", problem: "rounds must be at least 1, got \(bad)") }
        guard batchSize >= 1 else { throw SigLIPError(path: "--batch-size", problem: "must be at least 1, got \(batchSize)") }
        guard !task.classNames.isEmpty else { throw SigLIPError(path: "", problem: "no classes") }
        guard task.images.count == task.labels.count else { throw SigLIPError(path: "", problem: "\(task.images.count) images but \(task.labels.count) labels") }
        if let bad = task.labels.first(where: { !(0..<task.classNames.count).contains($0) }) {
            throw SigLIPError(path: "", problem: "label \(bad) outside 0..<\(task.classNames.count)")
        }
        guard !task.images.isEmpty else { throw SigLIPError(path: "", problem: "no images to evaluate") }
    }
}
