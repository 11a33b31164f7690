import Foundation
import SigLIPBase
import SigLIPCharts
import SigLIPCore
import SigLIPData
import SigLIPEval
import SigLIPImage
import SigLIPModels
import SigLIPText
import SigLIPTraining

/// A whole training job from `TrainingOptions`: checks every input before anything is written,
/// builds (or loads) the model, the input pipeline, the periodic zero-shot evaluation and the
/// trainer; at the end writes `summary.json` and `curves.png`.
public final class TrainingRun {
    public let options: TrainingOptions
    public let trainer: Trainer
    public let run: RunDirectory
    /// The periodic evaluation's benchmark, if any.
    public let benchmark: ZeroShotBenchmark?
    private let resume: Bool
    /// This process's hold on the run directory, for the run's life.
    private let lock: RunLock?

    /// What the job reports besides the trainer's events.
    public enum Notice {
        case skippedSample(name: String, reason: String)
        case evaluationProgress(EvalProgress)
        /// `--init-from`: what was loaded from the pretrained model and what was added.
        case initialized(from: String, PretrainedTransfer.Report)
    }

    /// A new run `--init-from` a pretrained model: the architecture options the user did not give
    /// (`given`: keys of `TrainingOptions.architectureKeys`) become the pretrained model's, and its
    /// tokenizer is used when one is beside it (DESIGN.md §5.3).
    public static func adoptingPretrainedArchitecture(_ options: TrainingOptions, given: Set<String>) throws -> TrainingOptions {
        guard let initFrom = options.initFrom else { return options }
        let url = URL(fileURLWithPath: initFrom)
        let spiece = EvalCheckpoint.tokenizer(of: url)
        return try options.adoptingArchitecture(of: try Checkpoint.configuration(at: url), path: initFrom,
                                                tokenizer: FileManager.default.fileExists(atPath: spiece.path) ? spiece.path : nil, given: given)
    }

    /// The ranks of a data-parallel run (nil: one process); rank 0 writes and evaluates.
    public let group: ProcessGroup?
    private var isLeader: Bool { (group?.rank ?? 0) == 0 }

