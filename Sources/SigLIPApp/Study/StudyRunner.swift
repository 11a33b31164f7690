import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPData
import SigLIPEval
import SigLIPTraining

/// One run of a study, fully determined by the plan: its arm, seed, learning rate, budget and
/// the options it trains with.
public struct PlannedRun: Sendable {
    public var phase: String
    public var arm: String
    public var seed: Int
    public var learningRate: Float
    /// Multiple of the baseline's steps whose FLOPs the run may spend.
    public var budget: Double
    public var options: TrainingOptions

    /// e.g. "rins-lr0.001-x1-s0"; a sweep run and a grid run with the same settings share it.
    public var name: String { "\(arm)-lr\(learningRate)-x\(Self.format(budget))-s\(seed)" }

    static func format(_ budget: Double) -> String {
        budget == budget.rounded() ? String(Int(budget)) : String(budget)
    }
}

/// Runs a `StudyPlan`: the learning-rate sweep, then every arm at every seed at its chosen
/// rate, then the extra budgets. A run whose result file exists is skipped; an interrupted
/// run resumes from its last checkpoint; each finished run writes `<results>/<name>.json`
/// (a `StudyRun` plus its options, cost, machine, figures and curves) atomically.
public final class StudyRunner {
    public let plan: StudyPlan
    public let results: URL
    public let runs: URL
    /// Whether an interrupted run resumes with the threads its checkpoint was computed with
    /// (`ComputeSetup.threadsToResume`, as `siglip-train --resume` does), so that it goes on bit
    /// for bit; false when the study was given its threads (`--threads`), which every run takes.
    public var resumesWithRecordedThreads: Bool

    public enum Event {
        case skipped(PlannedRun)
        case starting(PlannedRun, index: Int, total: Int, resuming: Bool)
        case training(PlannedRun, TrainingEvent)
        case notice(PlannedRun, TrainingRun.Notice)
        case evaluating(PlannedRun, String)
        case finished(PlannedRun, URL, seconds: Double)
        case chose(String)
    }

    public init(plan: StudyPlan, resumesWithRecordedThreads: Bool = true) {
        self.plan = plan
        self.resumesWithRecordedThreads = resumesWithRecordedThreads
        results = URL(fileURLWithPath: plan.results)
        runs = URL(fileURLWithPath: plan.runs)
    }

    public func resultFile(_ run: PlannedRun) -> URL { results.appendingPathComponent(run.name + ".json") }

    // MARK: The runs

    /// The runs as far as they can be planned now: the sweep always; the grid once every
    /// sweep run has a result; the budgets once every grid run has one. `pending` says which
    /// phases wait.
    public func plannedRuns() throws -> (runs: [PlannedRun], pending: [String]) {
        for arm in plan.arms { _ = try planned("check", arm: arm.name, seed: 0, learningRate: 1e-3, budget: 1) }   // every arm's options are valid
        let sweep = try plan.sweep.arms.flatMap { arm in
            try plan.sweep.learningRates.map { try planned("sweep", arm: arm, seed: plan.sweep.seed, learningRate: $0, budget: 1) }
        }
        guard let rates = try chosenLearningRates() else { return (sweep, ["grid", "budgets"]) }
        let grid = try plan.seeds.flatMap { seed in
            try plan.arms.map { try planned("grid", arm: $0.name, seed: seed, learningRate: rates[$0.name]!, budget: 1) }
        }
        guard let budgets = plan.budgets else { return (unique(sweep + grid), []) }
        guard grid.allSatisfy(hasResult) else { return (unique(sweep + grid), ["budgets"]) }
        let best = budgets.arms.contains(StudyPlan.Budgets.bestRecursive) ? try bestRecursiveArm(grid) : ""
        let extra = try budgets.arms.map { $0 == StudyPlan.Budgets.bestRecursive ? best : $0 }.flatMap { arm in
            try budgets.multipliers.map { try planned("budgets", arm: arm, seed: budgets.seed, learningRate: rates[arm]!, budget: $0) }
        }
        return (unique(sweep + grid + extra), [])
    }

