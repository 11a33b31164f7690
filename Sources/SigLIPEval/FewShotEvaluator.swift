import Foundation
import SigLIPBase
import SigLIPCore

/// What a few-shot evaluation runs: shots per class, recursion rounds, seeded draws and the
/// ridge regularisation strengths.
public struct FewShotSettings: Sendable, Equatable {
    /// big_vision's shots (`configs/common_fewshot.py`).
    public static let defaultShots = [1, 5, 10, 25]
    /// big_vision's `num_seeds`.
    public static let defaultDraws = 3
    /// Bounds of the flags, far above any real use.
    public static let drawLimit = 10_000, shotLimit = 1_000_000

    public var shots: [Int]
    public var rounds: [Int]
    public var draws: Int
    public var seed: UInt64
    /// One probe per value; big_vision's single λ = 2¹⁰ by default.
    public var l2: [Double]
    /// Images per forward pass.
    public var batchSize: Int

    public init(shots: [Int] = defaultShots, rounds: [Int] = [1], draws: Int = defaultDraws, seed: UInt64 = 0,
                l2: [Double] = [LinearProbe.standardL2], batchSize: Int = 32) {
        self.shots = shots
        self.rounds = rounds
        self.draws = draws
        self.seed = seed
        self.l2 = l2
        self.batchSize = batchSize
    }

    /// "1,5,10,25" → [1, 5, 10, 25], checked as `checkShots`.
    public static func parseShots(_ text: String) throws -> [Int] {
        let values = try parseList(text, flag: "--shots", what: "whole numbers of images per class") { Int($0) }
        try checkShots(values)
        return values
    }

    /// "1024" or "1,32,1024" → λ values, checked as `checkL2`.
    public static func parseL2(_ text: String) throws -> [Double] {
        let values = try parseList(text, flag: "--l2", what: "numbers") { Double($0) }
        try checkL2(values)
        return values
    }

    /// Throws, naming `--shots`, unless there is at least one value, each in 1…`shotLimit`, none twice.
    public static func checkShots(_ values: [Int]) throws {
        try checkDistinct(values, flag: "--shots")
        if let bad = values.first(where: { !(1...shotLimit).contains($0) }) {
            throw SigLIPError(path: "--shots", problem: "\(bad) is outside 1…\(shotLimit) images per class")
        }
    }

    /// Throws, naming `--l2`, unless there is at least one value, each finite in (0, 1e12], none twice.
    public static func checkL2(_ values: [Double]) throws {
        try checkDistinct(values, flag: "--l2")
        if let bad = values.first(where: { !($0.isFinite && $0 > 0 && $0 <= 1e12) }) {
            throw SigLIPError(path: "--l2", problem: "\(bad) is outside (0, 1e12]")
        }
    }

    /// Throws, naming the flag, when a value is out of range (rounds 1…64 are the command's
    /// own check: the library takes any rounds the model does).
    public func validate() throws {
        try Self.checkShots(shots)
        try Self.checkL2(l2)
        guard (1...Self.drawLimit).contains(draws) else {
            throw SigLIPError(path: "--draws", problem: "\(draws) is outside 1…\(Self.drawLimit)")
        }
        guard !rounds.isEmpty else { throw SigLIPError(path: "--rounds", problem: "no rounds values") }
        if let bad = rounds.first(where: { $0 < 1 }) { throw SigLIPError(path: "--rounds", problem: "rounds must be at least 1, got \(bad)") }
        guard batchSize >= 1 else { throw SigLIPError(path: "--batch-size", problem: "must be at least 1, got \(batchSize)") }
    }

