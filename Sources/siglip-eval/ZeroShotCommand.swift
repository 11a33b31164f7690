import ArgumentParser
import Foundation
import SigLIPApp
import SigLIPEval

struct ZeroShotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zero-shot",
        abstract: "Zero-shot classification accuracy (top-1, top-5) at one or more RINS recursion rounds.",
        discussion: """
        ROOT is the ImageNet folder layout: ROOT/<class_folder>/*.{jpg,jpeg,png}, classes in sorted folder order. \
        Class names come from --classnames, else ROOT/classnames.txt, else the folder names ('_' as spaces). \
        Templates come from --templates, else ROOT/templates.txt, else CLIP's 80 ImageNet templates plus {}.
        """)

    @OptionGroup var model: CheckpointOptions
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Benchmark root in the ImageNet folder layout.") var data: String
    @Option(help: "Class names, one line per class folder in sorted folder order.") var classnames: String?
    @Option(help: "Prompt templates, one per line, {} marking the class.") var templates: String?
    @Option(help: "Recursion rounds to evaluate, e.g. 1,2,3,4 (default: 1 up to the checkpoint's training rounds).")
    var rounds: RoundsList?
    @Option(help: "A second checkpoint to compare against (evaluated as configured).") var baseline: String?
    @Option(help: "Images per forward pass.") var batchSize: Int = 32
    @Option(help: "Write the full report as JSON to this file.") var json: String?
    @Option(help: ArgumentHelp("Append the results to the TensorBoard events of this run directory (a new event file, at the run's last step).",
                               valueName: "dir")) var tensorboard: String?

    func validate() throws {
        try validateBatchSize(batchSize)
    }

    func run() throws {
        try compute.apply()
        let benchmark = try ZeroShotBenchmark(root: URL(fileURLWithPath: data), classNamesFile: classnames.map { URL(fileURLWithPath: $0) },
                                              templatesFile: templates.map { URL(fileURLWithPath: $0) })
        let task = benchmark.task
        Terminal.note("data: \(data): \(task.classNames.count) classes, \(task.images.count) images")
        Terminal.note("class names: \(benchmark.classNamesSource ?? "folder names")")
        Terminal.note("templates: \(benchmark.templatesSource) (\(task.templates.count))")

        let tensorboardStep = try tensorboard.map { try RunEvents.lastStep(in: URL(fileURLWithPath: $0)) }
        let candidate = try evaluate(checkpoint: model.checkpoint, role: "candidate", rounds: rounds?.values, task: task)
        var checkpoints = [candidate.result]
        var skipped = candidate.skipped
        if let baseline {
            let base = try evaluate(checkpoint: baseline, role: "baseline", rounds: nil, task: task)
            ZeroShotEvaluator.applyBaseline(base.result.results[0], to: &checkpoints[0].results)
            checkpoints.append(base.result)
            skipped = skipped.isEmpty ? base.skipped : skipped
        }
        let report = ZeroShotReport(data: data, templatesSource: benchmark.templatesSource, templates: task.templates.count,
                                    classes: task.classNames.count, imagesFound: task.images.count, skipped: skipped,
                                    checkpoints: checkpoints)
        for s in skipped.prefix(10) { Terminal.note("skipped \(s.path): \(s.reason)") }
        if !skipped.isEmpty { Terminal.note("warning: \(skipped.count) of \(task.images.count) images could not be decoded and were skipped") }
        print(ReportTable.rounds(report))
        if candidate.result.results.count > 1 {
            print("(vs 1 round: the same model run at 1 round, i.e. what its recursion adds at inference; "
                  + "not a gain over a baseline model, which --baseline DIR measures)")
        }
        if let shown = candidate.result.results.last {
            print("")
            print(ReportTable.details(shown, rounds: "\(shown.rounds) round\(shown.rounds == 1 ? "" : "s")"))
        }
        if let json {
            try writeJSON(report, to: json)
            Terminal.note("report: \(json)")
        }
        if let tensorboard, let step = tensorboardStep {
            let file = try RunEvents.appendZeroShot(candidate.result.results, benchmark: data, to: URL(fileURLWithPath: tensorboard), step: step)
            Terminal.note("tensorboard: \(file.path) (step \(step))")
        }
    }

    func evaluate(checkpoint path: String, role: String, rounds: [Int]?, task: ZeroShotTask)
        throws -> (result: CheckpointResult, skipped: [SkippedImage]) {
        let checkpoint = try model.load(path)
        let encoder = checkpoint.encoder()
        let values = roundsToEvaluate(encoder, asked: rounds, path: path, role: role)
        let display = ProgressDisplay(label: role == "baseline" ? "baseline " : "")
        let outcome = try ZeroShotEvaluator.evaluate(encoder: encoder, task: task, rounds: values, batchSize: batchSize,
                                                     progress: display.update)
        return (CheckpointResult(checkpoint: path, role: role, results: outcome.results), outcome.skipped)
    }
}
