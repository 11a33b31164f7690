import Foundation
import SigLIPBase
import SigLIPCore

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
    /// How the steps up to this checkpoint were computed (nil in checkpoints written before it
    /// was recorded): a run resumed on another setup says so, as its sums round differently.
    public var compute: ComputeSetup?

    /// Every field, against the others and the run's batch size: a state that does not add up
    /// is damaged, and resuming from it would continue a different run. Throws `SigLIPError`
    /// naming `file`, of kind `.corrupt`.
    public func check(batchSize: Int, maxSteps: Int, maxRounds: Int, file: String) throws {
        func bad(_ problem: String) -> SigLIPError { SigLIPError(path: file, problem: problem, kind: .corrupt) }
        guard (1...maxSteps).contains(totalSteps) else { throw bad("total steps \(totalSteps) out of range") }
        guard (0...totalSteps).contains(step) else { throw bad("step \(step) is outside 0…\(totalSteps)") }
        guard examplesSeen == step * batchSize else { throw bad("\(examplesSeen) examples seen in \(step) steps of batch \(batchSize)") }
        guard optimizerStep == step else { throw bad("optimiser step \(optimizerStep) differs from step \(step)") }
        guard flopsSpent.isFinite, flopsSpent >= 0 else { throw bad("FLOPs spent \(flopsSpent) is not a non-negative number") }
        guard skippedFiles >= 0 else { throw bad("skipped files \(skippedFiles) is negative") }
        // One metrics line per step and per evaluation record (compared so that no sum overflows).
        guard metricsLines >= step, metricsLines - step == evaluations.count else {
            throw bad("\(metricsLines) metrics lines for \(step) steps and \(evaluations.count) evaluations")
        }
        for e in evaluations {
            guard e.step >= 1, e.step <= step, e.rounds >= 1, e.rounds <= maxRounds, e.images >= 0, e.classes >= 0 else {
                throw bad("an evaluation record (step \(e.step), rounds \(e.rounds)) does not fit the run")
            }
        }
        // The data position is the source's own form: the source checks it when it opens there.
    }
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

    /// What was measured, without when.
    public var score: EvaluationScore {
        EvaluationScore(rounds: rounds, top1: top1, top5: top5, images: images, classes: classes)
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
