import ArgumentParser
import Foundation
import SigLIP
import SigLIPApp
import SigLIPTraining

/// `siglip-study`: runs a study plan (e.g. the RINS study) run by run, resumably, writing one
/// result file per finished run; a thin shell over `StudyRunner`.
@main
struct SigLIPStudy: ParsableCommand {
    static func main() { mainWithOneLineErrors() }

    static let configuration = CommandConfiguration(
        commandName: "siglip-study",
        abstract: "Run a study plan: a learning-rate sweep, every arm at every seed, extra budgets.",
        discussion: """
            Runs whose result file exists are skipped and an interrupted run resumes from its last \
            checkpoint, so a study can be completed over several sittings: run the same command again. \
            Each finished run writes RESULTS/<run>.json (see the plan's "results").
            """)

    @Option(help: "The study plan (JSON).") var plan = "evals/rins/study.json"
    @Flag(help: "List the runs and whether each has a result, then stop.") var dryRun = false
    @Option(help: "Stop after this many finished runs.") var maxRuns: Int?
    @Flag(help: "git-commit each result file as its run finishes.") var commit = false
    @Flag(help: "Write the report (README.md and plots in the results folder) from the finished runs, then stop.") var report = false
    @Option(help: "Threads for BLAS and the kernels (default: all cores; an interrupted run resumes with its checkpoint's threads unless this is given).") var threads: Int?
    @Option(help: ArgumentHelp(InstructionSet.flagHelp.abstract + " Every run of the study computes at this level; without it, a study continues at the level its earlier runs recorded on this CPU."))
    var instructionSet: InstructionSet?

    mutating func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)
        do {
            let runner = StudyRunner(plan: try StudyPlan.read(from: URL(fileURLWithPath: plan)), resumesWithRecordedThreads: threads == nil)
            let (runs, pending) = try runner.plannedRuns()
            print("siglip-study: \(runner.plan.name): \(runs.count) runs planned"
                  + (pending.isEmpty ? "" : " (\(pending.joined(separator: " and ")) planned once the earlier runs finish)"))
            if report {
                for file in try StudyReport.write(runner: runner, planPath: plan) { print("wrote \(file.path)") }
                return
            }
            if dryRun {
                for run in runs {
                    let done = FileManager.default.fileExists(atPath: runner.resultFile(run).path)
                    print("  \(done ? "done   " : "pending") \(run.phase.padding(toLength: 8, withPad: " ", startingAt: 0)) \(run.name)")
                }
                return
            }
            // Continued without the flag, the study keeps the level of its earlier runs, bit for bit
            // (each interrupted run its own checkpoint's threads: StudyRunner).
            if let level = try ComputeFlags.apply(instructionSet: instructionSet, threads: threads,
                                                  recordedLevel: { try runner.recordedLevel(of: runs) }),
               level != InstructionSet.supported {
                print("siglip-study: computing at \(level.name), as the study's earlier runs on this CPU did (--instruction-set to change it)")
            }
            var lastLine = Date.distantPast
            let (commit, plan) = (commit, plan)
            let finished = try runner.run(limit: maxRuns ?? .max) { event in
                switch event {
                case .starting(let run, let index, let total, let resuming):
                    print("[\(index)/\(total)] \(run.name) (\(run.phase))\(resuming ? ", resuming" : "")")
                case .training(_, .step(let r)) where Date().timeIntervalSince(lastLine) >= 30:
                    print(String(format: "  step %d  loss %.4f  %.0f img/s", r.step, r.loss, r.imagesPerSecond))
                    lastLine = Date()
                case .training(_, .evaluated(let records)):
                    for e in records {
                        print(String(format: "  step %d  dev top-1 %.2f%% at %d round%@", e.step, 100 * e.top1, e.rounds, e.rounds == 1 ? "" : "s"))
                    }
                case .evaluating(_, let what):
                    print("  evaluating \(what)")
                case .finished(let run, let file, let seconds):
                    print("  finished \(run.name) in \(Int(seconds)) s: \(file.path)")
                    // The report follows every finished run, so the results README is always current.
                    let report = (try? StudyReport.write(runner: runner, planPath: plan)) ?? []
                    if commit { try? Self.gitCommit([file] + report, message: "\(runner.plan.name): \(run.name) (\(run.phase))") }
                case .training(_, .computeChanged(_, let changes)):
                    print("  resumed on another setup (\(changes.joined(separator: ", "))): not bit for bit as an uninterrupted run")
                case .notice(_, .skippedSample(let name, let reason)):
                    writeStandardError("  skipped \(name): \(reason)\n")
                default:
                    break
                }
            }
            let (after, stillPending) = try runner.plannedRuns()
            let left = after.filter { !FileManager.default.fileExists(atPath: runner.resultFile($0).path) }.count
            print("siglip-study: \(finished) runs finished now; \(left) left" + (stillPending.isEmpty ? "" : " plus the \(stillPending.joined(separator: " and "))"))
        } catch let error as ExitCode {
            throw error
        } catch {
            writeStandardError("siglip-study: error: \(error)\n")
            throw ExitCode.failure
        }
    }

    /// `git add FILES && git commit -m MESSAGE -- FILES` in the current directory.
    static func gitCommit(_ files: [URL], message: String) throws {
        let paths = files.map(\.path)
        for arguments in [["add"] + paths, ["commit", "-q", "-m", message, "--"] + paths] {
            let git = Process()
            git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            git.arguments = ["git"] + arguments
            try git.run()
            git.waitUntilExit()
        }
    }
}
