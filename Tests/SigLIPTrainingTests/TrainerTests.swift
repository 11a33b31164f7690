import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPModels
@testable import SigLIPTraining
import Testing

/// Deterministic batches made from (seed, batch index): B random images, each paired with a
/// text that names it, so that the model can learn the pairing. The position is the index.
final class SyntheticBatches: TrainingBatchSource {
    let batch: Int, size: Int, length: Int
    var index: Int
    let failAt: Int?
    let pixels: FloatBuffer
    var skippedCount: Int { 0 }

    init(batch: Int, size: Int, length: Int, start: Data?, failAt: Int? = nil) throws {
        (self.batch, self.size, self.length, self.failAt) = (batch, size, length, failAt)
        index = try start.map { try JSONDecoder().decode(Int.self, from: $0) } ?? 0
        pixels = FloatBuffer(count: batch * size * size * 3)
    }

    struct Killed: Error {}

    func nextBatch() throws -> TrainingBatch {
        if let failAt, index == failAt { throw Killed() }
        var ids: [Int32] = []
        for b in 0..<batch {
            // A pool of 12 distinct pairs; batches draw from it deterministically.
            let item = (index * 5 + b * 7) % 12
            var g = SeededGenerator(seed: UInt64(item))
            for i in 0..<(size * size * 3) { pixels.data[b * size * size * 3 + i] = 2 * g.nextUnitFloat() - 1 }
            ids += [Int32(10 + item), Int32(30 + item % 4), 1] + Array(repeating: Int32(1), count: length - 3)
        }
        index += 1
        return TrainingBatch(pixels: Tensor(pixels.data, [batch, size, size, 3]), ids: ids,
                             positionAfter: try JSONEncoder().encode(index))
    }
}

/// The committed SentencePiece model, copied into checkpoints.
let tokenizerURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("datasets/tokenizer/siglip-emoji-4k.model")

func tinyOptions(output: URL, steps: Int = 12) -> TrainingOptions {
    var o = TrainingOptions()
    o.model = "Ti/8"
    o.depth = 2
    o.imageSize = 16
    o.textLength = 6
    o.batchSize = 6
    o.steps = steps
    o.warmupSteps = 2
    o.learningRate = 3e-3
    o.checkpointEvery = 4
    o.keepCheckpoints = 2
    o.evalData = nil
    o.output = output.path
    return o
}

func makeTrainer(_ options: TrainingOptions, failAt: Int? = nil,
                 evaluate: ((SigLIPModel, Int) throws -> [EvaluationScore])? = nil,
                 evaluationChart: (() throws -> EventImage)? = nil,
                 events: @escaping (TrainingEvent) -> Void = { _ in }) throws -> Trainer {
    let config = try options.modelConfig(vocabularySize: 64)
    let model = try SigLIPModel(config: config)
    model.initialize(seed: options.seed)
    model.parameters.value(model.loss.bias)[0] = options.effectiveInitialBias
    model.parameters.value(model.loss.logScale)[0] = options.initialLogScale
    return try Trainer(options: options, model: model, tokenizerFile: tokenizerURL, run: RunDirectory(URL(fileURLWithPath: options.output)),
                       makeSource: { try SyntheticBatches(batch: options.batchSize, size: options.imageSize, length: options.textLength,
                                                          start: $0, failAt: failAt) },
                       evaluate: evaluate, evaluationChart: evaluationChart, onEvent: events)
}

func temporaryRun() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("siglip-run-\(UUID().uuidString)")
}

@Suite("Trainer") struct TrainerTests {
    @Test func tinyRunLowersTheLossAndWritesALoadableCheckpoint() throws {
        let dir = temporaryRun()
        defer { try? FileManager.default.removeItem(at: dir) }
        var losses: [Float] = []
        let summary = try makeTrainer(tinyOptions(output: dir, steps: 30), events: { if case .step(let r) = $0 { losses.append(r.loss) } })
            .train(resume: false)
        #expect(summary.steps == 30 && losses.count == 30)
        let early: Float = losses.prefix(5).reduce(0, +), late: Float = losses.suffix(5).reduce(0, +)
        #expect(late < 0.7 * early, "\(losses)")
        let run = RunDirectory(dir)
        #expect(run.checkpoints().count == 2, "keeps the last 2 checkpoints")
        let latest = try #require(run.latestCheckpoint)
        #expect(latest.lastPathComponent == "step-00000030")
        let loaded = try Checkpoint.load(from: latest)
        #expect(loaded.config.imageTower.imageSize == 16)
        #expect(FileManager.default.fileExists(atPath: latest.appendingPathComponent("spiece.model").path))
        let lines = try String(contentsOf: run.metricsFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 30)
        #expect(lines[0].contains("\"image_cosine\"") && lines[0].contains("\"flops\""))
        #expect(FileManager.default.fileExists(atPath: run.optionsFile.path))
    }

