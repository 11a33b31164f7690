import Foundation
import SigLIPBase
import SigLIPModels

/// Everything that defines a training run. Read from a JSON file (keys as below), overridden by
/// command-line flags, and written back as `train_config.json` in the run directory.
public struct TrainingOptions: Codable, Equatable, Sendable {
    // Model.
    /// Image tower preset and patch size, e.g. "Ti/16" (DESIGN.md §4.11 sizes).
    public var model = "Ti/8"
    /// Overrides the preset's depth (both towers) for CPU-sized runs.
    public var depth: Int? = 6
    public var imageSize = 32
    public var textLength = 16
    /// Masks text padding in attention (DESIGN.md §6.2: keeps captions apart at small scale).
    public var maskPadding = true
    /// Recursion of the image tower: "A B" (the baseline, the default: at this CPU scale the RINS
    /// study found it better than every recursive arm at equal training compute,
    /// evals/results/rins-study), "A^r B" (RINS), "(A B)^r", "A B^r".
    public var signature = "A B"
    public var rounds = 1
    public var skipProbability = 0.0
    public var adapter = AdapterKind.none
    /// Recursion of the text tower (baseline unless set).
    public var textSignature = "A B"
    public var textRounds = 1

    // Data.
    /// Training data: a folder of WebDataset shards, a .tar, or a JSONL/TSV manifest.
    public var data = "datasets/default/train"
    /// SentencePiece model (copied into every checkpoint as spiece.model).
    public var tokenizer = "datasets/tokenizer/siglip-emoji-4k.model"
    /// Zero-shot benchmark (ImageNet folder layout) evaluated every `evalEvery` steps; nil: none.
    public var evalData: String? = "datasets/default/zeroshot"
    public var evalEvery = 200
    /// Recursion rounds at which the periodic evaluation runs.
    public var evalRounds: [Int] = [1, 2]
    /// Random horizontal flips. Off by default, as in SigLIP's recipe: a flip mislabels every
    /// caption that names a direction ("right arrow").
    public var randomFlip = false
    public var workers = 2
    /// Training images larger than this (file or tar member, in bytes) or with more pixels are
    /// skipped as bad samples (README, "Bad input, limits and faults").
    public var maxImageBytes = 64 << 20
    public var maxImagePixels = 100_000_000

    // Optimisation (DESIGN.md §4.8; the bias init for small batches, §6.1; β2, §6.3).
    public var batchSize = 128
    /// Gradient accumulation: the batch's towers run in this many micro-batches of
    /// batchSize / accumulate pairs, against the exact sigmoid loss over the whole batch.
    public var accumulate = 1
    public var learningRate: Float = 1e-3
    public var warmupSteps = 50
    public var weightDecay: Float = 1e-4
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var gradientClipNorm: Float = 1.0
    /// Initial log temperature t (log 10, DESIGN.md §4.7).
    public var initialLogScale: Float = log(10)
    /// Initial bias b; nil means -ln(batch size) (DESIGN.md §6.1: -10 collapses small batches).
    public var initialBias: Float?

    // Budget: exactly one of steps, examples, flops; or matchBaselineSteps.
    public var steps: Int? = 600
    public var examples: Int?
    public var flops: Double?
    /// Compute matching: spend what the same model without recursion spends in this many steps.
    public var matchBaselineSteps: Int?

    // Run.
    public var seed: UInt64 = 0
    public var output = "runs/default"
    public var checkpointEvery = 200
    public var keepCheckpoints = 2
    /// Initial weights from a checkpoint directory (fine-tuning); nil: from scratch.
    public var initFrom: String?
    /// A tower whose weights are not trained (LiT, DESIGN.md §5.4); nil: both train.
    public var lock: TowerLock.Tower?
    /// With `lock`: its last k encoder blocks, final norm and head still train.
    public var unlockedBlocks = 0

    public init() {}

    /// The tower lock these options ask for.
    public var towerLock: TowerLock? { lock.map { TowerLock(tower: $0, unlockedBlocks: unlockedBlocks) } }

