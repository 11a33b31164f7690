import Foundation
import SigLIPBase
import SigLIPData
import SigLIPEval
import SigLIPModels
import SigLIPTestSupport
import Testing

/// A tiny model whose text vocabulary fits the bundled 3,200-piece tokenizer.
func tinyModel(seed: UInt64 = 7, rounds: Int = 1) throws -> SigLIPModel {
    var vision = ImageTowerConfig()
    (vision.width, vision.mlpWidth, vision.depth, vision.heads) = (16, 24, 2, 2)
    (vision.imageSize, vision.patchSize) = (32, 8)
    if rounds > 1 { vision.recursion = .rins(rounds: rounds) }
    var text = TextTowerConfig()
    (text.width, text.mlpWidth, text.depth, text.heads) = (12, 20, 2, 2)
    (text.vocabularySize, text.length, text.projectionWidth) = (3200, 16, 16)
    let model = try SigLIPModel(config: SigLIPConfig(vision: vision, text: text))
    model.initialize(seed: seed)
    return model
}

@Suite("Bad input") struct InputErrorTests {
    @Test func emptyClassFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("cat/0.png", try Data(contentsOf: try Repo.emojiImages(1)[0]))
        try FileManager.default.createDirectory(at: folder.url.appendingPathComponent("dog"), withIntermediateDirectories: true)
        #expect { try ZeroShotBenchmark(root: folder.url) } throws: { error in
            String(describing: error).contains("dog") && String(describing: error).contains("no .jpg")
        }
    }

    @Test func classNamesLengthMismatch() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let png = try Data(contentsOf: try Repo.emojiImages(1)[0])
        try folder.write("cat/0.png", png)
        try folder.write("dog/0.png", png)
        let names = try folder.write("names.txt", Data("cat\ndog\nfox\n".utf8))
        #expect(throws: SigLIPError.self) { try ZeroShotBenchmark(root: folder.url, classNamesFile: names) }
        // ROOT/classnames.txt is picked up without --classnames, and checked the same way.
        try folder.write("classnames.txt", Data("just one\n".utf8))
        #expect(throws: SigLIPError.self) { try ZeroShotBenchmark(root: folder.url) }
        try folder.write("classnames.txt", Data("Cat\nDog\n".utf8))
        let benchmark = try ZeroShotBenchmark(root: folder.url)
        #expect(benchmark.dataset.classNames == ["Cat", "Dog"])
        #expect(benchmark.templates == ImageNetPrompts.templates)
        #expect(benchmark.templatesSource == ZeroShotBenchmark.builtInTemplatesSource)
    }

    @Test func checkpointWithoutTokenizer() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Checkpoint.save(try tinyModel(), to: folder.url)
        #expect { try EvalCheckpoint.load(from: folder.url) } throws: { error in
            let e = error as? SigLIPError
            return e?.path == folder.url.path && e?.problem.contains("spiece.model") == true
        }
        try FileManager.default.copyItem(at: Repo.tokenizer, to: folder.url.appendingPathComponent("spiece.model"))
        let checkpoint = try EvalCheckpoint.load(from: folder.url)
        #expect(checkpoint.tokenizer.length == 16)
        #expect(checkpoint.tokenizer.padID == 1 && checkpoint.tokenizer.eosID == 1)
        #expect(checkpoint.tokenizer.encode("a cat").last == 1)
    }

    @Test func tokenizerLargerThanVocabulary() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let model = try tinyModel()
        var config = model.config
        config.textTower.vocabularySize = 100
        let small = try SigLIPModel(config: config)
        try Checkpoint.save(small, to: folder.url)
        try FileManager.default.copyItem(at: Repo.tokenizer, to: folder.url.appendingPathComponent("spiece.model"))
        #expect(throws: SigLIPError.self) { try EvalCheckpoint.load(from: folder.url) }
    }

    /// The whole path on a real (tiny, random) checkpoint: accuracy at chance, but every image
    /// counted, FLOPs growing with the rounds, and the same answer for the same input.
    @Test func tinyCheckpointEndToEnd() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let checkpointDir = folder.url.appendingPathComponent("ckpt")
        try Checkpoint.save(try tinyModel(rounds: 2), to: checkpointDir)
        try FileManager.default.copyItem(at: Repo.tokenizer, to: checkpointDir.appendingPathComponent("spiece.model"))
        let emoji = try Repo.emojiImages(3)
        for (i, name) in ["cat", "dog", "fox"].enumerated() { try folder.write("data/\(name)/0.png", try Data(contentsOf: emoji[i])) }
        let benchmark = try ZeroShotBenchmark(root: folder.url.appendingPathComponent("data"), templatesFile: nil)
        let encoder = try EvalCheckpoint.load(from: checkpointDir).encoder()
        #expect(encoder.imageTowerRecurses && encoder.defaultRounds == 2 && !encoder.textDependsOnRounds)
        var progress: [EvalProgress] = []
        let outcome = try ZeroShotEvaluator.evaluate(encoder: encoder, task: benchmark.task, rounds: [1, 2], batchSize: 2,
                                                     progress: { progress.append($0) })
        #expect(outcome.results.map(\.images) == [3, 3])
        #expect(outcome.results[1].flopsPerImage > outcome.results[0].flopsPerImage)
        #expect(progress.last == EvalProgress(phase: .images, done: 3, total: 3))
        #expect(progress.contains(EvalProgress(phase: .classTexts, done: 3 * 81, total: 3 * 81)))
        let again = try ZeroShotEvaluator.evaluate(encoder: encoder, task: benchmark.task, rounds: [1, 2], batchSize: 3)
        #expect(again.results == outcome.results)
    }
}
