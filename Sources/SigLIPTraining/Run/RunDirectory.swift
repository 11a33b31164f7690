import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPModels

/// The files of a training run:
///
///     train_config.json            the effective options
///     metrics.jsonl                one JSON object per step (and per evaluation)
///     checkpoints/step-00000200/   config.json, model.safetensors, spiece.model (a Hugging Face
///                                  SigLIP directory), optimizer.safetensors, trainer_state.json
///     summary.json, curves.png     written at the end
///
/// Checkpoints are written into a hidden temporary folder, synced, then renamed into place, so
/// a killed run never leaves a half-written checkpoint under a real name.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var optionsFile: URL { url.appendingPathComponent("train_config.json") }
    public var metricsFile: URL { url.appendingPathComponent("metrics.jsonl") }
    public var summaryFile: URL { url.appendingPathComponent("summary.json") }
    public var curvesFile: URL { url.appendingPathComponent("curves.png") }
    public var checkpointsFolder: URL { url.appendingPathComponent("checkpoints") }

    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "trainer_state.json"
    public static let tokenizerFile = "spiece.model"

    func checkpointName(step: Int) -> String { String(format: "step-%08d", step) }

    /// Complete checkpoints, oldest first.
    public func checkpoints() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsFolder.path)) ?? []
        return names.filter { $0.hasPrefix("step-") }.sorted().map { checkpointsFolder.appendingPathComponent($0) }
    }

    public var latestCheckpoint: URL? { checkpoints().last }

    /// Writes summary.json (pretty, sorted keys; NaN written as "nan").
    public func writeSummary(_ summary: TrainingSummary) throws {
        try AtomicFile.write(try RunJSON.encoder(pretty: true).encode(summary), to: summaryFile)
    }

    /// Writes a checkpoint atomically and removes all but the newest `keep`.
    func writeCheckpoint(step: Int, keep: Int, _ write: (URL) throws -> Void) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: checkpointsFolder, withIntermediateDirectories: true)
        let final = checkpointsFolder.appendingPathComponent(checkpointName(step: step))
        let temporary = checkpointsFolder.appendingPathComponent(".tmp-" + checkpointName(step: step))
        try? fm.removeItem(at: temporary)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        try write(temporary)
        for name in try fm.contentsOfDirectory(atPath: temporary.path) { AtomicFile.sync(temporary.appendingPathComponent(name)) }
        try? fm.removeItem(at: final)
        try fm.moveItem(at: temporary, to: final)
        AtomicFile.sync(checkpointsFolder)
        for old in checkpoints().dropLast(keep) { try? fm.removeItem(at: old) }
        return final
    }
}

/// What a checkpoint records besides the weights and the optimiser moments: enough to continue
/// the run exactly.
public struct TrainerState: Codable, Equatable, Sendable {
    public var step: Int
    public var examplesSeen: Int
    public var flopsSpent: Double
    /// The input pipeline's position (its own Codable form, as JSON).
    public var dataPosition: Data
    public var generator: SeededGenerator
    public var optimizerStep: Int
    /// Lines of metrics.jsonl written up to this checkpoint (a resumed run truncates to it).
    public var metricsLines: Int
    public var skippedFiles: Int
    public var evaluations: [EvaluationRecord]
    /// Budget in steps the run was started with (resuming keeps it).
    public var totalSteps: Int
}

/// One periodic zero-shot evaluation.
public struct EvaluationRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var examples: Int
    public var flops: Double
    public var rounds: Int
    public var top1: Double
    public var top5: Double
    public var images: Int
    public var classes: Int

    public init(step: Int, examples: Int, flops: Double, score: EvaluationScore) {
        (self.step, self.examples, self.flops, self.rounds) = (step, examples, flops, score.rounds)
        (self.top1, self.top5, self.images, self.classes) = (score.top1, score.top5, score.images, score.classes)
    }
}

/// What a periodic evaluation measures at one number of inference rounds (the trainer adds
/// when it was taken to make an `EvaluationRecord`).
public struct EvaluationScore: Equatable, Sendable {
    public var rounds: Int
    /// Top-1 and top-5 accuracy, as fractions.
    public var top1: Double
    public var top5: Double
    public var images: Int
    public var classes: Int

    public init(rounds: Int, top1: Double, top5: Double, images: Int, classes: Int) {
        (self.rounds, self.top1, self.top5, self.images, self.classes) = (rounds, top1, top5, images, classes)
    }
}