    /// The instruction-set level the study's runs so far were computed at on this CPU (a finished
    /// run's result file, else an interrupted run's last checkpoint), when they all agree: a study
    /// continued without `--instruction-set` takes it, as `siglip-train --resume` takes its
    /// checkpoint's (`ComputeSetup.levelToResume`), so that a study begun held to AVX2 goes on
    /// at AVX2. Nil when no run has a record from this CPU, or when the records disagree. `runs`:
    /// the runs planned now (`plannedRuns`), when the caller has them already.
    public func recordedLevel(of runs: [PlannedRun]? = nil) throws -> InstructionSet? {
        var levels: Set<InstructionSet> = []
        for run in try runs ?? plannedRuns().runs {
            let level = hasResult(run) ? try StudyResultFile.levelToResume(resultFile(run))
                                       : RunDirectory(URL(fileURLWithPath: run.options.output)).recordedCompute()?.levelToResume
            if let level { levels.insert(level) }
        }
        return levels.count == 1 ? levels.first : nil
    }

    func unique(_ runs: [PlannedRun]) -> [PlannedRun] {
        var seen: Set<String> = []
        return runs.filter { seen.insert($0.name).inserted }
    }

    func hasResult(_ run: PlannedRun) -> Bool { FileManager.default.fileExists(atPath: resultFile(run).path) }

    /// The options of a run: defaults ← the plan's base ← the arm's options ← data, seed, rate,
    /// budget and output.
    func planned(_ phase: String, arm name: String, seed: Int, learningRate: Float, budget: Double) throws -> PlannedRun {
        let arm = plan.arms.first { $0.name == name }!
        var options = try TrainingOptions().merging(plan.base.mapValues(\.any), source: "\(plan.name): base")
        options = try options.merging(arm.options.mapValues(\.any), source: "\(plan.name): arm \(name)")
        options.data = plan.train
        options.tokenizer = plan.tokenizer
        options.evalData = plan.benchmarks.first { $0.name == plan.periodic }!.dev
        options.evalRounds = plan.evalRounds
        options.learningRate = learningRate
        options.seed = UInt64(seed)
        let steps = Int((Double(plan.baselineSteps) * budget).rounded(.down))
        (options.steps, options.examples, options.flops, options.matchBaselineSteps) =
            name == plan.baseline ? (steps, nil, nil, nil) : (nil, nil, nil, steps)
        var run = PlannedRun(phase: phase, arm: name, seed: seed, learningRate: learningRate, budget: budget, options: options)
        run.options.output = (plan.runs as NSString).appendingPathComponent(run.name)   // as the plan writes it
        try run.options.validate()
        return run
    }

    /// Each arm's learning rate: the swept arms' best on the periodic benchmark's dev split (top-1
    /// at the arm's training rounds), the others' from the arm they name; nil until every sweep
    /// run has a result.
    func chosenLearningRates() throws -> [String: Float]? {
        var best: [String: (rate: Float, score: Double)] = [:]
        for arm in plan.sweep.arms {
            for rate in plan.sweep.learningRates {
                let run = try planned("sweep", arm: arm, seed: plan.sweep.seed, learningRate: rate, budget: 1)
                guard hasResult(run) else { return nil }
                let measured = try devScore(run)
                let score = measured.isNaN ? -1 : measured   // a NaN result never wins, but a rate is always chosen
                if best[arm] == nil || score > best[arm]!.score { best[arm] = (rate, score) }
            }
        }
        return Dictionary(uniqueKeysWithValues: plan.arms.map { arm in
            (arm.name, best[arm.name]?.rate ?? best[arm.learningRateFrom!]!.rate)
        })
    }

    /// The non-baseline arm with the best mean dev score over the grid's seeds (a tie goes to
    /// the arm listed first in the plan).
    func bestRecursiveArm(_ grid: [PlannedRun]) throws -> String {
        var best: (arm: String, score: Double)?
        for arm in plan.arms.map(\.name) where arm != plan.baseline {
            let scores = try grid.filter { $0.arm == arm }.map(devScore)
            let mean = scores.reduce(0, +) / Double(max(scores.count, 1))
            if best == nil || mean > best!.score { best = (arm, mean) }
        }
        guard let best else {
            throw SigLIPError(path: "study plan", problem: "the budgets name the best recursive arm, but the plan has no arm besides the baseline")
        }
        return best.arm
    }