    /// The options that describe the architecture, by their keys in train_config.json: with
    /// `initFrom`, those not given are taken from the pretrained model (`adoptingArchitecture`).
    public static let architectureKeys: Set<String> = ["model", "depth", "imageSize", "textLength", "maskPadding", "tokenizer"]

    /// These options with the architecture of the pretrained model `pretrained` (read from
    /// `path`) in place of every architecture option not in `given` (keys of
    /// `architectureKeys` the user set): the preset and patch size, depth, image size, text
    /// length, padding mask, and the tokenizer when `tokenizer` (the one beside the checkpoint)
    /// exists. A model whose towers are not one preset's sizes cannot be described by options.
    public func adoptingArchitecture(of pretrained: SigLIPConfig, path: String, tokenizer: String?, given: Set<String>) throws -> TrainingOptions {
        var o = self
        let (i, t) = (pretrained.imageTower, pretrained.textTower)
        func sizes(_ width: Int, _ mlp: Int, _ heads: Int) -> String { "width \(width), MLP \(mlp), \(heads) heads" }
        guard let variant = ViTVariant.allCases.first(where: { $0.width == i.width && $0.mlpWidth == i.mlpWidth && $0.heads == i.heads }) else {
            throw TrainingError.badOptions("--init-from \(path): its image tower (\(sizes(i.width, i.mlpWidth, i.heads))) is not the size of a preset (\(ViTVariant.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard t.width == variant.width, t.mlpWidth == variant.mlpWidth, t.heads == variant.heads, t.depth == i.depth else {
            throw TrainingError.badOptions("--init-from \(path): its text tower (\(sizes(t.width, t.mlpWidth, t.heads)), depth \(t.depth)) is not the \(variant.rawValue) preset of its image tower (depth \(i.depth))")
        }
        if !given.contains("model") { o.model = "\(variant.rawValue)/\(i.patchSize)" }
        if !given.contains("depth") { o.depth = i.depth == variant.depth ? nil : i.depth }
        if !given.contains("imageSize") { o.imageSize = i.imageSize }
        if !given.contains("textLength") { o.textLength = t.length }
        if !given.contains("maskPadding") { o.maskPadding = t.maskPadding }
        if !given.contains("tokenizer"), let tokenizer { o.tokenizer = tokenizer }
        return o
    }

    /// The bias initialisation actually used.
    public var effectiveInitialBias: Float { initialBias ?? -Float(Foundation.log(Double(batchSize))) }

    /// Reads options from a JSON file: its keys override the defaults; an unknown key (a typo)
    /// is an error.
    public static func read(from url: URL) throws -> TrainingOptions {
        let data: Data
        do { data = try RegularFile.contents(of: url, limit: RegularFile.Limit.json) } catch let error as SigLIPError {
            throw TrainingError.badOptions(error.description)
        }
        guard let given = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TrainingError.badOptions("\(url.path): not a JSON object")
        }
        return try TrainingOptions().merging(given, source: url.path)
    }

