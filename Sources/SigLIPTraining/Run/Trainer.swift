import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPLayers
import SigLIPModels

/// One batch for a training step.
public struct TrainingBatch {
    /// [B, H, W, 3] in [-1, 1]; valid until the next batch is taken.
    public let pixels: Tensor
    /// [B, L]
    public let ids: [Int32]
    /// Where the data continues after this batch, in the source's own JSON form (for resume).
    public let positionAfter: Data

    public init(pixels: Tensor, ids: [Int32], positionAfter: Data) {
        self.pixels = pixels
        self.ids = ids
        self.positionAfter = positionAfter
    }
}

/// Where training batches come from (the input pipeline, or a fixed batch in tests).
public protocol TrainingBatchSource: AnyObject {
    func nextBatch() throws -> TrainingBatch
    /// Files skipped so far (corrupt or unreadable), each also reported through the trainer.
    var skippedCount: Int { get }
}

/// The metrics of one step (one line of metrics.jsonl).
public struct StepRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Float
    public var learningRate: Float
    /// The loss's log temperature t and bias b after the update (keys "t" and "b").
    public var logScale: Float
    public var bias: Float
    public var gradientNorm: Float
    public var imagesPerSecond: Double
    public var examples: Int
    public var flops: Double
    public var skippedFiles: Int
    /// Collapse indicator: mean cosine between different images' (and texts') embeddings in the
    /// batch; near 1 means every embedding points the same way.
    public var imageCosine: Float
    public var textCosine: Float
    public var imageRounds: Int
    /// Data-parallel runs: seconds the step spent in communication between ranks (the ring
    /// exchange, the all-reduce and gathers, waiting for slower ranks included); nil otherwise.
    public var communicationSeconds: Double? = nil

    enum CodingKeys: String, CodingKey {
        case step, loss, learningRate = "lr", logScale = "t", bias = "b", gradientNorm = "grad_norm", imagesPerSecond = "images_per_s"
        case examples, flops, skippedFiles = "skipped_files", imageCosine = "image_cosine", textCosine = "text_cosine"
        case imageRounds = "image_rounds", communicationSeconds = "comm_s"
    }
}

/// A trainer's report of what happened, for a command-line shell to show.
public enum TrainingEvent {
    case started(totalSteps: Int, resumedAt: Int?, flopsPerExample: Double, computeMatch: ComputeMatch?, parameters: ParameterReport)
    case step(StepRecord)
    case evaluated([EvaluationRecord])
    case checkpoint(URL)
    /// `--resume` found the newest checkpoint damaged and continues from an older complete one.
    case checkpointDamaged(URL, problem: String, resumingFrom: URL)
    /// `--resume` continues a checkpoint computed on another setup (`ComputeSetup.changes`, e.g.
    /// "threads 2 → 1"): the run goes on correctly, but not bit for bit as an uninterrupted one.
    case computeChanged(URL, changes: [String])
}

/// The end of a run.
public struct TrainingSummary: Codable, Sendable {
    public var steps: Int
    public var examples: Int
    public var flops: Double
    public var finalLoss: Float
    public var seconds: Double
    public var skippedFiles: Int
    public var computeMatch: String?
    /// How the run's newest steps were computed: this process's setup when it took a step, else
    /// (a resume with no step left) the resumed checkpoint's; nil when that did not record it.
    public var compute: ComputeSetup?
    public var evaluations: [EvaluationRecord]
    public var checkpoint: String
    public var metrics: String
    public var curves: String?
}

