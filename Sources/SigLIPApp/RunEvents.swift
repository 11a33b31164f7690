import Foundation
import SigLIPEval
import SigLIPTraining

/// `siglip-eval zero-shot --tensorboard DIR`: zero-shot results measured after training, added
/// to a run's TensorBoard events (DESIGN.md §5.5).
public enum RunEvents {
    /// The step the results go to: the last step of DIR's metrics.jsonl (0 when DIR is not a
    /// run directory). Read before evaluating, so that a bad DIR is reported first.
    public static func lastStep(in directory: URL) throws -> Int {
        try TrainingEventFile.lastStep(in: directory)
    }

    /// Appends `results` (one per rounds value) of the benchmark folder `benchmark` (tags use its
    /// name) to the events of `directory` at `step`, in a new event file, which it returns.
    public static func appendZeroShot(_ results: [RoundsResult], benchmark: String, to directory: URL, step: Int) throws -> URL {
        try TrainingEventFile.appendZeroShot(results.map(\.score), benchmark: TrainingEventFile.benchmarkName(benchmark),
                                             to: directory, step: step)
    }
}

extension RoundsResult {
    /// The evaluator's result as the trainer records it.
    var score: EvaluationScore {
        EvaluationScore(rounds: rounds, top1: top1, top5: top5, images: images, classes: classes)
    }
}