    /// The entries of a comma-separated list, or an error naming `flag` when any does not parse.
    static func parseList<T>(_ text: String, flag: String, what: String, _ parse: (String) -> T?) throws -> [T] {
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { parse($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.contains(where: { $0 == nil }) else {
            throw SigLIPError(path: flag, problem: "'\(text)' is not a comma-separated list of \(what)")
        }
        return values.compactMap { $0 }
    }

    static func checkDistinct<T: Equatable & CustomStringConvertible>(_ values: [T], flag: String) throws {
        guard !values.isEmpty else { throw SigLIPError(path: flag, problem: "no values") }
        if let i = values.indices.first(where: { values[..<$0].contains(values[$0]) }) {
            throw SigLIPError(path: flag, problem: "\(values[i]) is listed twice")
        }
    }
}

/// The few-shot linear probe (`LinearProbe`) over frozen image embeddings at several recursion
/// rounds: every image is embedded once per rounds value, then for each seeded draw and shots
/// value a probe is fitted on the shots and scored on the test images.
public enum FewShotEvaluator {
    /// The embeddings of a benchmark's images.
    public struct Features: Sendable {
        /// One per rounds value asked, each [N, E] L2-normalised over the decodable images.
        public var perRounds: [LabelledFeatures]
        /// [N]: whether the image is from test/ (always false in the class-folders layout).
        public var isTest: [Bool]
        public var skipped: [SkippedImage]
    }

    /// What a checkpoint scored, and on what.
    public struct Outcome: Sendable {
        /// One per rounds value, in the order asked.
        public var results: [FewShotRoundsResult]
        public var skipped: [SkippedImage]
        /// Decodable images of the shot pool; images tested in each draw.
        public var poolImages: Int, testImages: Int
    }

    /// Embeds the benchmark's images and probes them. Throws, naming the class folder and
    /// `--shots`, when a class has too few decodable images for the shots.
    public static func evaluate(encoder: ZeroShotEncoder, benchmark: FewShotBenchmark, settings: FewShotSettings,
                                progress: (EvalProgress) -> Void = { _ in }) throws -> Outcome {
        try settings.validate()
        try benchmark.requireImages(forShots: settings.shots, poolCounts: benchmark.poolCounts)
        let images = benchmark.images
        let features = try embed(encoder: encoder, images: images.map(\.url), labels: images.map(\.label),
                                 isTest: images.map(\.isTest), rounds: settings.rounds, batchSize: settings.batchSize,
                                 progress: progress)
        let k = benchmark.classCount
        var kept = [Int](repeating: 0, count: k)
        for (label, isTest) in zip(features.perRounds[0].labels, features.isTest) where !isTest { kept[label] += 1 }
        try benchmark.requireImages(forShots: settings.shots, poolCounts: kept,
                                    undecodable: zip(benchmark.poolCounts, kept).map { $0 - $1 })
        if benchmark.layout == .trainTest, !features.isTest.contains(true), let test = benchmark.test {
            throw SigLIPError(path: test.root.path, problem: "none of its \(test.examples.count) images could be decoded")
        }
        var results: [FewShotRoundsResult] = []
        var testImages = 0
        for (r, rounds) in settings.rounds.enumerated() {
            let scored = try score(features.perRounds[r], isTest: features.isTest, classes: k, settings: settings)
            testImages = scored.testImages
            results.append(FewShotRoundsResult(rounds: rounds, flopsPerImage: encoder.flopsPerImage(rounds: rounds), cells: scored.cells))
        }
        return Outcome(results: results, skipped: features.skipped, poolImages: kept.reduce(0, +), testImages: testImages)
    }

    /// Probes one set of embeddings: for each of `settings.draws` draws and each shots value, one
    /// probe per λ. isTest: [N], the fixed test images (train/test layout); when none is set,
    /// each draw tests every class's images after its first max(shots). Returns one cell per
    /// (shots, λ), shots-major, and the images tested per draw. Draws run in parallel; the
    /// figures do not depend on the number of threads.
    public static func score(_ features: LabelledFeatures, isTest: [Bool], classes: Int, settings: FewShotSettings)
        throws -> (cells: [FewShotCell], testImages: Int) {
        precondition(isTest.count == features.count)
        let pool = features.labels.indices.filter { !isTest[$0] }
        let fixedTest = features.labels.indices.filter { isTest[$0] }
        let poolLabels = pool.map { features.labels[$0] }
        let maxShots = settings.shots.max() ?? 0, lambdas = settings.l2.count

        /// Draw d's accuracies [shots × λ], shots-major, and its number of test images.
        func probe(draw d: Int) throws -> (accuracies: [Double], tested: Int) {
            let draw = FewShotDraw(labels: poolLabels, classes: classes, seed: settings.seed, index: d)
            let test = features.rows(fixedTest.isEmpty ? draw.remainder(after: maxShots).map { pool[$0] } : fixedTest)
            var accuracies: [Double] = []
            for shots in settings.shots {
                let probes = try LinearProbe.fit(features.rows(draw.shots(shots).map { pool[$0] }), classes: classes, l2: settings.l2)
                accuracies += probes.map { $0.accuracy(on: test) }
            }
            return (accuracies, test.count)
        }

        let outcomes = UnsafeMutablePointer<Result<(accuracies: [Double], tested: Int), Error>?>.allocate(capacity: settings.draws)
        outcomes.initialize(repeating: nil, count: settings.draws)
        defer { outcomes.deinitialize(count: settings.draws); outcomes.deallocate() }
        // Each draw writes only its own slot.
        parallelFor(settings.draws, costPerItem: 1 << 20) { range in
            for d in range { outcomes[d] = Result { try probe(draw: d) } }
        }
        let perDraw = try (0..<settings.draws).map { try outcomes[$0]!.get() }
        let testImages = perDraw.last?.tested ?? 0
        var cells: [FewShotCell] = []
        for (s, shots) in settings.shots.enumerated() {
            for (l, lambda) in settings.l2.enumerated() {
                cells.append(FewShotCell(shots: shots, l2: lambda, trainImages: shots * classes, testImages: testImages,
                                         accuracies: perDraw.map { $0.accuracies[s * lambdas + l] }))
            }
        }
        return (cells, testImages)
    }

    /// Embeds `images` at every rounds value, each batch decoded once (in parallel) and encoded
    /// at every rounds value. Undecodable images are left out and listed in `skipped`.
    public static func embed(encoder: ZeroShotEncoder, images: [URL], labels: [Int], isTest: [Bool], rounds: [Int],
                             batchSize: Int, progress: (EvalProgress) -> Void = { _ in }) throws -> Features {
        precondition(images.count == labels.count && images.count == isTest.count)
        let size = encoder.imageSize, stride = size * size * 3, e = encoder.embeddingWidth
        let buffer = FloatBuffer(count: batchSize * stride, zeroed: false)
        var values = [[Float]](repeating: [], count: rounds.count)
        var keptLabels: [Int] = [], keptTest: [Bool] = [], skipped: [SkippedImage] = []
        var start = 0
        progress(EvalProgress(phase: .images, done: 0, total: images.count))
        while start < images.count {
            let end = min(start + batchSize, images.count)
            let failures = ImageLoading.loadBatch(Array(images[start..<end]), size: size, filter: encoder.resizeFilter, into: buffer.data)
            var count = 0
            for (i, failure) in failures.enumerated() {
                if let failure {
                    skipped.append(SkippedImage(path: images[start + i].path, reason: failure))
                    continue
                }
                if count != i { (buffer.data + count * stride).update(from: buffer.data + i * stride, count: stride) }
                count += 1
                keptLabels.append(labels[start + i])
                keptTest.append(isTest[start + i])
            }
            if count > 0 {
                let pixels = UnsafeBufferPointer(start: buffer.data, count: count * stride)
                for (j, r) in rounds.enumerated() {
                    let embeddings = try encoder.encodeImages(pixels, count: count, rounds: r)
                    guard embeddings.count == count * e else {
                        throw SigLIPError(path: "", problem: "image encoder returned \(embeddings.count) floats for \(count) images of width \(e)")
                    }
                    values[j] += embeddings
                }
            }
            start = end
            progress(EvalProgress(phase: .images, done: start, total: images.count))
        }
        guard !keptLabels.isEmpty else {
            throw SigLIPError(path: "", problem: "none of the \(images.count) images could be decoded (first: \(skipped.first.map { "\($0.path): \($0.reason)" } ?? "?"))")
        }
        return Features(perRounds: values.map { LabelledFeatures(width: e, values: $0, labels: keptLabels) },
                        isTest: keptTest, skipped: skipped)
    }
}
