import Foundation
import SigLIPBase
import SigLIPModels
import SigLIPTensorBoard

/// A picture for a run's TensorBoard events: PNG bytes and their size.
public struct EventImage: Sendable {
    public var png: Data
    public var width: Int
    public var height: Int

    public init(png: Data, width: Int, height: Int) {
        (self.png, self.width, self.height) = (png, width, height)
    }
}

/// A run's TensorBoard events (DESIGN.md §5.5), written by the process that writes metrics.jsonl
/// (rank 0), at the same moments: every scalar of a step line under `train/`, every periodic
/// zero-shot figure under `zeroshot/<benchmark>/` per inference round, the curves chart as an
/// image at each evaluation, and the run's options as hparams. `tensorboard --logdir runs/`
/// then shows each run directory as a run.
///
/// A session (a start or a `--resume`) writes its own file; a resumed one starts at the step
/// after its checkpoint, which hides what the killed session wrote after that checkpoint, as
/// metrics.jsonl is cut back to it.
public final class TrainingEventFile {
    let writer: EventFileWriter
    /// The periodic evaluation's benchmark as tags name it (nil: the run does not evaluate).
    let benchmark: String?

    /// The tag of each scalar of a metrics.jsonl step line, by its key there.
    public static let stepTags: [(key: String, tag: String)] = [
        ("loss", "train/loss"), ("lr", "train/learning_rate"), ("t", "train/logit_scale_t"), ("b", "train/bias_b"),
        ("grad_norm", "train/grad_norm"), ("images_per_s", "train/images_per_s"), ("examples", "train/examples"),
        ("flops", "train/flops"), ("skipped_files", "train/skipped_files"), ("image_cosine", "train/image_cosine"),
        ("text_cosine", "train/text_cosine"), ("image_rounds", "train/image_rounds"), ("comm_s", "train/comm_s"),
    ]

    /// A step line's scalars as (tag, value), in `stepTags` order (`comm_s` only in data-parallel runs).
    static func scalars(_ r: StepRecord) -> [(tag: String, value: Double)] {
        let values: [String: Double?] = [
            "loss": Double(r.loss), "lr": Double(r.learningRate), "t": Double(r.logScale), "b": Double(r.bias),
            "grad_norm": Double(r.gradientNorm), "images_per_s": r.imagesPerSecond, "examples": Double(r.examples),
            "flops": r.flops, "skipped_files": Double(r.skippedFiles), "image_cosine": Double(r.imageCosine),
            "text_cosine": Double(r.textCosine), "image_rounds": Double(r.imageRounds), "comm_s": r.communicationSeconds,
        ]
        return stepTags.compactMap { key, tag in values[key]!.map { (tag, $0) } }
    }

    /// The zero-shot tags of `benchmark` at `rounds` inference rounds: under `zeroshot/` for the
    /// periodic evaluation, `eval/` for results added after training.
    public static func zeroShotTags(benchmark: String, rounds: Int, group: String = "zeroshot") -> (top1: String, top5: String) {
        ("\(group)/\(benchmark)/top1@r\(rounds)", "\(group)/\(benchmark)/top5@r\(rounds)")
    }

    /// Each score's top-1 and top-5 as (tag, value).
    static func scalars(_ scores: [EvaluationScore], benchmark: String, group: String = "zeroshot") -> [(tag: String, value: Double)] {
        scores.flatMap { s in
            let tags = zeroShotTags(benchmark: benchmark, rounds: s.rounds, group: group)
            return [(tags.top1, s.top1), (tags.top5, s.top5)]
        }
    }

    /// The tag of the curves chart.
    public static let curvesTag = "curves"

    /// The name a benchmark folder goes by in tags: its last path component.
    public static func benchmarkName(_ path: String) -> String {
        let name = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        return name.isEmpty || name == "/" ? "benchmark" : name
    }

