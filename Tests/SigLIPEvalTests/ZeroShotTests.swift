import Foundation
import SigLIPBase
import SigLIPEval
import SigLIPTestSupport
import Testing

@Suite("Zero-shot scoring") struct ScoreboardTests {
    /// Seven classes; the true class ranks 0, 1, 4, 5 and 6 in five images: top-1 1/5, top-5 3/5.
    @Test func topOneAndTopFiveAreExact() {
        var board = Scoreboard(classes: 7)
        #expect(board.k == 5)
        func scores(trueClass: Int, rank: Int) -> [Float] {
            // The true class gets the (rank+1)-th highest score; others descend by index.
            var order = (0..<7).filter { $0 != trueClass }
            order.insert(trueClass, at: rank)
            var s = [Float](repeating: 0, count: 7)
            for (position, c) in order.enumerated() { s[c] = Float(10 - position) }
            return s
        }
        for (label, rank) in [(0, 0), (1, 1), (2, 4), (3, 5), (6, 6)] { board.record(scores: scores(trueClass: label, rank: rank), label: label) }
        #expect(board.images == 5)
        #expect(board.top1Hits == 1 && board.topKHits == 3)
        #expect(board.top1 == 0.2 && board.topK == 0.6)
        #expect(board.perClassAccuracy[0] == 1 && board.perClassAccuracy[1] == 0 && board.perClassAccuracy[4] == nil)
    }

    /// k is min(5, K); ties go to the lower class index.
    @Test func fewClassesAndTies() {
        var board = Scoreboard(classes: 3)
        #expect(board.k == 3)
        board.record(scores: [1, 1, 0], label: 1)   // tie with class 0 → predicted 0
        board.record(scores: [1, 1, 0], label: 0)
        #expect(board.top1Hits == 1 && board.topKHits == 2)
        #expect(board.confusions[Scoreboard.Pair(truth: 1, predicted: 0)] == 1)
    }
}

@Suite("Zero-shot evaluator") struct ZeroShotEvaluatorTests {
    /// Three classes (cat, dog, red fox), two images each, hand-built embeddings: at 1 round
    /// four of six are right (one cat taken for a dog, one fox for a cat); at 2 rounds the cat is
    /// fixed. A corrupt file is skipped and counted.
    struct Setup {
        let folder: TemporaryFolder
        let encoder: TableEncoder
        let benchmark: ZeroShotBenchmark
    }

