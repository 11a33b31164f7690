import Foundation
import SigLIP
import SigLIPTraining
import SigLIPTestSupport
import Testing

/// The commands as a user runs them: bad input gives a one-line error and a non-zero exit
/// code and writes nothing; options merge from a JSON file and flags.
@Suite("Command line", .serialized) struct CommandLineTests {
    static let products = Commands.products
    static let repository = Commands.repository
    static func run(_ command: String, _ arguments: [String]) throws -> Commands.Result { try Commands.run(command, arguments) }

    static func temporary() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)") }

    /// A few tiny steps on the bundled data.
    static let tiny = ["--depth", "1", "--batch-size", "8", "--steps", "2", "--no-eval", "--checkpoint-every", "1", "--workers", "1"]

    @Test(arguments: [
        (["--model", "Q/16"], "unknown model preset 'Q/16'"),
        (["--data", "/nonexistent/shards"], "/nonexistent/shards"),
        (["--batch-size", "5000"], "batch size 5000 is larger than the 1798 examples"),
        (["--signature", "A^q"], "bad recursion signature"),
        (["--steps", "10", "--examples", "100"], "exactly one training budget"),
    ])
    func badInputIsRefusedWithOneLine(_ arguments: [String], _ expected: String) throws {
        let output = Self.temporary()
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try Self.run("siglip-train", Self.tiny.filter { $0 != "--steps" && $0 != "2" } + arguments + ["--output", output.path])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && result.stderr.contains(expected), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "nothing may be written")
    }

    /// The committed RINS study reads as `siglip-study` finds it: its plan and every result file,
    /// results of every age included (the first ones recorded less of their machine).
    @Test func theCommittedStudyReads() throws {
        let result = try Self.run("siglip-study", ["--plan", "evals/rins/study.json", "--dry-run"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let done = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  done") }.count
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("evals/results/rins-study").path)
        #expect(done == files.filter { $0.hasSuffix(".json") }.count, "\(result.stdout)")
    }

    @Test func configFileAndFlagsMergeAndRunsAreNeverOverwritten() throws {
        let output = Self.temporary()
        defer { try? FileManager.default.removeItem(at: output) }
        let config = Self.temporary().appendingPathExtension("json")
        defer { try? FileManager.default.removeItem(at: config) }
        try Data(#"{"batchSize": 16, "depth": 1, "learningRate": 0.0005, "steps": 2}"#.utf8).write(to: config)
        let first = try Self.run("siglip-train", ["--config", config.path, "--batch-size", "8", "--no-eval", "--workers", "1",
                                                  "--checkpoint-every", "1", "--output", output.path])
        #expect(first.status == 0, "\(first.stderr)")
        let written = try TrainingOptions.read(from: RunDirectory(output).optionsFile)
        #expect(written.batchSize == 8, "the flag overrides the file")
        #expect(written.depth == 1 && written.learningRate == 0.0005 && written.steps == 2, "the file overrides the defaults")
        #expect(first.stdout.contains("checkpoint:") && first.stdout.contains("curves:") && first.stdout.contains("events:"))
        let checkpoint = try #require(RunDirectory(output).latestCheckpoint)
        let before = try Data(contentsOf: checkpoint.appendingPathComponent("model.safetensors"))

        let resumed = try Self.run("siglip-train", ["--resume", "--output", output.path])
        #expect(resumed.status == 0, "resuming with only --output uses the run's own options: \(resumed.stderr)")
        #expect(first.stdout.contains("compute: \(CPUModel.name), ") && resumed.stderr.isEmpty, "\(first.stdout)\n\(resumed.stderr)")
        let state = try JSONDecoder().decode(TrainerState.self,
                                             from: Data(contentsOf: checkpoint.appendingPathComponent(RunDirectory.stateFile)))
        let threads = try #require(state.compute?.threads, "the checkpoint records its compute setup")
        let moreThreads = try Self.run("siglip-train", ["--resume", "--threads", "\(threads + 1)", "--output", output.path])
        #expect(moreThreads.status == 0 && moreThreads.stderr.contains("was computed on another setup (threads \(threads) → \(threads + 1))"),
                "a resume on other threads says so: \(moreThreads.stderr)")
        let summary = try RunJSON.decoder().decode(TrainingSummary.self, from: Data(contentsOf: RunDirectory(output).summaryFile))
        #expect(summary.compute?.threads == threads, "a resume that ran no step keeps the checkpoint's setup in summary.json")
        // Without --threads, a resume takes the checkpoint's threads, so its sums go on bit for bit;
        // not more than this machine has cores (then it says the threads changed).
        let stateFile = checkpoint.appendingPathComponent(RunDirectory.stateFile)
        func resume(recordedThreads: Int, level: InstructionSet = .selected) throws -> (status: Int32, stdout: String, stderr: String) {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stateFile)) as? [String: Any])
            var compute = try #require(object["compute"] as? [String: Any])
            compute["threads"] = recordedThreads
            compute["instruction_set"] = level.description
            object["compute"] = compute
            try JSONSerialization.data(withJSONObject: object).write(to: stateFile)
            let r = try Self.run("siglip-train", ["--resume", "--output", output.path])
            return (r.status, r.stdout, r.stderr)
        }
        let fewer = max(1, threads - 1)
        let recorded = try resume(recordedThreads: fewer)
        #expect(recorded.status == 0 && recorded.stderr.isEmpty && recorded.stdout.contains(", \(fewer) thread"),
                "a resume without --threads uses the checkpoint's: \(recorded.stdout)\n\(recorded.stderr)")
        let tooMany = try resume(recordedThreads: ProcessInfo.processInfo.activeProcessorCount + 1)
        #expect(tooMany.status == 0 && tooMany.stderr.contains("threads \(ProcessInfo.processInfo.activeProcessorCount + 1) → \(threads)"),
                "more threads than cores are not taken: \(tooMany.stderr)")
        // Without --instruction-set, a resume takes the checkpoint's level on this CPU (here the
        // baseline, which every x86-64 CPU has), so a run held below the CPU's best goes on there.
        let held = try resume(recordedThreads: threads, level: .baseline)
        #expect(held.status == 0 && held.stderr.isEmpty && held.stdout.contains(", \(InstructionSet.baseline.description), "),
                "a resume without --instruction-set keeps the checkpoint's level: \(held.stdout)\n\(held.stderr)")
        if InstructionSet.supported != .baseline {
            let lifted = try Self.run("siglip-train", ["--resume", "--instruction-set", InstructionSet.supported.name, "--output", output.path])
            #expect(lifted.status == 0 && lifted.stderr.contains("instruction set \(InstructionSet.baseline.description) → \(InstructionSet.supported.description)"),
                    "a resume at another level says so: \(lifted.stderr)")
        }
        let again = try Self.run("siglip-train", ["--config", config.path, "--output", output.path])
        #expect(again.status != 0 && again.stderr.contains("already holds a run"), "\(again.stderr)")
        let otherModel = try Self.run("siglip-train", ["--config", config.path, "--depth", "2", "--resume", "--output", output.path])
        #expect(otherModel.status != 0 && otherModel.stderr.contains("another model configuration"), "\(otherModel.stderr)")
        #expect(try Data(contentsOf: checkpoint.appendingPathComponent("model.safetensors")) == before)

        let eval = try Self.run("siglip-eval", ["zero-shot", "--checkpoint", checkpoint.path, "--data", "datasets/default/zeroshot",
                                                "--rounds", "1,2", "--instruction-set", "avx2", "--threads", "1"])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("top-1") && eval.stdout.contains("GFLOPs"), "\(eval.stdout)")
    }

    /// The acceptance test of resume: a run killed with SIGKILL half-way and resumed writes the
    /// same metrics, bit for bit (all but the measured speed), as an uninterrupted run.
    @Test func killedRunResumesExactly() throws {
        let whole = Self.temporary(), killed = Self.temporary()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: killed) }
        let options = ["--depth", "1", "--batch-size", "8", "--steps", "24", "--no-eval", "--checkpoint-every", "6",
                       "--workers", "2", "--skip-probability", "0.5"]
        #expect(try Self.run("siglip-train", options + ["--output", whole.path]).status == 0)

        let process = Process()
        process.executableURL = Self.products.appendingPathComponent("siglip-train")
        process.arguments = options + ["--output", killed.path]
        process.currentDirectoryURL = Self.repository
        process.standardOutput = FileHandle.nullDevice
        process.environment = Commands.environment
        process.standardError = FileHandle.nullDevice
        try process.run()
        let metrics = RunDirectory(killed).metricsFile
        var lines = 0
        while process.isRunning, lines < 10 {
            usleep(2_000)
            lines = ((try? String(contentsOf: metrics, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        #expect(process.isRunning, "the run ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(RunDirectory(killed).latestCheckpoint != nil)

        let resumed = try Self.run("siglip-train", ["--resume", "--output", killed.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        func steps(_ run: URL) throws -> [String] {
            try String(contentsOf: RunDirectory(run).metricsFile, encoding: .utf8).split(separator: "\n").map {
                $0.replacingOccurrences(of: #""images_per_s":[0-9.e+-]+,"#, with: "", options: .regularExpression)
            }
        }
        let a = try steps(whole), b = try steps(killed)
        #expect(a.count == 24)
        #expect(a == b)
    }

    @Test func evaluatorRefusesACheckpointWithoutTokenizer() throws {
        let result = try Self.run("siglip-eval", ["zero-shot", "--checkpoint", "Tests/SigLIPModelsTests/Resources/reference",
                                                  "--data", "datasets/default/zeroshot"])
        #expect(result.status != 0 && result.stderr.contains("spiece.model"), "\(result.stderr)")
    }

    /// `siglip-eval convert` rewrites the reference (transformers) checkpoint through our writer
    /// with the same weights; a missing checkpoint is a one-line error naming it.
    @Test func convertRewritesACheckpoint() throws {
        let output = Self.temporary()
        defer { try? FileManager.default.removeItem(at: output) }
        let reference = "Tests/SigLIPModelsTests/Resources/reference"
        let result = try Self.run("siglip-eval", ["convert", "--checkpoint", reference, "--output", output.path])
        #expect(result.status == 0, "\(result.stderr)")
        let original = try Checkpoint.load(from: Self.repository.appendingPathComponent(reference))
        let written = try Checkpoint.load(from: output)
        #expect(written.config == original.config)
        #expect(Array(written.parameters.values.buffer) == Array(original.parameters.values.buffer))
        let missing = try Self.run("siglip-eval", ["convert", "--checkpoint", "/nonexistent/ckpt", "--output", output.path])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/ckpt"), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count <= 3, "\(missing.stderr)")
    }

    /// `--image-size` resamples the position embedding as the library does (a 32-px checkpoint
    /// converted at 48 px equals `Checkpoint.load(from:imageSize: 48)`); a size that is not a
    /// multiple of the patch is a one-line error.
    @Test func imageSizeResamplesThePositionEmbedding() throws {
        let output = Self.temporary()
        defer { try? FileManager.default.removeItem(at: output) }
        let source = "Tests/Fixtures/hf-zeroshot/float32"
        let result = try Self.run("siglip-eval", ["convert", "--checkpoint", source, "--image-size", "48", "--output", output.path])
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try Checkpoint.load(from: Self.repository.appendingPathComponent(source), imageSize: 48)
        let written = try Checkpoint.load(from: output)
        #expect(written.config.imageTower.imageSize == 48 && written.config == expected.config)
        #expect(Array(written.parameters.values.buffer) == Array(expected.parameters.values.buffer))
        let bad = try Self.run("siglip-eval", ["convert", "--checkpoint", source, "--image-size", "50", "--output", output.path])
        #expect(bad.status == 1 && bad.stderr.contains("50") && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
    }

    /// `--init-from` a pretrained model: the architecture flags not given are the checkpoint's
    /// (preset, depth, image size, text length, padding mask, its tokenizer), the recursion is
    /// the run's (RINS-ified with a zero adapter), a tower can be locked; a flag that
    /// contradicts the checkpoint is a one-line error naming the difference.
    @Test func initFromTakesThePretrainedArchitecture() throws {
        let pretrained = Self.temporary(), run = Self.temporary()
        defer { try? FileManager.default.removeItem(at: pretrained); try? FileManager.default.removeItem(at: run) }
        let first = try Self.run("siglip-train", ["--model", "Ti/16", "--depth", "2", "--image-size", "32", "--text-length", "12",
                                                  "--mask-padding", "false", "--batch-size", "8", "--steps", "1", "--no-eval",
                                                  "--workers", "1", "--output", pretrained.path])
        #expect(first.status == 0, "\(first.stderr)")
        let checkpoint = try #require(RunDirectory(pretrained).latestCheckpoint)
        let recursive = ["--init-from", checkpoint.path, "--signature", "A^r B", "--rounds", "2", "--adapter", "linear",
                         "--lock", "text", "--batch-size", "8", "--steps", "1", "--no-eval", "--workers", "1"]
        let second = try Self.run("siglip-train", recursive + ["--output", run.path])
        #expect(second.status == 0, "\(second.stderr)")
        let options = try TrainingOptions.read(from: RunDirectory(run).optionsFile)
        #expect(options.model == "Ti/16" && options.depth == 2 && options.imageSize == 32 && options.textLength == 12
                && !options.maskPadding && options.tokenizer == checkpoint.appendingPathComponent("spiece.model").path, "\(options)")
        #expect(second.stdout.contains("added 1 zero-initialised adapter tensor"), "\(second.stdout)")
        #expect(second.stdout.contains("trainable"), "the locked text tower is reported: \(second.stdout)")
        let contradicting = try Self.run("siglip-train", recursive + ["--depth", "3", "--output", Self.temporary().path])
        #expect(contradicting.status == 1 && contradicting.stderr.contains("image depth 2 vs 3"), "\(contradicting.stderr)")
    }

    /// `siglip-eval curves` draws a metrics.jsonl (the same drawing a run writes as curves.png).
    @Test func curvesDrawAMetricsFile() throws {
        let folder = try TemporaryFolder(prefix: "curves")
        defer { folder.remove() }
        var lines = (1...20).map { i in
            #"{"step":\#(i),"loss":\#(7.0 - Double(i) * 0.2),"lr":0.001,"t":2.3,"b":-5,"grad_norm":1,"images_per_s":100,"examples":\#(i * 64),"flops":\#(Double(i) * 1e12),"skipped_files":0,"image_cosine":0.3,"text_cosine":0.3,"image_rounds":1}"#
        }
        lines.append(#"{"eval":{"step":20,"examples":1280,"flops":2e13,"rounds":1,"top1":0.05,"top5":0.2,"images":250,"classes":250}}"#)
        try folder.write("metrics.jsonl", lines.joined(separator: "\n") + "\n")
        let png = folder.file("curves.png")
        let result = try Self.run("siglip-eval", ["curves", "--metrics", folder.file("metrics.jsonl").path, "--output", png.path])
        #expect(result.status == 0, "\(result.stderr)")
        let image = try ImageDecoder.decode(contentsOf: png)
        #expect(image.width == 1600 && image.height == 1100)
    }
}