    /// Top-1 on the periodic benchmark's dev split at the run's training rounds (or at 1 round
    /// for an arm without recursion), from its result file.
    func devScore(_ run: PlannedRun) throws -> Double {
        let recorded = try StudyResultFile.read(resultFile(run))
        let rounds = recorded.outcomes.filter { $0.benchmark == plan.periodic && $0.split == "dev" && $0.metric == "top1" }
        let wanted = rounds.first { $0.rounds == run.options.rounds } ?? rounds.min { $0.rounds < $1.rounds }
        guard let outcome = wanted else {
            throw SigLIPError(path: resultFile(run).path, problem: "no dev top-1 of \(plan.periodic)")
        }
        return outcome.value
    }

    // MARK: Running

    /// Runs every run that can be planned and has no result yet, at most `limit` of them;
    /// repeats planning as phases unlock. Returns the number of runs finished.
    @discardableResult
    public func run(limit: Int = .max, onEvent: @escaping (Event) -> Void = { _ in }) throws -> Int {
        try checkHeldOutClasses()
        var finished = 0
        while finished < limit {
            let (all, _) = try plannedRuns()
            guard let next = all.first(where: { !hasResult($0) }) else { break }
            let index = all.firstIndex { $0.name == next.name }!
            try execute(next, index: index + 1, total: all.count, onEvent: onEvent)
            finished += 1
        }
        return finished
    }

    /// Throws when a held-out class name of a benchmark marked `held_out_classes` occurs in any
    /// candidate caption of the training data (the benchmark would not measure unseen classes).
    public func checkHeldOutClasses() throws {
        let marked = plan.benchmarks.filter { $0.heldOutClasses == true }
        guard !marked.isEmpty else { return }
        let data = try openImageTextDataset(at: URL(fileURLWithPath: plan.train))
        var captions: [String] = []
        for i in 0..<data.count {
            if let sample = try? data.sample(at: i) { captions += sample.captionCandidates }
        }
        for benchmark in marked {
            for folder in [benchmark.dev, benchmark.test] {
                let names = try ZeroShotBenchmark(root: URL(fileURLWithPath: folder)).dataset.classNames
                let leaks = CaptionLeaks.find(classNames: names, captions: captions, limit: 5)
                guard leaks.isEmpty else {
                    throw SigLIPError(path: folder, problem: "held-out class names occur in training captions of \(plan.train): "
                                      + leaks.map(\.description).joined(separator: "; "))
                }
            }
        }
    }

    func execute(_ run: PlannedRun, index: Int, total: Int, onEvent: @escaping (Event) -> Void) throws {
        let started = Date()
        let directory = RunDirectory(URL(fileURLWithPath: run.options.output))
        let trained = FileManager.default.fileExists(atPath: directory.summaryFile.path)
        let resuming = !trained && directory.latestCheckpoint != nil
        onEvent(.starting(run, index: index, total: total, resuming: resuming || trained))
        if !trained {
            let studyThreads = ComputeThreads.current
            defer { ComputeThreads.set(studyThreads) }
            if resuming, resumesWithRecordedThreads, let recorded = directory.recordedCompute()?.threadsToResume(ranks: 1) {
                ComputeThreads.set(recorded)
            }
            let job = try TrainingRun(options: run.options, resume: resuming, onEvent: { onEvent(.training(run, $0)) },
                                      onNotice: { onEvent(.notice(run, $0)) })
            _ = try job.train()
        }
        guard let checkpoint = directory.latestCheckpoint else {
            throw SigLIPError(path: directory.url.path, problem: "training ended without a checkpoint")
        }
        let model = try EvalCheckpoint.load(from: checkpoint)
        let evaluation = try StudyEvaluation.evaluate(model.encoder(), plan: plan, rounds: plan.evalRounds,
                                                      batchSize: run.options.batchSize) { onEvent(.evaluating(run, $0)) }
        let file = resultFile(run)
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        try AtomicFile.write(try StudyResultFile.encode(run: run, directory: directory, evaluation: evaluation,
                                                        wallSeconds: Date().timeIntervalSince(started)), to: file)
        onEvent(.finished(run, file, seconds: Date().timeIntervalSince(started)))
    }
}