    /// A run killed after step 6 (its last checkpoint at step 4) and resumed gives exactly the
    /// same metrics, bit for bit, as a run that was never interrupted.
    @Test func killedAndResumedRunMatchesAnUninterruptedOne() throws {
        let whole = temporaryRun(), killed = temporaryRun()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: killed) }
        var options = tinyOptions(output: whole)
        options.rounds = 3
        options.signature = "A^r B"
        options.skipProbability = 0.5   // stochastic rounds draw from the run's generator: resumed too
        _ = try makeTrainer(options).train(resume: false)
        options.output = killed.path
        #expect(throws: SyntheticBatches.Killed.self) { try makeTrainer(options, failAt: 6).train(resume: false) }
        #expect(RunDirectory(killed).latestCheckpoint?.lastPathComponent == "step-00000004")
        _ = try makeTrainer(options).train(resume: true)
        let a = try String(contentsOf: RunDirectory(whole).metricsFile, encoding: .utf8)
        let b = try String(contentsOf: RunDirectory(killed).metricsFile, encoding: .utf8)
        // Everything but the measured speed must be identical.
        func strip(_ s: String) -> [String] {
            s.split(separator: "\n").map { $0.replacingOccurrences(of: #""images_per_s":[0-9.e+-]+,"#, with: "", options: .regularExpression) }
        }
        #expect(strip(a).count == 12)
        #expect(strip(a) == strip(b))
    }

    /// A checkpoint records how its steps were computed (`ComputeSetup`). Resumed on the same
    /// setup, or from a checkpoint written before the setup was recorded, the run says nothing;
    /// resumed from one computed with other threads, it names the change and goes on. The run's
    /// summary names the setup of its last stretch.
    @Test(arguments: ["same", "unrecorded", "other threads"])
    func resumeOnAnotherComputeSetupIsReported(_ edit: String) throws {
        let run = temporaryRun()
        defer { try? FileManager.default.removeItem(at: run) }
        let options = tinyOptions(output: run)
        #expect(throws: SyntheticBatches.Killed.self) { try makeTrainer(options, failAt: 6).train(resume: false) }
        let file = try #require(RunDirectory(run).latestCheckpoint).appendingPathComponent(RunDirectory.stateFile)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var compute = try #require(object["compute"] as? [String: Any], "a checkpoint records its compute setup")
        #expect(compute["threads"] as? Int == ComputeThreads.current)
        switch edit {
        case "unrecorded": object["compute"] = nil
        case "other threads": compute["threads"] = ComputeThreads.current + 1; object["compute"] = compute
        default: break
        }
        try JSONSerialization.data(withJSONObject: object).write(to: file)
        var reported: [[String]] = []
        let summary = try makeTrainer(options, events: { event in
            if case .computeChanged(_, let changes) = event { reported.append(changes) }
        }).train(resume: true)
        #expect(reported == (edit == "other threads" ? [["threads \(ComputeThreads.current + 1) → \(ComputeThreads.current)"]] : []))
        #expect(summary.compute == ComputeSetup.current)
    }

    /// A damaged newest checkpoint (each way a trainer state can be wrong, and a truncated
    /// weights file) is reported, the one before it is used, and the resumed run still matches
    /// the uninterrupted one bit for bit.
    @Test(arguments: [
        ("generator", #"{"state":[1,2]}"#), ("generator", #"{"state":[0,0,0,0]}"#), ("step", "-3"), ("examplesSeen", "5"),
        ("metricsLines", "2"), ("totalSteps", "0"), ("flopsSpent", #""nan""#), ("optimizerStep", "7"),
        ("model.safetensors", ""),
    ])
    func damagedNewestCheckpointFallsBackToThePrevious(_ key: String, _ value: String) throws {
        let whole = temporaryRun(), damaged = temporaryRun()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: damaged) }
        var options = tinyOptions(output: whole)
        _ = try makeTrainer(options).train(resume: false)
        options.output = damaged.path
        #expect(throws: SyntheticBatches.Killed.self) { try makeTrainer(options, failAt: 9).train(resume: false) }
        let newest = try #require(RunDirectory(damaged).latestCheckpoint)
        #expect(newest.lastPathComponent == "step-00000008")
        if value.isEmpty {   // a truncated file
            let file = newest.appendingPathComponent(key)
            try Data(try Data(contentsOf: file).prefix(1000)).write(to: file)
        } else {             // one field of the trainer state replaced
            let file = newest.appendingPathComponent(RunDirectory.stateFile)
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
            try JSONSerialization.data(withJSONObject: object).write(to: file)
        }
        var reported: (URL, String, URL)?
        _ = try makeTrainer(options, events: { event in
            if case .checkpointDamaged(let bad, let problem, let used) = event { reported = (bad, problem, used) }
        }).train(resume: true)
        let (bad, problem, used) = try #require(reported, "the damage must be reported")
        #expect(bad.lastPathComponent == "step-00000008" && used.lastPathComponent == "step-00000004", "\(problem)")
        func strip(_ url: URL) throws -> [String] {
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                .map { $0.replacingOccurrences(of: #""images_per_s":[0-9.e+-]+,"#, with: "", options: .regularExpression) }
        }
        #expect(try strip(RunDirectory(whole).metricsFile) == strip(RunDirectory(damaged).metricsFile))
    }

    /// `--accumulate 3` (3 micro-batches of 2) trains the run of batch 6: the same losses and,
    /// after 6 steps, the same parameters within float rounding (amplified a little by Adam).
    /// `--lock image` (LiT): the image tower ends as it started, the text tower trains, the
    /// optimiser holds moments for the trained weights only, the step's FLOPs count no image
    /// backward, and a killed run resumes to the same metrics bit for bit.
    @Test func lockedImageTowerStaysAsInitialisedAndResumes() throws {
        let whole = temporaryRun(), killed = temporaryRun()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: killed) }
        var options = tinyOptions(output: whole, steps: 8)
        options.lock = .image
        let initial = try makeTrainer(options).model
        let trainer = try makeTrainer(options)
        _ = try trainer.train(resume: false)
        let store = trainer.model.parameters
        var changedText = false
        for spec in store.specs {
            let before = Array(initial.parameters.values.buffer[spec.offset..<(spec.offset + spec.count)])
            let after = Array(store.values.buffer[spec.offset..<(spec.offset + spec.count)])
            if spec.name.hasPrefix("vision_model.") { #expect(before == after, "\(spec.name) changed") }
            if spec.name.hasPrefix("text_model.") && before != after { changedText = true }
        }
        #expect(changedText)
        #expect(trainer.optimizer.firstMoment.count == store.trainableCount)
        #expect(store.trainableCount == store.count - ParameterReport(store).imageTower)
        let config = trainer.model.config
        let flops = try MetricsLog.read(RunDirectory(whole).metricsFile).steps.last!.flops
        #expect(flops == 8 * FLOPs.trainingStep(config, batch: 6, imageRounds: 1, textRounds: 1, lock: TowerLock(tower: .image)))
        #expect(flops < 8 * FLOPs.trainingStep(config, batch: 6, imageRounds: 1, textRounds: 1))

        options.output = killed.path
        #expect(throws: SyntheticBatches.Killed.self) { try makeTrainer(options, failAt: 5).train(resume: false) }
        _ = try makeTrainer(options).train(resume: true)
        func strip(_ url: URL) throws -> [String] {
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                .map { $0.replacingOccurrences(of: #""images_per_s":[0-9.e+-]+,"#, with: "", options: .regularExpression) }
        }
        #expect(try strip(RunDirectory(whole).metricsFile) == strip(RunDirectory(killed).metricsFile))
        var bad = tinyOptions(output: temporaryRun())
        bad.unlockedBlocks = 1
        #expect(throws: TrainingError.self) { try bad.validate() }
        bad.lock = .text
        bad.unlockedBlocks = 3
        #expect(throws: TrainingError.self) { try bad.validate() }
    }

    @Test func accumulatedMicroBatchesTrainTheWholeBatchRun() throws {
        let whole = temporaryRun(), accumulated = temporaryRun()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: accumulated) }
        var options = tinyOptions(output: whole, steps: 6)
        options.signature = "A^r B"
        options.rounds = 2
        let a = try makeTrainer(options)
        _ = try a.train(resume: false)
        options.output = accumulated.path
        options.accumulate = 3
        let b = try makeTrainer(options)
        _ = try b.train(resume: false)
        let lossesA = try MetricsLog.read(RunDirectory(whole).metricsFile).steps.map(\.loss)
        let lossesB = try MetricsLog.read(RunDirectory(accumulated).metricsFile).steps.map(\.loss)
        #expect(lossesA.count == 6 && lossesB.count == 6)
        for (x, y) in zip(lossesA, lossesB) { #expect(abs(x - y) <= 1e-5 * abs(x), "losses \(lossesA) vs \(lossesB)") }
        let pa = Array(a.model.parameters.values.buffer), pb = Array(b.model.parameters.values.buffer)
        var squaredDifference = 0.0, squaredNorm = 0.0
        for (x, y) in zip(pa, pb) {
            squaredDifference += Double(x - y) * Double(x - y)
            squaredNorm += Double(x) * Double(x)
        }
        let relative = (squaredDifference / squaredNorm).squareRoot()
        print("accumulate 3 vs 1 after 6 steps: parameters differ by \(relative) relative; losses \(lossesA) vs \(lossesB)")
        #expect(relative <= 1e-4)
    }

    @Test func metricsThatCannotBeReadStopTheResume() throws {
        let dir = temporaryRun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let options = tinyOptions(output: dir, steps: 4)
        _ = try makeTrainer(options).train(resume: false)
        let metrics = RunDirectory(dir).metricsFile
        try Data("only one line\n".utf8).write(to: metrics)
        #expect(throws: SigLIPError.self) { try makeTrainer(options).train(resume: true) }
        #expect(try String(contentsOf: metrics, encoding: .utf8) == "only one line\n", "never silently emptied")
    }

    @Test func nonFiniteNumbersRoundTripThroughTheStateFile() throws {
        var record = EvaluationRecord(step: 2, examples: 12, flops: .infinity,
                                      score: EvaluationScore(rounds: 1, top1: .nan, top5: -.infinity, images: 3, classes: 2))
        record.top1 = .nan
        let state = TrainerState(step: 2, examplesSeen: 12, flopsSpent: 1, dataPosition: Data(), generator: SeededGenerator(seed: 1),
                                 optimizerStep: 2, metricsLines: 3, skippedFiles: 0, evaluations: [record], totalSteps: 4)
        let back = try RunJSON.decoder().decode(TrainerState.self, from: RunJSON.encoder(pretty: true).encode(state)).evaluations[0]
        #expect(back.top1.isNaN && back.top5 == -.infinity && back.flops == .infinity)
    }

    @Test func nonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let dir = temporaryRun()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try makeTrainer(tinyOptions(output: dir, steps: 12), events: { event in
            if case .checkpoint = event {}
        })
        var poisoned = false
        let options = tinyOptions(output: dir, steps: 12)
        let model = trainer.model
        let guarded = try Trainer(options: options, model: model, tokenizerFile: tokenizerURL, run: RunDirectory(dir),
                                  makeSource: { try SyntheticBatches(batch: 6, size: 16, length: 6, start: $0) },
                                  onEvent: { event in
                                      if case .step(let r) = event, r.step == 5, !poisoned {
                                          model.parameters.value(model.loss.logScale)[0] = .nan
                                          poisoned = true
                                      }
                                  })
        do {
            _ = try guarded.train(resume: false)
            Issue.record("a NaN loss did not stop the run")
        } catch let error as TrainingError {
            #expect("\(error)".contains("step 6") && "\(error)".contains("step-00000004"), "\(error)")
        }
        let latest = try #require(RunDirectory(dir).latestCheckpoint)
        #expect(latest.lastPathComponent == "step-00000004")
        _ = try Checkpoint.load(from: latest)
    }

    @Test func optionsMergeAndValidate() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("opts-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"batchSize": 32, "model": "S/16", "rounds": 2, "signature": "A^r B"}"#.utf8).write(to: file)
        let read = try TrainingOptions.read(from: file)
        #expect(read.batchSize == 32 && read.model == "S/16" && read.rounds == 2)
        #expect(read.imageSize == TrainingOptions().imageSize, "keys not in the file keep their defaults")
        try Data(#"{"batchSize": "many"}"#.utf8).write(to: file)
        #expect(throws: TrainingError.self) { try TrainingOptions.read(from: file) }
        var bad = TrainingOptions()
        bad.model = "Q/16"
        #expect(throws: TrainingError.self) { try bad.validate() }
        bad = TrainingOptions()
        bad.examples = 100
        #expect(throws: TrainingError.self, "two budgets") { try bad.validate() }
    }

    @Test func computeMatchedBudget() throws {
        var options = tinyOptions(output: temporaryRun())
        options.steps = nil
        options.matchBaselineSteps = 30
        options.signature = "A^r B"
        options.rounds = 2
        var started: (Int, ComputeMatch?)?
        let trainer = try makeTrainer(options, events: { if case .started(let total, _, _, let match, _) = $0 { started = (total, match) } })
        _ = trainer
        let config = try options.modelConfig(vocabularySize: 64)
        var baseline = config
        baseline.imageTower.recursion = RecursionConfig()
        let match = ComputeMatch(baseline: baseline, baselineExamples: 30 * 6, candidate: config, batch: 6)
        #expect(match.exampleRatio < 1 && match.exampleRatio > 0.5)
        #expect(match.summary.contains("× the examples"))
        _ = started
    }
}

@Suite("Training options file") struct TrainingOptionsFileTests {
    /// train_config.json reads back as exactly the options written, unset ones included.
    @Test func writtenOptionsReadBackUnchanged() throws {
        var options = TrainingOptions()
        options.evalData = nil
        options.steps = nil
        options.examples = 5000
        options.initialBias = -3
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("opts-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try options.jsonData().write(to: file)
        #expect(try TrainingOptions.read(from: file) == options)
    }
}