    /// Opens a new event file in the run directory and writes the hparams.
    /// - Parameter resumingAt: the first step a resumed session writes (nil: a new run).
    init(run: RunDirectory, options: TrainingOptions, config: SigLIPConfig, totalSteps: Int, resumingAt: Int?) throws {
        writer = try EventFileWriter(directory: run.url, sessionStartAt: resumingAt)
        benchmark = options.evalData.map(Self.benchmarkName)
        let metrics = ["train/loss"] + (benchmark.map { name in
            options.evalRounds.flatMap { rounds in
                let tags = Self.zeroShotTags(benchmark: name, rounds: rounds)
                return [tags.top1, tags.top5]
            }
        } ?? [])
        try writer.hparams(Self.hparams(options, config: config, totalSteps: totalSteps), metrics: metrics)
    }

    /// The hyperparameters runs are compared by: architecture, recursion, data, optimisation,
    /// budget, seed and lock. Float options go through their shortest decimal form (1e-3, not
    /// 0.0010000000474974513).
    static func hparams(_ o: TrainingOptions, config: SigLIPConfig, totalSteps: Int) -> [(name: String, value: HParamValue)] {
        func decimal(_ x: Float) -> HParamValue { .number(Double("\(x)") ?? Double(x)) }
        return [
            ("model", .string(o.model)), ("depth", .number(Double(config.imageTower.depth))),
            ("image_size", .number(Double(o.imageSize))), ("text_length", .number(Double(o.textLength))),
            ("mask_padding", .bool(o.maskPadding)),
            ("signature", .string(o.signature)), ("rounds", .number(Double(o.rounds))),
            ("skip_probability", .number(o.skipProbability)), ("adapter", .string(o.adapter.rawValue)),
            ("text_signature", .string(o.textSignature)), ("text_rounds", .number(Double(o.textRounds))),
            ("data", .string(o.data)), ("batch_size", .number(Double(o.batchSize))), ("accumulate", .number(Double(o.accumulate))),
            ("learning_rate", decimal(o.learningRate)), ("warmup_steps", .number(Double(o.warmupSteps))),
            ("weight_decay", decimal(o.weightDecay)), ("beta2", decimal(o.beta2)), ("steps", .number(Double(totalSteps))),
            ("seed", .number(Double(o.seed))), ("lock", .string(o.lock?.rawValue ?? "none")),
            ("unlocked_blocks", .number(Double(o.unlockedBlocks))), ("init_from", .string(o.initFrom ?? "")),
        ]
    }

    func append(_ record: StepRecord) throws {
        try writer.scalars(Self.scalars(record), step: record.step)
    }

    func append(evaluations: [EvaluationRecord]) throws {
        guard let step = evaluations.first?.step else { return }
        try writer.scalars(Self.scalars(evaluations.map(\.score), benchmark: benchmark ?? Self.benchmarkName("")), step: step)
    }

    func append(curves: EventImage, step: Int) throws {
        try writer.image(Self.curvesTag, png: curves.png, width: curves.width, height: curves.height, step: step)
    }

    /// The step that results measured after training go to in `directory`'s events: the last
    /// step line of its metrics.jsonl, 0 when it has none (not a run directory). An unreadable
    /// metrics.jsonl is an error naming it.
    public static func lastStep(in directory: URL) throws -> Int {
        let metrics = RunDirectory(directory).metricsFile
        guard FileManager.default.fileExists(atPath: metrics.path) else { return 0 }
        return try MetricsLog.read(metrics).steps.last?.step ?? 0
    }

    /// Appends zero-shot results measured after training (`siglip-eval zero-shot --tensorboard
    /// DIR`) to DIR's events at `step` (`lastStep(in:)`), in a new file and without a session
    /// start (which would hide the training's values from that step on). Tags
    /// `eval/<benchmark>/top1@r<rounds>` and `…/top5@r<rounds>`, beside the periodic `zeroshot/`
    /// ones. Returns the file.
    public static func appendZeroShot(_ scores: [EvaluationScore], benchmark: String, to directory: URL, step: Int) throws -> URL {
        let writer = try EventFileWriter(directory: directory)
        try writer.scalars(scalars(scores, benchmark: benchmark, group: "eval"), step: step)
        return writer.url
    }
}