/// Trains a SigLIP model: a loop of steps (stochastic recursion rounds drawn from the run's
/// generator, AdamW, NaN/Inf guard), metrics to JSONL and TensorBoard events (`TrainingEventFile`),
/// periodic evaluation and atomic
/// checkpoints from which `resume` continues with exactly the same losses.
///
/// Data-parallel (a `group` of K > 1 ranks, DESIGN.md §5.2): every rank runs this loop on its
/// part of each global batch of `options.batchSize`, draws the same recursion rounds from the
/// same generator and takes the same optimiser step; rank 0 alone writes the run directory
/// (metrics, checkpoints), evaluates and reports events. Every rank restores from the same
/// checkpoint on resume, and the ranks' parameters are compared at the start and at every
/// checkpoint.
public final class Trainer {
    public let options: TrainingOptions
    public let model: SigLIPModel
    public let run: RunDirectory
    public let tokenizerFile: URL
    let optimizer: AdamW
    let totalSteps: Int
    let flopsPerExample: Double
    let computeMatch: ComputeMatch?
    let makeSource: (Data?) throws -> TrainingBatchSource
    let evaluate: ((SigLIPModel, Int) throws -> [EvaluationScore])?
    /// Draws the run's curves from metrics.jsonl after each evaluation, for the event file.
    let evaluationChart: (() throws -> EventImage)?
    let onEvent: (TrainingEvent) -> Void
    /// The ranks of a data-parallel run (nil: one process).
    let group: ProcessGroup?
    /// Whether this process writes the run directory and reports: rank 0, or the only process.
    var isLeader: Bool { (group?.rank ?? 0) == 0 }

    /// - Parameters:
    ///   - makeSource: opens the training batches, at a saved position (nil: the start); with
    ///     a group, this rank's part of each global batch.
    ///   - evaluate: the periodic zero-shot evaluation (nil: none); run by rank 0 only.
    ///   - evaluationChart: the curves chart, drawn after each evaluation (metrics.jsonl then holds
    ///     it) for the TensorBoard events; nil: none.
    ///   - group: the ranks of a data-parallel run (nil or one rank: a single process).
    public init(options: TrainingOptions, model: SigLIPModel, tokenizerFile: URL, run: RunDirectory,
                makeSource: @escaping (Data?) throws -> TrainingBatchSource,
                evaluate: ((SigLIPModel, Int) throws -> [EvaluationScore])? = nil,
                evaluationChart: (() throws -> EventImage)? = nil,
                group: ProcessGroup? = nil,
                onEvent: @escaping (TrainingEvent) -> Void = { _ in }) throws {
        try options.validate()
        if let group, group.size > 1 {
            guard options.batchSize % (group.size * options.accumulate) == 0 else {
                throw TrainingError.badOptions("--batch-size \(options.batchSize) does not split over \(group.size) ranks"
                                               + (options.accumulate > 1 ? " × \(options.accumulate) micro-batches" : ""))
            }
            self.group = group
        } else {
            self.group = nil
        }
        self.options = options
        self.model = model
        self.run = run
        self.tokenizerFile = tokenizerFile
        self.makeSource = makeSource
        self.evaluate = evaluate
        self.evaluationChart = evaluationChart
        let leader = (self.group?.rank ?? 0) == 0
        self.onEvent = leader ? onEvent : { _ in }
        let batch = options.batchSize
        // The lock decides which weights the optimiser holds and what a step costs.
        do { try model.lock(options.towerLock) } catch let error as ConfigError { throw TrainingError.badOptions(error.description) }
        let perExample = FLOPs.trainingExample(model.config, batch: batch, lock: options.towerLock)
        flopsPerExample = perExample
        var match: ComputeMatch?
        if let steps = options.steps {
            totalSteps = steps
        } else if let examples = options.examples {
            totalSteps = (examples + batch - 1) / batch
        } else if let flops = options.flops {
            let steps = (flops / (perExample * Double(batch))).rounded(.down)
            guard steps <= Double(TrainingOptions.Limits.steps) else {
                throw TrainingError.badOptions("--flops: \(flops) FLOPs are \(steps) steps of this model, over the limit of \(TrainingOptions.Limits.steps)")
            }
            totalSteps = Int(steps)
        } else {
            var baseline = model.config
            baseline.imageTower.recursion = RecursionConfig()
            baseline.textTower.recursion = RecursionConfig()
            let m = ComputeMatch(baseline: baseline, baselineExamples: options.matchBaselineSteps! * batch,
                                 candidate: model.config, batch: batch, lock: options.towerLock)
            match = m
            totalSteps = m.examples / batch
        }
        guard totalSteps >= 1 else { throw TrainingError.badOptions("the training budget is less than one step") }
        computeMatch = match
        var settings = AdamW.Settings()
        settings.learningRate = options.learningRate
        settings.beta1 = options.beta1
        settings.beta2 = options.beta2
        settings.weightDecay = options.weightDecay
        settings.gradientClipNorm = options.gradientClipNorm
        optimizer = AdamW(parameters: model.parameters, settings: settings,
                          schedule: WarmupCosineSchedule(warmupSteps: options.warmupSteps, totalSteps: totalSteps))
    }

