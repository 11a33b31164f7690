import Foundation
import SigLIP
import SigLIPApp
import SigLIPEval
import SigLIPTestSupport
import SigLIPTraining
import Testing

/// A whole tiny study (2 arms, 2 learning rates, 2 seeds, one extra budget) on the bundled data:
/// the sweep comes first, the grid once the sweep is done, the budgets last; every run writes
/// a result that `siglip-eval compare` can read; finished runs are skipped.
@Suite("Study runner", .serialized) struct StudyRunnerTests {
    static let repository = Commands.repository

    /// Class folders copied from the bundled benchmark, and pairs from its images.
    static func makeBenchmarks(in folder: TemporaryFolder) throws {
        let source = repository.appendingPathComponent("datasets/default/zeroshot")
        let classes = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.first!.isNumber }.sorted()
        for (split, range) in [("dev", 0..<3), ("test", 3..<6)] {
            for name in classes[range] {
                try FileManager.default.createDirectory(at: folder.file("style/\(split)"), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.file("style/\(split)/\(name)"))
            }
            var lines: [String] = []
            for name in classes[range.lowerBound + 6..<range.upperBound + 7] {
                let image = try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent(name).path).first!
                let target = "pairs/\(split)/\(name).png"
                try folder.write(target, try Data(contentsOf: source.appendingPathComponent("\(name)/\(image)")))
                let caption = name.split(separator: "_").dropFirst().joined(separator: " ")
                lines.append(#"{"image": "\#(name).png", "caption": "an emoji of \#(caption)"}"#)
            }
            try folder.write("pairs/\(split)/captions.jsonl", lines.joined(separator: "\n") + "\n")
        }
    }

    static func plan(_ folder: TemporaryFolder, styleIsHeldOut: Bool = false) throws -> StudyPlan {
        let json = """
        {"name": "tiny", "results": "\(folder.file("results").path)", "runs": "\(folder.file("runs").path)",
         "train": "\(repository.path)/datasets/default/train", "tokenizer": "\(repository.path)/datasets/tokenizer/siglip-emoji-4k.model",
         "benchmarks": [
           {"name": "style", "kind": "classification", "held_out_classes": \(styleIsHeldOut), "dev": "\(folder.file("style/dev").path)", "test": "\(folder.file("style/test").path)"},
           {"name": "pairs", "kind": "retrieval", "dev": "\(folder.file("pairs/dev").path)", "test": "\(folder.file("pairs/test").path)"}],
         "periodic": "style",
         "base": {"model": "Ti/8", "depth": 2, "imageSize": 32, "textLength": 16, "batchSize": 4, "warmupSteps": 1,
                  "evalEvery": 1000, "checkpointEvery": 2, "workers": 1},
         "baseline": "baseline", "baseline_steps": 4, "eval_rounds": [1, 2],
         "arms": [{"name": "baseline", "options": {"signature": "A B", "rounds": 1}},
                  {"name": "rins", "options": {"signature": "A^r B", "rounds": 2}},
                  {"name": "repeat", "options": {"signature": "(A B)^r", "rounds": 2}, "learning_rate_from": "rins"}],
         "seeds": [0, 1],
         "sweep": {"arms": ["baseline", "rins"], "learning_rates": [0.001, 0.002], "seed": 0},
         "budgets": {"multipliers": [0.5], "arms": ["baseline", "best-recursive"], "seed": 0}}
        """
        try folder.write("plan.json", json)
        return try StudyPlan.read(from: folder.file("plan.json"))
    }

    @Test func runsTheStudyInPhasesAndSkipsFinishedRuns() throws {
        let folder = try TemporaryFolder(prefix: "study")
        defer { folder.remove() }
        try Self.makeBenchmarks(in: folder)
        let runner = StudyRunner(plan: try Self.plan(folder))

        let (sweep, pending) = try runner.plannedRuns()
        #expect(sweep.map(\.name) == ["baseline-lr0.001-x1-s0", "baseline-lr0.002-x1-s0", "rins-lr0.001-x1-s0", "rins-lr0.002-x1-s0"])
        #expect(pending == ["grid", "budgets"])
        #expect(sweep[0].options.steps == 4 && sweep[2].options.matchBaselineSteps == 4 && sweep[2].options.steps == nil)

        #expect(try runner.run(limit: 2) == 2)
        #expect(try runner.plannedRuns().pending == ["grid", "budgets"])
        var names: [String] = []
        let finished = try runner.run { if case .finished(let run, _, _) = $0 { names.append(run.name) } }
        // 4 sweep runs (2 done above), the grid adds 3 arms × 2 seeds less the 2 sweep runs it
        // shares, the budgets add 2.
        #expect(finished == 2 + 4 + 2, "\(names)")
        let (all, none) = try runner.plannedRuns()
        #expect(none.isEmpty && all.count == 10)
        #expect(try runner.run() == 0, "finished runs are skipped")

        for run in all {
            let record = try JSONDecoder().decode(StudyRun.self, from: Data(contentsOf: runner.resultFile(run)))
            #expect(record.name == run.name && record.arm == run.arm && record.seed == run.seed)
            let rounds = Set(record.outcomes.map(\.rounds))
            #expect(rounds == (run.arm == "baseline" ? [1] : [1, 2]), "\(run.name): \(rounds)")
            let keys = Set(record.outcomes.map { "\($0.benchmark)/\($0.split)/\($0.metric)" })
            #expect(keys.isSuperset(of: ["style/dev/top1", "style/test/top5", "pairs/test/i2t_r1", "pairs/dev/t2i_r5"]))
            #expect(record.outcomes.first { $0.benchmark == "style" && $0.split == "test" }?.hits.count == 3)
        }
        // Compute matching never gives a recursive arm more than the baseline's FLOPs.
        let flops = try Dictionary(uniqueKeysWithValues: all.filter { $0.phase != "budgets" }.map {
            ($0.name, try JSONDecoder().decode(StudyRun.self, from: Data(contentsOf: runner.resultFile($0))).trainingFLOPs)
        })
        let baselineFLOPs = flops.filter { $0.key.hasPrefix("baseline-") }.values.max()!
        #expect(flops.filter { !$0.key.hasPrefix("baseline-") }.values.allSatisfy { $0 <= baselineFLOPs })
        // The grid pairs seeds: arm × seed for every arm.
        #expect(Set(all.map { "\($0.arm)-s\($0.seed)" }).isSuperset(of: ["baseline-s0", "baseline-s1", "rins-s0", "rins-s1", "repeat-s0", "repeat-s1"]))
        // Seed k of every arm trains with seed k (same data order, same initial shared weights).
        for run in all { #expect(run.options.seed == UInt64(run.seed)) }

        // The report: a README with the sweep, the grid and the comparisons, and the plots.
        let written = try StudyReport.write(runner: runner, planPath: "plan.json", replicates: 200)
        #expect(written.map(\.lastPathComponent) == ["README.md", "rounds.png", "curves.png", "budgets.png"])
        let readme = try String(contentsOf: written[0], encoding: .utf8)
        for part in ["10 of 10 planned runs are finished", "## Learning-rate sweep", "## Test figures per arm",
                     "### rins against baseline", "### repeat against baseline", "verdict"] {
            #expect(readme.contains(part), "README lacks \(part)")
        }
        for plot in written.dropFirst() { #expect(try ImageDecoder.decode(contentsOf: plot).width >= 900) }
    }

    /// A run interrupted after a checkpoint taken on 1 thread resumes on 1 thread in a study run
    /// on 2 (bit for bit, as `siglip-train --resume`), unless the study was given its threads;
    /// the study's threads are back once the run is done.
    @Test func anInterruptedRunResumesWithItsRecordedThreads() throws {
        let folder = try TemporaryFolder(prefix: "study-threads")
        defer { folder.remove() }
        try Self.makeBenchmarks(in: folder)
        let before = ComputeThreads.current
        defer { ComputeThreads.set(before) }
        for recordedThreads in [true, false] {
            try? FileManager.default.removeItem(at: folder.file("runs"))
            try? FileManager.default.removeItem(at: folder.file("results"))
            let runner = StudyRunner(plan: try Self.plan(folder), resumesWithRecordedThreads: recordedThreads)
            ComputeThreads.set(1)
            #expect(try runner.run(limit: 1) == 1)
            // Interrupted after step 2: no summary, no result, no last checkpoint.
            let run = try runner.plannedRuns().runs[0]
            let directory = RunDirectory(URL(fileURLWithPath: run.options.output))
            try FileManager.default.removeItem(at: directory.summaryFile)
            try FileManager.default.removeItem(at: runner.resultFile(run))
            try FileManager.default.removeItem(at: try #require(directory.latestCheckpoint))
            #expect(directory.latestCheckpoint?.lastPathComponent == "step-00000002")

            ComputeThreads.set(2)
            var threadsWhileTraining: Set<Int> = []
            #expect(try runner.run(limit: 1) { event in
                if case .training(_, .step) = event { threadsWhileTraining.insert(ComputeThreads.current) }
            } == 1)
            #expect(threadsWhileTraining == [recordedThreads ? 1 : 2], "resumes with recorded threads: \(recordedThreads)")
            #expect(ComputeThreads.current == 2, "the study's threads after the run")
        }
    }

    /// A study continued without `--instruction-set` takes the level its runs recorded on this
    /// CPU (`recordedLevel`): a finished run's from its result file, an interrupted one's from its
    /// last checkpoint; none when the records disagree or come from another CPU.
    @Test func aContinuedStudyTakesTheLevelItsRunsRecorded() throws {
        let folder = try TemporaryFolder(prefix: "study-level")
        defer { folder.remove() }
        try Self.makeBenchmarks(in: folder)
        let runner = StudyRunner(plan: try Self.plan(folder))
        #expect(try runner.recordedLevel() == nil, "no run yet")
        #expect(try runner.run(limit: 2) == 2)
        #expect(try runner.recordedLevel() == InstructionSet.selected)

        let runs = try runner.plannedRuns().runs
        func record(_ run: PlannedRun, _ edit: (inout [String: Any]) -> Void) throws {
            let url = runner.resultFile(run)
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var machine = try #require(object["machine"] as? [String: Any])
            edit(&machine)
            object["machine"] = machine
            try JSONSerialization.data(withJSONObject: object).write(to: url)
        }
        try record(runs[0]) { $0["instruction_set"] = InstructionSet.baseline.description }
        try record(runs[1]) { $0["instruction_set"] = InstructionSet.baseline.description }
        #expect(try runner.recordedLevel() == .baseline, "both finished runs say baseline")
        #expect(try runner.recordedLevel(of: runs) == .baseline, "from the runs the caller planned")
        // Listing the runs computes nothing, so it says nothing of a level.
        let listed = try Commands.run("siglip-study", ["--plan", folder.file("plan.json").path, "--dry-run"])
        #expect(listed.status == 0 && listed.stdout.contains("  done") && !listed.stdout.contains("computing at"),
                "\(listed.stdout)\(listed.stderr)")
        try record(runs[1]) { $0["cpu"] = "another CPU" }
        #expect(try runner.recordedLevel() == .baseline, "a record from another CPU is not taken")
        // Results of the first studies recorded only the CPU, its cores and the level.
        try record(runs[1]) { $0 = $0.filter { ["cpu", "cores", "instruction_set"].contains($0.key) }; $0["cpu"] = CPUModel.name }
        #expect(try runner.recordedLevel() == .baseline, "an early result's machine")

        // The second run interrupted: its last checkpoint (at the process's level) disagrees with the first.
        try FileManager.default.removeItem(at: runner.resultFile(runs[1]))
        #expect(RunDirectory(URL(fileURLWithPath: runs[1].options.output)).recordedCompute() != nil)
        #expect(try runner.recordedLevel() == (InstructionSet.selected == .baseline ? .baseline : nil))
    }

    /// The bundled benchmark's classes are trained on (in other designs): marked as held-out
    /// classes, the runner refuses to start and names a leaking caption.
    @Test func refusesHeldOutClassesThatTrainingCaptionsName() throws {
        let folder = try TemporaryFolder(prefix: "study-leak")
        defer { folder.remove() }
        try Self.makeBenchmarks(in: folder)
        for split in ["dev", "test"] {
            let classes = try FileManager.default.contentsOfDirectory(atPath: folder.file("style/\(split)").path).sorted()
            try folder.write("style/\(split)/classnames.txt",
                             classes.map { $0.split(separator: "_").dropFirst().joined(separator: " ") }.joined(separator: "\n") + "\n")
        }
        let runner = StudyRunner(plan: try Self.plan(folder, styleIsHeldOut: true))
        let error = #expect(throws: SigLIPError.self) { try runner.run() }
        #expect(error?.problem.contains("held-out class names occur in training captions") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: folder.file("runs").path), "nothing trained")
        try StudyRunner(plan: try Self.plan(folder)).checkHeldOutClasses()   // unmarked: no check, no error
    }
}
