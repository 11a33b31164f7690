import ArgumentParser
import Foundation
import SigLIP
import SigLIPEval

struct FewShotCommand: ParsableCommand {
    static let defaultShots = FewShotSettings.defaultShots.map(String.init).joined(separator: ",")
    static let defaultL2 = String(format: "%g", LinearProbe.standardL2)

    static let configuration = CommandConfiguration(
        commandName: "fewshot",
        abstract: "Few-shot linear-probe accuracy of the frozen image embeddings at one or more RINS recursion rounds.",
        discussion: """
        big_vision's few-shot protocol: the L2-normalised image embeddings are standardised on the shots, a constant \
        bias feature 100 is appended, targets are one-hot in {-1, +1}, and the closed-form ridge regression \
        W = (XᵀX + λI)⁻¹XᵀY (λ = \(defaultL2) unless --l2) predicts the argmax. Accuracy is the mean ± sd over --draws seeded draws. \
        ROOT is either ROOT/train/<class>/ and ROOT/test/<class>/ (shots drawn from train/, all of test/ tested) or \
        ROOT/<class>/ (each draw shuffles every class: its first max(shots) images are its shot pool, the rest are tested). \
        Without --shots, the values of \(defaultShots) that every class can give are used.
        """)

    @OptionGroup var model: CheckpointOptions
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Benchmark root: ROOT/train/<class>/ and ROOT/test/<class>/, or ROOT/<class>/.") var data: String
    @Option(help: "Shots (training images per class), e.g. \(defaultShots) (default: those of \(defaultShots) the benchmark allows).")
    var shots: String?
    @Option(help: "Recursion rounds to evaluate, e.g. 1,2,3,4 (default: 1 up to the checkpoint's training rounds).")
    var rounds: String?
    @Option(help: "Seeded draws of the shots; accuracies are averaged over them.") var draws: Int = FewShotSettings.defaultDraws
    @Option(help: "Seed of the draws (draw d uses a stream derived from the seed and d).") var seed: UInt64 = 0
    @Option(help: "Ridge L2 regularisation λ, or a comma-separated list (one row per value; none is picked on the test images).")
    var l2: String = defaultL2
    @Option(help: "A second checkpoint to probe on the same draws, at its configured rounds; adds the gain over it draw by draw.")
    var baseline: String?
    @Option(help: "Images per forward pass.") var batchSize: Int = 32
    @Option(help: "Write every figure (per draw too) as JSON to this file.") var json: String?

    func validate() throws {
        try validateBatchSize(batchSize)
    }

    func run() throws {
        try compute.apply()
        var settings = FewShotSettings(draws: draws, seed: seed, l2: try FewShotSettings.parseL2(l2), batchSize: batchSize)
        let roundsAsked = try rounds.map { text in
            guard let values = RoundsList.parse(text) else {
                throw SigLIPError(path: "--rounds", problem: "'\(text)' is not a comma-separated list of rounds in 1…\(ConfigLimits.rounds)")
            }
            return values
        }
        if let shots { settings.shots = try FewShotSettings.parseShots(shots) }
        try settings.validate()
        let benchmark = try FewShotBenchmark(root: URL(fileURLWithPath: data))
        var shortened: String?
        if shots == nil {
            // The default keeps the values every class can give; none fitting is refused below, naming the folder.
            let largest = benchmark.largestShots(poolCounts: benchmark.poolCounts)
            let fitting = FewShotSettings.defaultShots.filter { $0 <= largest }
            settings.shots = fitting.isEmpty ? [FewShotSettings.defaultShots[0]] : fitting
            if fitting.count < FewShotSettings.defaultShots.count {
                shortened = "note: the smallest class of \(data) allows at most \(largest) shot\(largest == 1 ? "" : "s"): shots "
                    + settings.shots.map(String.init).joined(separator: ",") + " of the default \(Self.defaultShots) (--shots sets others)"
            }
        }
        try benchmark.requireImages(forShots: settings.shots, poolCounts: benchmark.poolCounts)
        let candidate = try model.load()
        let base = try baseline.map { ($0, try model.load($0)) }
        if let shortened { Terminal.note(shortened) }
        let pool = benchmark.poolCounts.reduce(0, +)
        Terminal.note("data: \(data): \(benchmark.classCount) classes, layout \(benchmark.layout.rawValue), \(pool) images in the shot pool"
                      + (benchmark.test.map { ", \($0.examples.count) in test/" } ?? ""))
        Terminal.note("shots \(settings.shots.map(String.init).joined(separator: ",")), \(settings.draws) draw\(settings.draws == 1 ? "" : "s") "
                      + "from seed \(settings.seed), λ \(settings.l2.map { String(format: "%g", $0) }.joined(separator: ","))")

        let (result, outcome) = try evaluate(candidate, path: model.checkpoint, role: "candidate", rounds: roundsAsked,
                                             benchmark: benchmark, settings: settings)
        var checkpoints = [result]
        if let (path, checkpoint) = base {
            let configured = [checkpoint.model.config.imageTower.recursion.rounds]
            let baseline = try evaluate(checkpoint, path: path, role: "baseline", rounds: configured, benchmark: benchmark,
                                        settings: settings).result
            for i in checkpoints[0].results.indices { checkpoints[0].results[i].compare(with: baseline.results[0]) }
            checkpoints.append(baseline)
        }
        let report = FewShotReport(data: data, layout: benchmark.layout, classes: benchmark.classCount, poolImages: outcome.poolImages,
                                   testImages: outcome.testImages, skipped: outcome.skipped, settings: settings, checkpoints: checkpoints)
        for s in outcome.skipped.prefix(10) { Terminal.note("skipped \(s.path): \(s.reason)") }
        if !outcome.skipped.isEmpty {
            Terminal.note("warning: \(outcome.skipped.count) of \(benchmark.images.count) images could not be decoded and were skipped")
        }
        print("few-shot linear probe: \(report.classes) classes, \(report.testImages) test images per draw, "
              + "mean ± sd over \(report.draws) draw\(report.draws == 1 ? "" : "s"), chance \(ReportTable.percent(1 / Double(report.classes)))")
        print(ReportTable.fewShot(report))
        if let gains = ReportTable.fewShotGains(report) {
            print("")
            print("vs baseline, draw by draw (points, mean ± sd of candidate − baseline over the same draws):")
            print(gains)
        }
        if let json {
            try writeJSON(report, to: json)
            Terminal.note("report: \(json)")
        }
    }

    /// Probes one loaded checkpoint (`path` as the user gave it) at `rounds` (nil: 1 up to its training rounds).
    func evaluate(_ checkpoint: EvalCheckpoint, path: String, role: String, rounds: [Int]?, benchmark: FewShotBenchmark,
                  settings: FewShotSettings) throws -> (result: FewShotCheckpointResult, outcome: FewShotEvaluator.Outcome) {
        let encoder = checkpoint.encoder()
        let values = roundsToEvaluate(encoder, asked: rounds, path: path, role: role)
        var asked = settings
        asked.rounds = values
        let display = ProgressDisplay(label: role == "baseline" ? "baseline " : "")
        let outcome = try FewShotEvaluator.evaluate(encoder: encoder, benchmark: benchmark, settings: asked, progress: display.update)
        return (FewShotCheckpointResult(checkpoint: path, role: role, results: outcome.results), outcome)
    }
}