    /// The generator of stochastic recursion rounds starts from the run's seed XOR this constant,
    /// so that its stream is not the one that initialised the weights or shuffles the data from
    /// the same seed. (Any fixed value would do; changing it changes every stochastic run.)
    static let roundsStreamSalt: UInt64 = 0x5EED_0F_5161_1900

    /// Runs to the end of the budget. With `resume`, continues from the run's latest checkpoint.
    public func train(resume: Bool) throws -> TrainingSummary {
        let started = Date()
        let compute = ComputeSetup.current(ranks: group?.size ?? 1)
        var state = TrainerState(step: 0, examplesSeen: 0, flopsSpent: 0, dataPosition: Data(),
                                 generator: SeededGenerator(seed: options.seed ^ Trainer.roundsStreamSalt),
                                 optimizerStep: 0, metricsLines: 0, skippedFiles: 0, evaluations: [], totalSteps: totalSteps)
        var lastCheckpoint: URL?
        if isLeader { run.removeStaleTemporaryCheckpoints() }
        if resume {
            (state, lastCheckpoint) = try restoreNewestComplete()
        } else if isLeader {
            try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
            try AtomicFile.write(try options.jsonData(), to: run.optionsFile)
            try AtomicFile.write(Data(), to: run.metricsFile)
        }
        try requireSameParameters(at: resume ? "the resumed checkpoint \(lastCheckpoint?.path ?? "")" : "the start")
        let source = try makeSource(resume ? state.dataPosition : nil)
        let metrics = isLeader ? try MetricsLog(url: run.metricsFile, keepingLines: state.metricsLines) : nil
        let events = isLeader ? try TrainingEventFile(run: run, options: options, config: model.config, totalSteps: state.totalSteps,
                                                      resumingAt: resume ? state.step + 1 : nil) : nil
        onEvent(.started(totalSteps: state.totalSteps, resumedAt: resume ? state.step : nil,
                         flopsPerExample: flopsPerExample, computeMatch: computeMatch,
                         parameters: ParameterReport(model.parameters)))
        if isLeader, let lastCheckpoint, let saved = state.compute {
            let changes = compute.changes(from: saved)
            if !changes.isEmpty { onEvent(.computeChanged(lastCheckpoint, changes: changes)) }
        }

        let step = TrainingStep(model: model, optimizer: optimizer)
        var lastLoss = Float.nan
        while state.step < state.totalSteps {
            let stepStart = DispatchTime.now().uptimeNanoseconds
            let communicationStart = group?.communicationSeconds
            let batch = try source.nextBatch()
            let imageRounds = drawTrainingRounds(model.config.imageTower.recursion, using: &state.generator)
            let textRounds = drawTrainingRounds(model.config.textTower.recursion, using: &state.generator)
            let measured: TrainingStep.Metrics
            do {
                measured = try step.run(pixels: batch.pixels, ids: batch.ids, imageRounds: imageRounds, textRounds: textRounds,
                                        microBatches: options.accumulate, group: group)
            } catch let error as TrainingStep.NonFiniteError {
                throw TrainingError.nonFinite(step: state.step + 1, loss: error.loss, gradientNorm: error.gradientNorm,
                                              lastCheckpoint: lastCheckpoint?.path)
            }
            state.step += 1
            state.compute = compute
            state.examplesSeen += options.batchSize
            state.flopsSpent += FLOPs.trainingStep(model.config, batch: options.batchSize,
                                                   imageRounds: imageRounds, textRounds: textRounds, lock: options.towerLock)
            state.dataPosition = batch.positionAfter
            state.skippedFiles = source.skippedCount
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
            let record = StepRecord(
                step: state.step, loss: measured.loss, learningRate: measured.learningRate, logScale: measured.logScale, bias: measured.bias,
                gradientNorm: measured.gradientNorm, imagesPerSecond: Double(options.batchSize) / seconds,
                examples: state.examplesSeen, flops: state.flopsSpent, skippedFiles: state.skippedFiles,
                imageCosine: measured.imageCosine, textCosine: measured.textCosine, imageRounds: imageRounds,
                communicationSeconds: communicationStart.map { group!.communicationSeconds - $0 })
            lastLoss = measured.loss
            try metrics?.append(record)
            try events?.append(record)
            onEvent(.step(record))
            let last = state.step == state.totalSteps
            if isLeader, let evaluate, state.step % options.evalEvery == 0 || last {
                let records = try evaluate(model, state.step).map {
                    EvaluationRecord(step: state.step, examples: state.examplesSeen, flops: state.flopsSpent, score: $0)
                }
                state.evaluations += records
                try metrics?.append(evaluations: records)
                try events?.append(evaluations: records)
                if let events, let evaluationChart { try events.append(curves: try evaluationChart(), step: state.step) }
                onEvent(.evaluated(records))
            }
            if state.step % options.checkpointEvery == 0 || last {
                try requireSameParameters(at: "step \(state.step)")
                if let metrics {
                    state.optimizerStep = optimizer.step
                    state.metricsLines = metrics.lines
                    lastCheckpoint = try writeCheckpoint(state)
                    onEvent(.checkpoint(lastCheckpoint!))
                }
            }
        }
        let summary = TrainingSummary(
            steps: state.step, examples: state.examplesSeen, flops: state.flopsSpent, finalLoss: lastLoss,
            seconds: Date().timeIntervalSince(started), skippedFiles: state.skippedFiles, computeMatch: computeMatch?.summary,
            compute: state.compute, evaluations: state.evaluations, checkpoint: lastCheckpoint?.path ?? "", metrics: run.metricsFile.path, curves: nil)
        return summary
    }

