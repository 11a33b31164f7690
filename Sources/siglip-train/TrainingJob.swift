import Foundation
import SigLIP
import SigLIPApp
import SigLIPEval
import SigLIPMPI
import SigLIPTraining

/// Runs a `TrainingRun` and shows it: a progress bar with rate and ETA on a terminal, plain
/// log lines otherwise, then the summary.
struct TrainingJob {
    let options: TrainingOptions
    let resume: Bool
    /// The ranks under mpirun (nil: one process); rank 0 alone prints.
    let group: MPIGroup?

    func run() throws {
        let terminal = isatty(STDERR_FILENO) != 0
        let started = Date()
        var total = 0, first = 0
        var lastLine = Date.distantPast
        var chance: Double?
        let ranks = group?.size ?? 1
        let training = try TrainingRun(options: options, resume: resume, group: group, onEvent: { event in
            switch event {
            case .started(let steps, let resumedAt, let perExample, let match, let parameters):
                total = steps
                first = resumedAt ?? 0
                print("siglip-train: \(options.model) depth \(options.depth.map(String.init) ?? "preset"), \(options.imageSize) px, "
                      + "image tower \(options.signature)\(options.rounds > 1 ? " r=\(options.rounds)" : "")"
                      + (options.skipProbability > 0 ? " (stochastic, p_s \(options.skipProbability))" : "")
                      + (options.adapter != .none ? ", \(options.adapter) adapters" : "")
                      + "; batch \(options.batchSize)" + (ranks > 1 ? " over \(ranks) ranks" : "") + ", \(steps) steps, \(scientific(perExample)) training FLOPs per example")
                print(parameters)
                print("compute: \(ComputeSetup.current(ranks: ranks))")
                if let resumedAt { print("resuming at step \(resumedAt)") }
                if let match { print("compute matched: \(match.summary)") }
            case .step(let r):
                let done = r.step - first, elapsed = Date().timeIntervalSince(started)
                let eta = done > 0 ? elapsed / Double(done) * Double(total - r.step) : 0
                let text = String(format: "step %d/%d  loss %.4f  t %.2f  b %.2f  |g| %.3f  lr %.2e  %@ img/s  cos img %.2f txt %.2f  ETA %@",
                                  r.step, total, r.loss, r.logScale, r.bias, r.gradientNorm, r.learningRate,
                                  String(format: r.imagesPerSecond < 10 ? "%.2f" : "%.0f", r.imagesPerSecond),
                                  r.imageCosine, r.textCosine, duration(eta))
                    + (r.communicationSeconds.map { String(format: "  comm %.0f ms", 1000 * $0) } ?? "")
                if terminal {
                    writeStandardError("\r\u{1B}[K\(bar(Double(r.step) / Double(max(total, 1)))) \(text)")
                } else if Date().timeIntervalSince(lastLine) >= 10 || r.step == total || r.step == first + 1 {
                    print(text)
                    lastLine = Date()
                }
            case .evaluated(let records):
                if terminal { writeStandardError("\r\u{1B}[K") }
                for e in records {
                    chance = 1 / Double(e.classes)
                    print(String(format: "step %d  zero-shot (%d round%@): top-1 %.2f%%  top-5 %.2f%%  (%d images, %d classes, chance %.2f%%)",
                                 e.step, e.rounds, e.rounds == 1 ? "" : "s", 100 * e.top1, 100 * e.top5, e.images, e.classes,
                                 100 / Double(e.classes)))
                }
            case .checkpoint(let url):
                if !terminal { print("checkpoint \(shown(url.path))") }
            case .checkpointDamaged(let damaged, let problem, let used):
                writeStandardError("warning: the newest checkpoint \(shown(damaged.path)) is damaged (\(problem)); "
                                   + "resuming from \(shown(used.path))\n")
            case .computeChanged(let checkpoint, let changes):
                writeStandardError("warning: \(shown(checkpoint.path)) was computed on another setup (\(changes.joined(separator: ", "))); "
                                   + "the run continues correctly, but its figures will not match an uninterrupted run bit for bit\n")
            }
        }, onNotice: { notice in
            switch notice {
            case .skippedSample(let name, let reason):   // every rank reports its own
                let rank = ranks > 1 ? "rank \(group!.rank): " : ""
                writeStandardError("\(terminal ? "\r\u{1B}[K" : "")\(rank)skipped \(name): \(reason)\n")
            case .initialized(let path, let report):
                if (group?.rank ?? 0) == 0 { print("init from \(shown(path)): \(report)") }
            case .evaluationProgress:
                break
            }
        })
        let summary = try training.train()
        guard (group?.rank ?? 0) == 0 else { return }
        if terminal { writeStandardError("\n") }
        print("")
        print("done: \(summary.steps) steps, \(summary.examples) examples, \(scientific(summary.flops)) FLOPs in \(duration(summary.seconds))"
              + (summary.skippedFiles > 0 ? ", \(summary.skippedFiles) files skipped" : ""))
        if let match = summary.computeMatch { print("compute matched: \(match)") }
        let finalStep = summary.evaluations.map(\.step).max()
        for e in summary.evaluations where e.step == finalStep {
            print(String(format: "zero-shot top-1 %.2f%% (chance %.2f%%), top-5 %.2f%% at %d round%@ on %@",
                         100 * e.top1, 100 * (chance ?? 0), 100 * e.top5, e.rounds, e.rounds == 1 ? "" : "s", options.evalData ?? ""))
        }
        print("checkpoint: \(shown(summary.checkpoint))")
        print("metrics:    \(shown(summary.metrics))")
        if let curves = summary.curves { print("curves:     \(shown(curves))") }
        print("summary:    \(shown(training.run.summaryFile.path))")
        let runs = training.run.url.deletingLastPathComponent().path
        print("events:     \(shown(training.run.url.path)) (tensorboard --logdir \(shown(runs)))")
    }

    func bar(_ fraction: Double) -> String {
        let width = 24, filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}

/// A path relative to the current directory when it lies inside it.
func shown(_ path: String) -> String {
    let here = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path
}

/// "1h02m", "4m05s", "12s".
func duration(_ seconds: Double) -> String {
    let s = displaySeconds(seconds)
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}
