import Foundation
import SigLIP
import SigLIPEval
import SigLIPTestSupport
import Testing

/// `siglip-eval fewshot` as a user runs it: a tiny RINS checkpoint probed on a tiny benchmark
/// at two rounds, and its one-line errors.
@Suite("FewShot command", .serialized) struct FewShotCommandTests {
    /// A tiny RINS checkpoint (2 rounds) with the bundled tokenizer, and 3 classes × 3 emoji.
    static func fixture(in folder: TemporaryFolder) throws -> (checkpoint: URL, data: URL) {
        var vision = ImageTowerConfig()
        (vision.width, vision.mlpWidth, vision.depth, vision.heads) = (16, 24, 2, 2)
        (vision.imageSize, vision.patchSize) = (32, 8)
        vision.recursion = .rins(rounds: 2)
        var text = TextTowerConfig()
        (text.width, text.mlpWidth, text.depth, text.heads) = (12, 20, 2, 2)
        (text.vocabularySize, text.length, text.projectionWidth) = (3200, 16, 16)
        let model = try SigLIPModel(config: SigLIPConfig(vision: vision, text: text))
        model.initialize(seed: 3)
        let checkpoint = folder.file("checkpoint")
        try Checkpoint.save(model, to: checkpoint)
        try FileManager.default.copyItem(at: Commands.repository.appendingPathComponent("datasets/tokenizer/siglip-emoji-4k.model"),
                                         to: checkpoint.appendingPathComponent("spiece.model"))
        let zeroshot = Commands.repository.appendingPathComponent("datasets/default/zeroshot")
        let emoji = try FileManager.default.contentsOfDirectory(atPath: zeroshot.path).filter { !$0.contains(".") }.sorted().prefix(9)
        for (i, name) in emoji.enumerated() {
            let dir = zeroshot.appendingPathComponent(name)
            let file = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".png") })
            try folder.write("data/class\(i % 3)/\(i).png", try Data(contentsOf: dir.appendingPathComponent(file)))
        }
        return (checkpoint, folder.file("data"))
    }

    @Test func probesEveryRoundsValueAndWritesEveryFigure() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (checkpoint, data) = try Self.fixture(in: folder)
        let json = folder.file("fewshot.json")
        let result = try Commands.run("siglip-eval", ["fewshot", "--checkpoint", checkpoint.path, "--data", data.path,
                                                      "--shots", "1,2", "--rounds", "1,2", "--draws", "2", "--json", json.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.contains("3 classes, 3 test images per draw") == true, "\(result.stdout)")
        #expect(lines.count == 4 && lines[1].contains("1-shot") && lines[1].contains("2-shot"), "\(result.stdout)")
        #expect(lines.dropFirst(2).allSatisfy { $0.hasPrefix("checkpoint") && $0.contains("1024") && $0.contains("±") }, "\(result.stdout)")

        let report = try JSONDecoder().decode(FewShotReport.self, from: Data(contentsOf: json))
        #expect(report.layout == FewShotBenchmark.Layout.classFolders.rawValue)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let compute = try #require(object["compute"] as? [String: Any], "a report names the setup that computed it")
        #expect(compute["cpu"] as? String == CPUModel.name && compute["threads"] as? Int == ComputeThreads.current)
        #expect(report.classes == 3 && report.poolImages == 9 && report.testImages == 3 && report.draws == 2)
        #expect(report.shots == [1, 2] && report.l2 == [LinearProbe.standardL2])
        let results = try #require(report.checkpoints.first?.results)
        #expect(results.map(\.rounds) == [1, 2])
        #expect(results[1].flopsPerImage > results[0].flopsPerImage)
        for r in results {
            #expect(r.cells.map(\.shots) == [1, 2])
            for cell in r.cells {
                #expect(cell.accuracies.count == 2 && cell.accuracies.allSatisfy { (0...1).contains($0) })
                #expect(cell.trainImages == cell.shots * 3 && cell.testImages == 3)
            }
        }
    }

    /// A checkpoint against itself as the baseline: at its configured 2 rounds the paired gain is
    /// exactly 0 in every draw; the table of gains has one row per candidate rounds value.
    @Test func baselineGainsArePairedByDraw() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (checkpoint, data) = try Self.fixture(in: folder)
        let json = folder.file("fewshot.json")
        let result = try Commands.run("siglip-eval", ["fewshot", "--checkpoint", checkpoint.path, "--baseline", checkpoint.path,
                                                      "--data", data.path, "--shots", "1", "--rounds", "1,2", "--json", json.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("vs baseline") && result.stdout.contains("+0.00 ± 0.00"), "\(result.stdout)")
        let report = try JSONDecoder().decode(FewShotReport.self, from: Data(contentsOf: json))
        #expect(report.checkpoints.map(\.role) == ["candidate", "baseline"])
        #expect(report.checkpoints[1].results.map(\.rounds) == [2])
        let two = try #require(report.checkpoints[0].results.last?.cells.first)
        #expect(two.gainOverBaseline == 0 && two.gainOverBaselineSD == 0)
        #expect(report.checkpoints[0].results[0].cells[0].gainOverBaseline != nil)
    }

    /// Each refusal is one line, "siglip-eval: error: <path or --flag>: <problem>", and status 1.
    @Test func badInputEndsInOneLine() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (checkpoint, data) = try Self.fixture(in: folder)
        let cases: [([String], String)] = [
            (["--shots", "3"], "siglip-eval: error: \(data.path)/class0: has 3 usable images, but --shots 3 needs 4 per class"),
            (["--shots", "1,x"], "siglip-eval: error: --shots: '1,x' is not a comma-separated list"),
            (["--l2", "0"], "siglip-eval: error: --l2: 0.0 is outside (0, 1e12]"),
            (["--draws", "0"], "siglip-eval: error: --draws: 0 is outside"),
            (["--rounds", "1,0"], "siglip-eval: error: --rounds: '1,0' is not a comma-separated list of rounds"),
        ]
        for (arguments, expected) in cases {
            let result = try Commands.run("siglip-eval", ["fewshot", "--checkpoint", checkpoint.path, "--data", data.path] + arguments)
            #expect(result.status == 1)
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.hasPrefix(expected), "\(arguments): \(result.stderr)")
        }
        let missing = try Commands.run("siglip-eval", ["fewshot", "--checkpoint", checkpoint.path, "--data", "/nonexistent/fewshot"])
        #expect(missing.status == 1 && missing.stderr == "siglip-eval: error: /nonexistent/fewshot: no such folder\n", "\(missing.stderr)")
    }
}