    /// Data-parallel runs: every rank must hold the same parameters (the same initialisation or
    /// checkpoint, the same summed gradients, the same update). Compares a hash of them.
    func requireSameParameters(at moment: String) throws {
        guard let group else { return }
        var digest = FNV1a()
        for value in model.parameters.values.buffer { digest.add(UInt64(value.bitPattern)) }
        let hash = digest.value
        let all = try group.allGather([Double(hash >> 32), Double(hash & 0xffff_ffff)])
        if let other = all.firstIndex(where: { $0 != all[0] }) {
            throw TrainingError.badOptions("at \(moment) rank \(other) holds other parameters than rank 0; "
                                           + "the ranks must start from the same options and checkpoint")
        }
    }

    // MARK: Checkpoints

    func writeCheckpoint(_ state: TrainerState) throws -> URL {
        try run.writeCheckpoint(step: state.step, keep: options.keepCheckpoints) { dir in
            try Checkpoint.save(model, to: dir)
            try FileManager.default.copyItem(at: tokenizerFile, to: dir.appendingPathComponent(RunDirectory.tokenizerFile))
            try optimizer.write(to: dir.appendingPathComponent(RunDirectory.optimizerFile))
            try AtomicFile.write(try RunJSON.encoder(pretty: true).encode(state),
                                           to: dir.appendingPathComponent(RunDirectory.stateFile))
        }
    }

    /// Restores the newest checkpoint that reads back whole. A damaged one (a corrupt or missing
    /// file, a trainer state that does not add up) is reported and the one before it used; a
    /// checkpoint of another model configuration is an error (the options differ, nothing is
    /// damaged).
    func restoreNewestComplete() throws -> (TrainerState, URL) {
        let all = run.checkpoints()
        guard let newest = all.last else {
            throw TrainingError.badOptions("--resume: \(run.checkpointsFolder.path) has no checkpoint to resume from")
        }
        var firstProblem: String?
        for dir in all.reversed() {
            do {
                let state = try restore(from: dir)
                if let firstProblem { onEvent(.checkpointDamaged(newest, problem: firstProblem, resumingFrom: dir)) }
                return (state, dir)
            } catch let error as SigLIPError {
                firstProblem = firstProblem ?? error.description
            }
        }
        throw TrainingError.incompatibleCheckpoint("--resume: no complete checkpoint in \(run.checkpointsFolder.path); "
                                                   + "the newest is damaged: \(firstProblem ?? "")")
    }