    /// - Parameter group: the ranks of a data-parallel run (`MPIGroup` under mpirun): each
    ///   rank reads its shard of the data, rank 0 alone writes the run directory and evaluates.
    public init(options: TrainingOptions, resume: Bool, group: ProcessGroup? = nil, onEvent: @escaping (TrainingEvent) -> Void = { _ in },
                onNotice: @escaping (Notice) -> Void = { _ in }) throws {
        try options.validate()
        let group = (group?.size ?? 1) > 1 ? group : nil
        let ranks = group?.size ?? 1, leader = (group?.rank ?? 0) == 0   // the rank that holds the lock and evaluates
        self.group = group
        guard options.batchSize % (ranks * options.accumulate) == 0 else {
            throw TrainingError.badOptions("--batch-size \(options.batchSize) does not split over \(ranks) ranks"
                                           + (options.accumulate > 1 ? " × \(options.accumulate) micro-batches" : ""))
        }
        self.options = options
        self.resume = resume
        run = RunDirectory(URL(fileURLWithPath: options.output))
        try Self.refuseExistingRun(in: run, resume: resume)   // early, before the inputs are read; again below, under the lock
        let tokenizerURL = URL(fileURLWithPath: options.tokenizer)
        // A pretrained model keeps the text conventions it was trained with: its vocabulary, EOS,
        // padding and BOS ids (DESIGN.md §5.3).
        let pretrained = try options.initFrom.map { try Checkpoint.configuration(at: URL(fileURLWithPath: $0)).textTower }
        let tokenizer = try SigLIPTokenizer(contentsOf: tokenizerURL, length: options.textLength, padID: pretrained.map { Int32($0.padID) })
        if let pretrained {
            let pieces = tokenizer.sentencePiece.vocabularySize
            guard pieces <= pretrained.vocabularySize, Int(tokenizer.eosID) == pretrained.eosID || !pretrained.maskPadding && Int(tokenizer.eosID) == pretrained.padID else {
                throw TrainingError.incompatibleCheckpoint("--tokenizer \(options.tokenizer): its \(pieces) pieces and EOS id \(tokenizer.eosID) do not fit "
                    + "--init-from \(options.initFrom!) (vocabulary \(pretrained.vocabularySize), EOS \(pretrained.eosID), pad \(pretrained.padID))")
            }
        }
        let dataset = try openImageTextDataset(at: URL(fileURLWithPath: options.data), maxImageBytes: options.maxImageBytes)
        guard options.batchSize <= dataset.count else {
            throw TrainingError.badOptions("batch size \(options.batchSize) is larger than the \(dataset.count) examples in \(options.data)")
        }
        benchmark = try options.evalData.map { try ZeroShotBenchmark(root: URL(fileURLWithPath: $0)) }
        try benchmark?.requireReadableImage()

        var config = try options.modelConfig(vocabularySize: tokenizer.sentencePiece.vocabularySize,
                                             eosID: Int(tokenizer.eosID), padID: Int(tokenizer.padID))
        if let pretrained {
            (config.textTower.vocabularySize, config.textTower.eosID, config.textTower.bosID) = (pretrained.vocabularySize, pretrained.eosID, pretrained.bosID)
            config.textTower.projectionWidth = pretrained.projectionWidth
        }
        let evaluation = benchmark == nil || !leader ? nil : (images: ZeroShotEvaluator.defaultImageBatch, texts: ZeroShotEvaluator.defaultTextBatch)
        try MemoryEstimate.training(config, batch: options.batchSize / ranks, microBatches: options.accumulate, evaluation: evaluation)
            .check("--model \(options.model) --image-size \(options.imageSize) --batch-size \(options.batchSize)"
                   + (ranks > 1 ? " over \(ranks) ranks" : "") + (options.accumulate > 1 ? " --accumulate \(options.accumulate)" : ""))
        // Every input is checked: take the run directory (the first thing written), then look again
        // for a run in it, now that no other process can start one.
        lock = leader ? try run.lock() : nil
        try Self.refuseExistingRun(in: run, resume: resume)
        let model: SigLIPModel
        if let initFrom = options.initFrom {
            // The pretrained weights, into this run's configuration: a baseline checkpoint becomes
            // a RINS model with zero adapters (DESIGN.md §5.3), anything else must match. At
            // another image size its position embedding is resampled (DESIGN.md §4.10).
            let pretrained = try Checkpoint.load(from: URL(fileURLWithPath: initFrom), imageSize: options.imageSize)
            model = try SigLIPModel(config: config)
            let report: PretrainedTransfer.Report
            do { report = try PretrainedTransfer.transfer(from: pretrained, into: model, path: initFrom) } catch let error as SigLIPError {
                throw TrainingError.incompatibleCheckpoint("--init-from \(error.path): \(error.problem)")
            }
            onNotice(.initialized(from: initFrom, report))
        } else {
            model = try SigLIPModel(config: config)
            model.initialize(seed: options.seed)
            model.parameters.value(model.loss.logScale)[0] = options.initialLogScale
            model.parameters.value(model.loss.bias)[0] = options.effectiveInitialBias
        }

        let preprocess = Preprocess(size: options.imageSize, randomFlip: options.randomFlip)
        let makeSource: (Data?) throws -> TrainingBatchSource = { start in
            var limits = DecodeLimits.default
            (limits.maxPixels, limits.maxFileBytes) = (options.maxImagePixels, options.maxImageBytes)
            let shard = DataShard(index: group?.rank ?? 0, count: ranks)
            var configuration = PipelineConfiguration(batchSize: options.batchSize / ranks, preprocess: preprocess, seed: options.seed,
                                                      workers: options.workers, shard: shard, decodeLimits: limits)
            let shardLength = EpochOrder.pipeline(datasetCount: dataset.count, seed: options.seed, shard: shard,
                                                  batchSize: configuration.batchSize).epochLength
            configuration.start = try PipelineBatches.position(from: start).start(rank: shard.index, of: ranks, epochLength: shardLength)
            let pipeline = try ImageTextPipeline(dataset: dataset, tokenizer: tokenizer, configuration: configuration) {
                onNotice(.skippedSample(name: $0.name, reason: $0.reason))
            }
            return PipelineBatches(pipeline: pipeline, imageSize: options.imageSize, group: group)
        }
        var evaluate: ((SigLIPModel, Int) throws -> [EvaluationScore])?
        if let benchmark, leader {
            let evalTokenizer = try SigLIPTokenizer(contentsOf: tokenizerURL, length: options.textLength)
            // Rounds change nothing for a tower that does not recurse: evaluate it once.
            let rounds = config.imageTower.recursion.signature.isRecursive ? options.evalRounds : [options.evalRounds.min() ?? 1]
            evaluate = { model, _ in
                let encoder = SigLIPEncoder(model: model, tokenizer: evalTokenizer)
                let outcome = try ZeroShotEvaluator.evaluate(encoder: encoder, task: benchmark.task, rounds: rounds) {
                    onNotice(.evaluationProgress($0))
                }
                return outcome.results.map(\.score)
            }
        }
        // The curves chart goes into the TensorBoard events at each evaluation, as curves.png shows it at the end.
        let metricsFile = run.metricsFile, title = Self.curvesTitle(options)
        let chart: () throws -> EventImage = {
            let image = try TrainingRun.curves(metrics: metricsFile, title: title)
            return EventImage(png: try PNGEncoder.encode(image), width: image.width, height: image.height)
        }
        trainer = try Trainer(options: options, model: model, tokenizerFile: tokenizerURL, run: run, makeSource: makeSource,
                              evaluate: evaluate, evaluationChart: evaluate == nil ? nil : chart, group: group, onEvent: onEvent)
    }

    /// A new run (not `--resume`) must not start in a directory that already holds checkpoints.
    private static func refuseExistingRun(in run: RunDirectory, resume: Bool) throws {
        if !resume, !run.checkpoints().isEmpty {
            throw TrainingError.badOptions("\(run.url.path) already holds a run; pass --resume to continue it or choose another --output")
        }
    }

    /// Trains to the end of the budget, then writes the summary and the curves.
    public func train() throws -> TrainingSummary {
        var summary = try trainer.train(resume: resume)
        guard isLeader else { return summary }
        let curves = try TrainingRun.curves(metrics: run.metricsFile, title: Self.curvesTitle(options))
        try PNGEncoder.write(curves, to: run.curvesFile)
        summary.curves = run.curvesFile.path
        try run.writeSummary(summary)
        return summary
    }

    static func curvesTitle(_ options: TrainingOptions) -> String {
        "SigLIP \(options.model), \(options.signature)" + (options.rounds > 1 ? " r=\(options.rounds)" : "")
    }

    /// Draws loss and zero-shot accuracy against examples and FLOPs from a metrics.jsonl.
    public static func curves(metrics url: URL, title: String) throws -> RGBImage {
        let (steps, evaluations) = try MetricsLog.read(url)
        return TrainingCurves.render(
            steps: steps.map { CurvePoint(examples: Double($0.examples), flops: $0.flops, loss: Double($0.loss)) },
            evaluations: evaluations.map { EvalPoint(examples: Double($0.examples), flops: $0.flops, top1: $0.top1, rounds: $0.rounds) },
            title: title)
    }
}