    /// The keys of an options file (which options it sets).
    public static func keys(in url: URL) throws -> Set<String> {
        let data = try RegularFile.contents(of: url, limit: RegularFile.Limit.json)
        return Set(((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?.keys ?? [:].keys)
    }

    /// These options with the keys of `given` (JSON values, keys as in train_config.json)
    /// replacing theirs; an unknown key or a value of the wrong type is an error naming `source`.
    public func merging(_ given: [String: Any], source: String) throws -> TrainingOptions {
        var merged = try JSONSerialization.jsonObject(with: jsonData()) as! [String: Any]
        let known = Set(merged.keys)
        if let unknown = given.keys.sorted().first(where: { !known.contains($0) }) {
            throw TrainingError.badOptions("\(source): unknown option '\(unknown)'")
        }
        merged.merge(given) { _, new in new }
        do {
            return try JSONDecoder().decode(TrainingOptions.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let error as DecodingError {
            throw TrainingError.badOptions("\(source): \(describe(error))")
        }
    }

    /// Every option, unset ones as explicit nulls (so that reading the file back gives these
    /// options, not the defaults). The keys are the property names (synthesised `Codable`), so
    /// the unset ones are read off the struct itself: a new optional option needs no list.
    public func jsonData() throws -> Data {
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as! [String: Any]
        for case let key? in Mirror(reflecting: self).children.map(\.label) where object[key] == nil { object[key] = NSNull() }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Bounds of the run's counts (steps, examples per step, …): far above any CPU run, and low
    /// enough that no product of them (examples seen, FLOPs, data positions) overflows.
    public enum Limits {
        public static let steps = 1_000_000_000
        public static let batchSize = 1 << 20
        public static let workers = 256
        public static let keepCheckpoints = 10_000
    }

    /// Checks every option for a value that is out of range or would only fail late; each
    /// problem names the option as the command line spells it.
    public func validate() throws {
        func fail(_ option: String, _ problem: String) -> TrainingError { .badOptions("--\(option): \(problem)") }
        func inRange<T: Comparable>(_ option: String, _ value: T, _ range: ClosedRange<T>) throws {
            guard range.contains(value) else { throw fail(option, "\(value) is outside \(range.lowerBound)…\(range.upperBound)") }
        }
        let budgets = [steps != nil, examples != nil, flops != nil, matchBaselineSteps != nil].filter { $0 }.count
        guard budgets == 1 else {
            throw TrainingError.badOptions("give exactly one training budget: steps, examples, flops or match-baseline-steps (got \(budgets))")
        }
        guard batchSize >= 2 else { throw TrainingError.badOptions("batch size must be at least 2 (the sigmoid loss needs negatives)") }
        try inRange("batch-size", batchSize, 2...Limits.batchSize)
        try inRange("accumulate", accumulate, 1...batchSize)
        guard batchSize % accumulate == 0 else {
            throw fail("accumulate", "\(accumulate) does not divide the batch size \(batchSize) into equal micro-batches")
        }
        if let steps { try inRange("steps", steps, 1...Limits.steps) }
        if let matchBaselineSteps { try inRange("match-baseline-steps", matchBaselineSteps, 1...Limits.steps) }
        if let examples { try inRange("examples", examples, 1...Limits.steps * batchSize) }
        if let flops, !(flops.isFinite && flops > 0) { throw fail("flops", "\(flops) is not a positive number") }
        guard rounds >= 1, textRounds >= 1 else { throw TrainingError.badOptions("rounds must be at least 1") }
        try inRange("rounds", rounds, 1...ConfigLimits.rounds)
        try inRange("text-rounds", textRounds, 1...ConfigLimits.rounds)
        if skipProbability.isNaN { throw fail("skip-probability", "is not a number") }
        try inRange("skip-probability", skipProbability, 0...1)
        guard !evalRounds.isEmpty else { throw fail("eval-rounds", "the list is empty") }
        for r in evalRounds { try inRange("eval-rounds", r, 1...ConfigLimits.rounds) }
        try inRange("eval-every", evalEvery, 1...Limits.steps)
        try inRange("checkpoint-every", checkpointEvery, 1...Limits.steps)
        try inRange("keep-checkpoints", keepCheckpoints, 1...Limits.keepCheckpoints)
        try inRange("workers", workers, 1...Limits.workers)
        try inRange("max-image-bytes", maxImageBytes, 1...(1 << 32))
        try inRange("max-image-pixels", maxImagePixels, 1...1_000_000_000)
        try inRange("warmup-steps", warmupSteps, 0...Limits.steps)
        // Optimiser values: finite and in the range where AdamW means something.
        for (option, value) in [("learning-rate", learningRate), ("weight-decay", weightDecay), ("gradient-clip-norm", gradientClipNorm),
                                ("beta1", beta1), ("beta2", beta2), ("initial-log-scale", initialLogScale),
                                ("initial-bias", initialBias ?? 0)] where !value.isFinite {
            throw fail(option, "\(value) is not a finite number")
        }
        guard learningRate > 0, learningRate <= 10 else { throw fail("learning-rate", "\(learningRate) is outside (0, 10]") }
        try inRange("weight-decay", weightDecay, 0...10)
        guard gradientClipNorm > 0 else { throw fail("gradient-clip-norm", "\(gradientClipNorm) must be positive") }
        guard (0..<1).contains(beta1) else { throw fail("beta1", "\(beta1) is outside [0, 1)") }
        guard (0..<1).contains(beta2) else { throw fail("beta2", "\(beta2) is outside [0, 1)") }
        // exp(t) must stay finite in Float: t ≤ 80 (t is clamped to log 100 in use anyway).
        try inRange("initial-log-scale", initialLogScale, -80...80)
        if let initialBias { try inRange("initial-bias", initialBias, -1000...1000) }
        guard !output.isEmpty else { throw fail("output", "is empty") }
        let config = try modelConfig(vocabularySize: 2)
        if lock == nil && unlockedBlocks != 0 { throw fail("unlocked-blocks", "needs --lock image or --lock text") }
        if let towerLock {
            let tower = towerLock.tower == .image ? config.imageTower.depth : config.textTower.depth
            let recursion = towerLock.tower == .image ? config.imageTower.recursion : config.textTower.recursion
            do { try towerLock.check(depth: tower, recursion: recursion) } catch let error as ConfigError {
                throw TrainingError.badOptions(error.description)
            }
        }
    }

    /// The model configuration these options describe, for a tokenizer of `vocabularySize`
    /// whose EOS and pad ids are `eosID` and `padID` (the text tower pools at that EOS when
    /// padding is masked, so the two must agree).
    public func modelConfig(vocabularySize: Int, eosID: Int = 1, padID: Int = 1) throws -> SigLIPConfig {
        do { return try makeModelConfig(vocabularySize: vocabularySize, eosID: eosID, padID: padID) } catch let error as ConfigError {
            throw TrainingError.badOptions(error.description)
        }
    }

    private func makeModelConfig(vocabularySize: Int, eosID: Int, padID: Int) throws -> SigLIPConfig {
        if let depth, !(1...ConfigLimits.depth).contains(depth) {
            throw ConfigError("--depth \(depth) is outside 1…\(ConfigLimits.depth)")
        }
        var vision = try ImageTowerConfig(preset: model, imageSize: imageSize)
        var text = try TextTowerConfig(preset: model, vocabularySize: vocabularySize, length: textLength)
        if let depth {
            vision.depth = depth
            text.depth = depth
        }
        vision.recursion = RecursionConfig(signature: try RecursionSignature(parsing: signature), rounds: rounds,
                                           skipProbability: skipProbability, adapter: adapter)
        text.recursion = RecursionConfig(signature: try RecursionSignature(parsing: textSignature), rounds: textRounds)
        text.maskPadding = maskPadding
        (text.padID, text.eosID, text.bosID) = (padID, eosID, 0)
        let config = SigLIPConfig(vision: vision, text: text)
        try config.validate()
        return config
    }
}

/// What stops a run.
public enum TrainingError: Error, CustomStringConvertible {
    case badOptions(String)
    case nonFinite(step: Int, loss: Float, gradientNorm: Float, lastCheckpoint: String?)
    case incompatibleCheckpoint(String)

    public var description: String {
        switch self {
        case .badOptions(let m): return m
        case .nonFinite(let step, let loss, let norm, let last):
            return "step \(step): loss \(loss), gradient norm \(norm) is not finite; stopped. "
                + (last.map { "The last good checkpoint is \($0)." } ?? "No checkpoint was written yet.")
        case .incompatibleCheckpoint(let m): return m
        }
    }
}

func describe(_ error: DecodingError) -> String {
    switch error {
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
        let path = c.codingPath.map(\.stringValue).joined(separator: ".")
        return (path.isEmpty ? "" : "'\(path)': ") + c.debugDescription
    @unknown default:
        return "\(error)"
    }
}