    func restore(from dir: URL) throws -> TrainerState {
        let saved: SigLIPConfig
        do { saved = try SigLIPConfig.read(from: dir.appendingPathComponent(Checkpoint.configFile)) } catch let error as ConfigError {
            throw SigLIPError(path: dir.path, problem: error.description, kind: .corrupt)
        }
        guard saved == model.config else {
            throw TrainingError.incompatibleCheckpoint(
                "\(dir.path) was trained with another model configuration than these options describe; resume with the run's own options (\(run.optionsFile.path))")
        }
        let stateURL = dir.appendingPathComponent(RunDirectory.stateFile)
        let state = try RunDirectory.readState(in: dir)
        try state.check(batchSize: options.batchSize, maxSteps: TrainingOptions.Limits.steps, maxRounds: ConfigLimits.rounds,
                        file: stateURL.path)
        try Checkpoint.loadWeights(into: model.parameters, from: dir.appendingPathComponent(Checkpoint.weightsFile))
        try optimizer.restore(from: dir.appendingPathComponent(RunDirectory.optimizerFile))
        guard optimizer.step == state.optimizerStep else {
            throw SigLIPError(path: dir.appendingPathComponent(RunDirectory.optimizerFile).path,
                              problem: "optimiser step \(optimizer.step) differs from the trainer state's \(state.optimizerStep)", kind: .corrupt)
        }
        return state
    }

}

/// A decoding error's path and message, without Foundation's nesting.
func describeDecoding(_ error: Error) -> String {
    (error as? DecodingError).map(describe) ?? error.localizedDescription
}

/// metrics.jsonl: one JSON object per line, appended and flushed as the run goes.
public final class MetricsLog {
    let url: URL
    private(set) var lines: Int
    private let handle: FileHandle
    private let encoder = RunJSON.encoder(pretty: false)

    /// Opens the log keeping only its first `keepingLines` lines (what a checkpoint had seen).
    /// A log that cannot be read, or holds fewer lines than the checkpoint saw, is an error:
    /// it is never silently emptied.
    init(url: URL, keepingLines: Int) throws {
        self.url = url
        var kept: [Substring] = []
        if keepingLines > 0 {
            let text = try RegularFile.text(of: url, limit: RegularFile.Limit.metrics, what: "the metrics log")
            kept = Array(text.split(separator: "\n", omittingEmptySubsequences: true).prefix(keepingLines))
            guard kept.count == keepingLines else {
                throw SigLIPError(path: url.path, problem: "holds \(kept.count) lines but the checkpoint was written after \(keepingLines)",
                                  kind: .corrupt)
            }
        }
        try AtomicFile.write(Data(kept.map { $0 + "\n" }.joined().utf8), to: url)
        lines = kept.count
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw SigLIPError(path: url.path, problem: "cannot open for appending (\(error.localizedDescription))", kind: .unwritable)
        }
    }

    deinit { try? handle.close() }

    /// Reads a metrics.jsonl back: its step lines and its evaluation lines, in file order. A
    /// line that is not a metrics record is an error naming the file and the line.
    public static func read(_ url: URL) throws -> (steps: [StepRecord], evaluations: [EvaluationRecord]) {
        var steps: [StepRecord] = [], evaluations: [EvaluationRecord] = []
        let decoder = RunJSON.decoder()
        let data = try RegularFile.contents(of: url, limit: RegularFile.Limit.metrics)
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            do {
                if line.starts(with: Data("{\"eval\"".utf8)) {
                    guard let record = try decoder.decode([String: EvaluationRecord].self, from: line)["eval"] else {
                        throw SigLIPError(path: url.path, problem: "line \(number + 1): an \"eval\" line without its record")
                    }
                    evaluations.append(record)
                } else {
                    steps.append(try decoder.decode(StepRecord.self, from: line))
                }
            } catch let error as SigLIPError {
                throw error
            } catch {
                throw SigLIPError(path: url.path, problem: "line \(number + 1) is not a metrics record", kind: .corrupt)
            }
        }
        return (steps, evaluations)
    }

    func append(_ record: StepRecord) throws { try write(record) }

    func append(evaluations: [EvaluationRecord]) throws {
        for e in evaluations { try write(["eval": e]) }
    }

    private func write<T: Encodable>(_ value: T) throws {
        do {
            try handle.write(contentsOf: try encoder.encode(value) + Data("\n".utf8))
        } catch {
            throw SigLIPError(path: url.path, problem: "cannot append (\(error.localizedDescription))", kind: .unwritable)
        }
        lines += 1
    }
}