    static func setup(corrupt: Bool = true) throws -> Setup {
        let folder = try TemporaryFolder()
        let emoji = try Repo.emojiImages(6)
        var files: [URL] = []
        for (i, name) in ["cat/0.png", "cat/1.png", "dog/0.png", "dog/1.png", "red_fox/0.png", "red_fox/1.png"].enumerated() {
            files.append(try folder.write(name, try Data(contentsOf: emoji[i])))
        }
        if corrupt { try folder.write("cat/2_broken.png", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])) }
        try folder.write("templates.txt", Data("A photo of a {}.\n{}\n".utf8))
        let encoder = TableEncoder(imageSize: 32, embeddingWidth: 3)
        for (k, name) in ["cat", "dog", "red fox"].enumerated() {
            encoder.texts["a photo of a \(name)"] = unit(3, [k: 1])
            encoder.texts[name] = unit(3, [k: 1])
        }
        let targets: [[Float]] = [unit(3, [0: 1]), unit(3, [1: 1]), unit(3, [1: 1]), unit(3, [1: 1]),
                                  unit(3, [0: 0.8, 2: 0.6]), unit(3, [2: 1])]
        var any: [[Float]: [Float]] = [:], two: [[Float]: [Float]] = [:]
        for (file, target) in zip(files, targets) { any[try ImageLoading.load(file, size: 32)] = target }
        two = any
        two[try ImageLoading.load(files[1], size: 32)] = unit(3, [0: 1])
        encoder.images = [0: any, 2: two]
        return Setup(folder: folder, encoder: encoder, benchmark: try ZeroShotBenchmark(root: folder.url))
    }

    @Test func knownAccuracyAtEachRounds() throws {
        let s = try Self.setup()
        defer { s.folder.remove() }
        #expect(s.benchmark.dataset.classNames == ["cat", "dog", "red fox"])
        #expect(s.benchmark.templatesSource.hasSuffix("templates.txt"))
        let outcome = try ZeroShotEvaluator.evaluate(encoder: s.encoder, task: s.benchmark.task, rounds: [1, 2], batchSize: 4)
        #expect(outcome.skipped.count == 1)
        #expect(outcome.skipped.first?.path.hasSuffix("2_broken.png") == true)
        let (one, two) = (outcome.results[0], outcome.results[1])
        #expect(one.images == 6 && one.classes == 3 && one.topK == 3)
        #expect(one.top1 == 4.0 / 6 && one.top5 == 1)
        #expect(two.top1 == 5.0 / 6)
        #expect(one.gainOverOneRound == 0 && two.gainOverOneRound == 5.0 / 6 - 4.0 / 6)
        #expect(one.flopsPerImage == 1000 && two.flopsPerImage == 2000)
        #expect(one.perClassAccuracy == [0.5, 1, 0.5])
        #expect(one.worstClasses.map(\.name) == ["cat", "red fox", "dog"])
        #expect(one.confusions.map { "\($0.truth)>\($0.predicted)" } == ["cat>dog", "red fox>cat"])
        // Class texts were encoded once for both rounds values (6 prompts).
        #expect(s.encoder.textCalls.flatMap { $0 }.count == 6)
    }

    @Test func textsRecomputedWhenTheTextTowerRecurses() throws {
        let s = try Self.setup(corrupt: false)
        defer { s.folder.remove() }
        s.encoder.textDependsOnRounds = true
        _ = try ZeroShotEvaluator.evaluate(encoder: s.encoder, task: s.benchmark.task, rounds: [1, 2, 3])
        #expect(s.encoder.textCalls.flatMap { $0 }.count == 18)
    }

    @Test func reportJSONAndRoundsTable() throws {
        let s = try Self.setup()
        defer { s.folder.remove() }
        let task = s.benchmark.task
        var candidate = try ZeroShotEvaluator.evaluate(encoder: s.encoder, task: task, rounds: [1, 2])
        let baseline = try ZeroShotEvaluator.evaluate(encoder: s.encoder, task: task, rounds: [1])
        ZeroShotEvaluator.applyBaseline(baseline.results[0], to: &candidate.results)
        let report = ZeroShotReport(data: "bench", templatesSource: s.benchmark.templatesSource, templates: 2, classes: 3,
                                    imagesFound: 7, skipped: candidate.skipped,
                                    checkpoints: [CheckpointResult(checkpoint: "/x/rins", role: "candidate", results: candidate.results),
                                                  CheckpointResult(checkpoint: "/x/base", role: "baseline", results: baseline.results)])
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as! [String: Any]
        #expect(json["skipped_count"] as? Int == 1)
        let checkpoints = json["checkpoints"] as! [[String: Any]]
        let first = (checkpoints[0]["results"] as! [[String: Any]])[0]
        for key in ["rounds", "top1", "top5", "images", "classes", "flops_per_image", "per_class_accuracy", "worst_classes",
                    "confusions", "gain_over_one_round", "gain_over_baseline"] {
            #expect(first[key] != nil, "missing key \(key)")
        }
        #expect(try JSONDecoder().decode(ZeroShotReport.self, from: try JSONEncoder().encode(report)) == report)

        let table = ReportTable.rounds(report).split(separator: "\n").map(String.init)
        #expect(table.count == 4)
        #expect(table[0].hasPrefix("checkpoint"))
        #expect(table[1].contains("rins") && table[1].contains("66.67%") && table[1].contains("+0.00"))
        #expect(table[2].contains("83.33%") && table[2].contains("+16.67"))
        #expect(table[3].contains("base (baseline)") && table[3].hasSuffix("—"))
    }

    @Test func badInput() throws {
        let s = try Self.setup()
        defer { s.folder.remove() }
        let task = s.benchmark.task
        #expect(throws: SigLIPError.self) { try ZeroShotEvaluator.evaluate(encoder: s.encoder, task: task, rounds: []) }
        #expect(throws: SigLIPError.self) { try ZeroShotEvaluator.evaluate(encoder: s.encoder, task: task, rounds: [0]) }
        // Every image undecodable: an error, not an accuracy of 0.
        var broken = task
        broken.images = [s.folder.url.appendingPathComponent("cat/2_broken.png")]
        broken.labels = [0]
        #expect(throws: SigLIPError.self) { try ZeroShotEvaluator.evaluate(encoder: s.encoder, task: broken, rounds: [1]) }
    }
}
