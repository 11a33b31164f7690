import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPEval
import SigLIPTestSupport
import Testing

@Suite("Few-shot ridge regression") struct FewShotRidgeTests {
    /// Worked by hand. One feature: W = Σxy / (Σx² + λ) = (1 + 4 + 6) / (14 + 1) = 11/15.
    /// Two features, X = [[1, 0], [0, 2], [1, 1]], y = [1, 0, 1], λ = 1: XᵀX + I = [[3, 1], [1, 6]],
    /// Xᵀy = [2, 1], W = [[6, −1], [−1, 3]] [2, 1] / 17 = [11, 1] / 17.
    /// One sample, two features (the dual form), x = [1, 2], y = [3, −1], λ = 1:
    /// W = xᵀ (xxᵀ + 1)⁻¹ y = [1, 2]ᵀ [3, −1] / 6.
    @Test func handWorkedCases() throws {
        let one = try RidgeRegression(x: [1, 2, 3], y: [1, 2, 2], samples: 3, features: 1, targets: 1)
        #expect(!one.usesDualForm)
        #expect(abs(try one.weights(l2: 1)[0] - 11.0 / 15) < 1e-14)

        let two = try RidgeRegression(x: [1, 0, 0, 2, 1, 1], y: [1, 0, 1], samples: 3, features: 2, targets: 1)
        let w = try two.weights(l2: 1)
        #expect(abs(w[0] - 11.0 / 17) < 1e-14 && abs(w[1] - 1.0 / 17) < 1e-14, "\(w)")

        let dual = try RidgeRegression(x: [1, 2], y: [3, -1], samples: 1, features: 2, targets: 2)
        #expect(dual.usesDualForm)
        let expected = [3.0 / 6, -1.0 / 6, 6.0 / 6, -2.0 / 6]
        #expect(zip(try dual.weights(l2: 1), expected).allSatisfy { abs($0 - $1) < 1e-14 })
    }

    /// Against a plain solve of the primal normal equations (Gaussian elimination with partial
    /// pivoting on XᵀX + λI, even when N < D), in both forms and at three strengths.
    @Test(arguments: [(7, 4, 3), (3, 6, 2), (12, 12, 5)])
    func matchesNaiveNormalEquations(_ shape: (Int, Int, Int)) throws {
        let (n, d, k) = shape
        var generator = SeededGenerator(seed: UInt64(n * 100 + d))
        let x = (0..<(n * d)).map { _ in Double(generator.nextNormal()) }
        let y = (0..<(n * k)).map { _ in Double(generator.nextNormal()) }
        let ridge = try RidgeRegression(x: x, y: y, samples: n, features: d, targets: k)
        #expect(ridge.usesDualForm == (n < d))
        for lambda in [0.01, 1, 1000] {
            let ours = try ridge.weights(l2: lambda)
            let reference = Self.naive(x: x, y: y, n: n, d: d, k: k, lambda: lambda)
            let scale = reference.map(abs).max()!
            let error = zip(ours, reference).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-10 * scale, "λ \(lambda): max error \(error) of \(scale)")
        }
    }

    @Test func refusesAStrengthThatIsNotPositive() throws {
        let ridge = try RidgeRegression(x: [1, 2], y: [1, 0], samples: 2, features: 1, targets: 1)
        for lambda in [0, -1, Double.nan, .infinity] {
            #expect { try ridge.weights(l2: lambda) } throws: { ($0 as? SigLIPError)?.path == "--l2" }
        }
        #expect(throws: SigLIPError.self) { try RidgeRegression(x: [1, .nan], y: [1, 0], samples: 2, features: 1, targets: 1) }
        #expect(throws: SigLIPError.self) { try RidgeRegression(x: [1, 2, 3], y: [1, 0], samples: 2, features: 1, targets: 1) }
    }

    /// W = (XᵀX + λI)⁻¹ XᵀY by elimination, written independently of the solver under test.
    static func naive(x: [Double], y: [Double], n: Int, d: Int, k: Int, lambda: Double) -> [Double] {
        var a = [[Double]](repeating: [Double](repeating: 0, count: d + k), count: d)
        for i in 0..<d {
            for j in 0..<d { a[i][j] = (0..<n).reduce(0) { $0 + x[$1 * d + i] * x[$1 * d + j] } + (i == j ? lambda : 0) }
            for c in 0..<k { a[i][d + c] = (0..<n).reduce(0) { $0 + x[$1 * d + i] * y[$1 * k + c] } }
        }
        for col in 0..<d {
            let pivot = (col..<d).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot)
            for row in 0..<d where row != col {
                let f = a[row][col] / a[col][col]
                for j in col..<(d + k) { a[row][j] -= f * a[col][j] }
            }
        }
        return (0..<d).flatMap { i in (0..<k).map { c in a[i][d + c] / a[i][i] } }
    }
}

/// Seeded clusters: `perClass` L2-normalised points around each of `classes` random centres.
func clusters(classes: Int, perClass: Int, width: Int, spread: Float, seed: UInt64) -> LabelledFeatures {
    var generator = SeededGenerator(seed: seed)
    let centres = (0..<classes).map { _ in (0..<width).map { _ in generator.nextNormal() } }
    var values: [Float] = [], labels: [Int] = []
    for i in 0..<(classes * perClass) {
        let c = i % classes
        let v = centres[c].map { $0 + spread * generator.nextNormal() }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        values += v.map { $0 / norm }
        labels.append(c)
    }
    return LabelledFeatures(width: width, values: values, labels: labels)
}

@Suite("Few-shot probe") struct FewShotProbeTests {
    /// Well-separated clusters: every shots value and λ classifies every test image; the same
    /// features with shuffled labels stay near chance, so the probe is not right by construction.
    @Test func separableClassesReachFullAccuracy() throws {
        let features = clusters(classes: 5, perClass: 30, width: 16, spread: 0.1, seed: 3)
        let isTest = (0..<features.count).map { $0 >= 5 * 10 }   // 10 per class to draw from, 20 per class tested
        let settings = FewShotSettings(shots: [1, 5, 10], draws: 3, seed: 0, l2: [1, LinearProbe.standardL2])
        let scored = try FewShotEvaluator.score(features, isTest: isTest, classes: 5, settings: settings)
        #expect(scored.testImages == 100)
        #expect(scored.cells.count == 6)
        for cell in scored.cells {
            #expect(cell.accuracies == [1, 1, 1], "\(cell.shots) shots, λ \(cell.l2)")
            #expect(cell.trainImages == cell.shots * 5 && cell.sd == 0)
        }

        var generator = SeededGenerator(seed: 9)
        var shuffled = features
        shuffled.labels.shuffle(using: &generator)
        let noise = try FewShotEvaluator.score(shuffled, isTest: isTest, classes: 5, settings: settings)
        #expect(noise.cells.allSatisfy { $0.mean < 0.5 }, "\(noise.cells.map(\.mean))")
    }

    /// Mean ± sd over draws, and the gain over a baseline taken draw by draw: differences of
    /// 0.1 and 0.2 give +0.15 ± √0.005 (0.071), though the candidate alone spreads √0.02 (0.141).
    @Test func spreadAndPairedGain() {
        var cell = FewShotCell(shots: 1, l2: 1024, trainImages: 3, testImages: 10, accuracies: [0.5, 0.7])
        #expect(abs(cell.mean - 0.6) < 1e-15 && abs(cell.sd! - 0.02.squareRoot()) < 1e-12)
        #expect(cell.min == 0.5 && cell.max == 0.7 && cell.gainOverBaseline == nil)
        cell.compare(with: FewShotCell(shots: 1, l2: 1024, trainImages: 3, testImages: 10, accuracies: [0.4, 0.5]))
        #expect(abs(cell.gainOverBaseline! - 0.15) < 1e-15)
        #expect(abs(cell.gainOverBaselineSD! - 0.005.squareRoot()) < 1e-12)
        #expect(FewShotCell(shots: 1, l2: 1, trainImages: 3, testImages: 10, accuracies: [0.3]).sd == nil)
    }

    /// The standardisation makes the probe blind to a feature's offset and scale (big_vision
    /// whitens each feature on the shots): the same predictions after x_j ↦ 1000·x_j + 5.
    @Test func predictionsIgnoreFeatureShiftAndScale() throws {
        let features = clusters(classes: 4, perClass: 12, width: 6, spread: 0.6, seed: 5)
        let train = features.rows(Array(0..<24)), test = features.rows(Array(24..<48))
        func stretched(_ f: LabelledFeatures) -> LabelledFeatures {
            var g = f
            for r in 0..<g.count { g.values[r * g.width + 2] = 1000 * g.values[r * g.width + 2] + 5 }
            return g
        }
        let plain = try LinearProbe.fit(train, classes: 4, l2: [LinearProbe.standardL2])[0]
        let scaled = try LinearProbe.fit(stretched(train), classes: 4, l2: [LinearProbe.standardL2])[0]
        #expect(plain.predict(test) == scaled.predict(stretched(test)))
        #expect(plain.weights.count == (6 + 1) * 4)
        let accuracy = plain.accuracy(on: test)
        #expect(accuracy > 0.25 && accuracy < 1, "overlapping clusters: above chance, not perfect (\(accuracy))")
    }
}

@Suite("Few-shot draws") struct FewShotDrawTests {
    static let labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 2, 2]   // classes of 5, 4 and 6 images

    /// A seed and draw index fix the draw; another index or seed changes it; every class's order
    /// is a permutation of its own images, and a class's draw does not depend on the others'.
    @Test func drawsAreDeterministicPerSeed() {
        let draw = FewShotDraw(labels: Self.labels, classes: 3, seed: 7, index: 0)
        #expect(draw == FewShotDraw(labels: Self.labels, classes: 3, seed: 7, index: 0))
        #expect(draw != FewShotDraw(labels: Self.labels, classes: 3, seed: 7, index: 1))
        #expect(draw != FewShotDraw(labels: Self.labels, classes: 3, seed: 8, index: 0))
        for c in 0..<3 { #expect(draw.order[c].sorted() == Self.labels.indices.filter { Self.labels[$0] == c }) }
        let more = FewShotDraw(labels: Self.labels + [2], classes: 3, seed: 7, index: 0)
        #expect(more.order[0] == draw.order[0] && more.order[1] == draw.order[1])
        // Shots are nested; the rest are disjoint from the shots.
        #expect(Set(draw.shots(1)).isSubset(of: Set(draw.shots(3))))
        #expect(draw.shots(3).count == 9 && Set(draw.shots(3)).isDisjoint(with: draw.remainder(after: 3)))
        #expect(draw.remainder(after: 3).count == (5 - 3) + (4 - 3) + (6 - 3))
    }

    /// The whole scoring is a function of the seed: the same figures twice, and each draw's as
    /// computed alone;
    /// the class-folders split tests Σ (images − max shots) per draw.
    @Test func scoringIsDeterministic() throws {
        let features = clusters(classes: 3, perClass: 6, width: 8, spread: 0.8, seed: 11)
        let isTest = [Bool](repeating: false, count: features.count)
        let settings = FewShotSettings(shots: [1, 2], draws: 4, seed: 1)
        let a = try FewShotEvaluator.score(features, isTest: isTest, classes: 3, settings: settings)
        let b = try FewShotEvaluator.score(features, isTest: isTest, classes: 3, settings: settings)
        #expect(a.cells == b.cells)
        #expect(a.testImages == 3 * (6 - 2))
        // Draws run in parallel: each must give what it gives computed alone on this thread. (Not
        // by setting the global thread count to 1, which would change the sums of other suites
        // running at the same time.)
        let labels = features.labels
        for d in 0..<settings.draws {
            let draw = FewShotDraw(labels: labels, classes: 3, seed: settings.seed, index: d)
            let test = features.rows(draw.remainder(after: 2))
            for (s, shots) in settings.shots.enumerated() {
                let probes = try LinearProbe.fit(features.rows(draw.shots(shots)), classes: 3, l2: settings.l2)
                for (l, probe) in probes.enumerated() {
                    #expect(a.cells[s * settings.l2.count + l].accuracies[d] == probe.accuracy(on: test), "draw \(d), \(shots) shots")
                }
            }
        }
        var other = settings
        other.seed = 2
        let c = try FewShotEvaluator.score(features, isTest: isTest, classes: 3, settings: other)
        #expect(c.cells.map(\.accuracies) != a.cells.map(\.accuracies), "another seed draws other shots")
    }
}

/// An encoder whose embedding of an image is its mean colour (+2 per channel, normalised).
final class MeanColourEncoder: ZeroShotEncoder {
    let imageSize = 32, embeddingWidth = 3, defaultRounds = 1
    let imageTowerRecurses = false, textDependsOnRounds = false

    func encodeImages(_ pixels: UnsafeBufferPointer<Float>, count: Int, rounds: Int) throws -> [Float] {
        let stride = imageSize * imageSize * 3
        return (0..<count).flatMap { b -> [Float] in
            var sum: [Float] = [0, 0, 0]
            for i in 0..<(imageSize * imageSize) { for ch in 0..<3 { sum[ch] += pixels[b * stride + i * 3 + ch] } }
            let v = sum.map { $0 / Float(imageSize * imageSize) + 2 }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    func encodeTexts(_ texts: [String], rounds: Int) throws -> [Float] { [] }
    func flopsPerImage(rounds: Int) -> Double { 1 }
}

@Suite("Few-shot bad input") struct FewShotInputTests {
    /// Writes `counts[c]` distinct bundled emoji into `prefix` + "class\(c)/".
    static func classes(_ counts: [Int], in folder: TemporaryFolder, prefix: String = "") throws {
        let emoji = try Repo.emojiImages(counts.reduce(0, +))
        var next = 0
        for (c, count) in counts.enumerated() {
            for i in 0..<count {
                try folder.write("\(prefix)class\(c)/\(i).png", try Data(contentsOf: emoji[next]))
                next += 1
            }
        }
    }

    static func expectError(path: String, containing text: String, _ body: () throws -> Void) {
        #expect { try body() } throws: { error in
            guard let e = error as? SigLIPError else { return false }
            return e.path == path && e.problem.contains(text)
        }
    }

    @Test func tooFewImagesPerClassNamesTheFolderAndFlag() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.classes([3, 2], in: folder)
        let benchmark = try FewShotBenchmark(root: folder.url)
        #expect(benchmark.layout == .classFolders && benchmark.poolCounts == [3, 2])
        #expect(benchmark.largestShots(poolCounts: benchmark.poolCounts) == 1)
        try benchmark.requireImages(forShots: [1], poolCounts: benchmark.poolCounts)
        Self.expectError(path: folder.file("class1").path, containing: "--shots 1,2 needs 3 per class") {
            try benchmark.requireImages(forShots: [1, 2], poolCounts: benchmark.poolCounts)
        }

        // A file that does not decode is counted out after embedding, and said so.
        try folder.write("class1/2_broken.png", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]))
        let settings = FewShotSettings(shots: [2], draws: 1)
        Self.expectError(path: folder.file("class1").path, containing: "(1 could not be decoded)") {
            _ = try FewShotEvaluator.evaluate(encoder: MeanColourEncoder(), benchmark: try FewShotBenchmark(root: folder.url),
                                              settings: settings)
        }
        let outcome = try FewShotEvaluator.evaluate(encoder: MeanColourEncoder(), benchmark: try FewShotBenchmark(root: folder.url),
                                                    settings: FewShotSettings(shots: [1], draws: 2))
        #expect(outcome.skipped.count == 1 && outcome.poolImages == 5 && outcome.testImages == 3)
        #expect(outcome.results.count == 1 && outcome.results[0].cells[0].accuracies.count == 2)

        // In train/ and test/, a class needs only the shots in train/.
        let split = try TemporaryFolder()
        defer { split.remove() }
        try Self.classes([2, 1], in: split, prefix: "train/")
        try Self.classes([1, 1], in: split, prefix: "test/")
        let trainTest = try FewShotBenchmark(root: split.url)
        #expect(trainTest.layout == .trainTest)
        try trainTest.requireImages(forShots: [1], poolCounts: trainTest.poolCounts)
        Self.expectError(path: split.file("train/class1").path, containing: "--shots 2 needs 2 per class") {
            try trainTest.requireImages(forShots: [2], poolCounts: trainTest.poolCounts)
        }
        let fixed = try FewShotEvaluator.evaluate(encoder: MeanColourEncoder(), benchmark: trainTest,
                                                  settings: FewShotSettings(shots: [1], draws: 2))
        #expect(fixed.poolImages == 3 && fixed.testImages == 2, "every draw tests all of test/")
    }

    @Test func unknownLayoutsAreRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.classes([1, 1], in: folder, prefix: "train/")
        Self.expectError(path: folder.url.path, containing: "no test/") { _ = try FewShotBenchmark(root: folder.url) }

        try Self.classes([1], in: folder, prefix: "test/")
        Self.expectError(path: folder.file("test").path, containing: "no class1") { _ = try FewShotBenchmark(root: folder.url) }

        try Self.classes([1, 1], in: folder, prefix: "test/")
        try Self.classes([1], in: folder, prefix: "val/")
        Self.expectError(path: folder.url.path, containing: "also the folders val") { _ = try FewShotBenchmark(root: folder.url) }

        let flat = try TemporaryFolder()
        defer { flat.remove() }
        try flat.write("0.png", try Data(contentsOf: try Repo.emojiImages(1)[0]))
        Self.expectError(path: flat.url.path, containing: "no class folders") { _ = try FewShotBenchmark(root: flat.url) }
        try Self.classes([3], in: flat)
        Self.expectError(path: flat.url.path, containing: "at least 2 classes") { _ = try FewShotBenchmark(root: flat.url) }
        Self.expectError(path: "/nonexistent/fewshot", containing: "no such folder") {
            _ = try FewShotBenchmark(root: URL(fileURLWithPath: "/nonexistent/fewshot"))
        }

        // A class folder named "train" holding images is a class, not a split.
        let named = try TemporaryFolder()
        defer { named.remove() }
        let png = try Data(contentsOf: try Repo.emojiImages(1)[0])
        try named.write("train/0.png", png)
        try named.write("boat/0.png", png)
        #expect(try FewShotBenchmark(root: named.url).classFolders == ["boat", "train"])
    }

    @Test(arguments: [("", "is not a comma-separated list"), ("1,,5", "is not a comma-separated list"), ("a", "is not a comma"),
                      ("1.5", "is not a comma"), ("0", "0 is outside 1…"), ("-1", "-1 is outside"), ("1,2000000", "2000000 is outside"),
                      ("5,5", "5 is listed twice")])
    func badShotsListsNameTheFlag(_ text: String, _ problem: String) {
        Self.expectError(path: "--shots", containing: problem) { _ = try FewShotSettings.parseShots(text) }
    }

    @Test func goodListsAndOtherFlags() throws {
        #expect(try FewShotSettings.parseShots("1, 5,10,25") == [1, 5, 10, 25])
        #expect(try FewShotSettings.parseL2("1024") == [1024])
        #expect(try FewShotSettings.parseL2("0.5,1e3") == [0.5, 1000])
        for (bad, problem) in [("0", "outside (0, 1e12]"), ("x", "is not a comma-separated list"), ("1,1", "listed twice"),
                               ("-2", "outside"), ("inf", "outside"), ("nan", "outside")] {
            Self.expectError(path: "--l2", containing: problem) { _ = try FewShotSettings.parseL2(bad) }
        }
        Self.expectError(path: "--draws", containing: "outside") { try FewShotSettings(draws: 0).validate() }
        Self.expectError(path: "--shots", containing: "listed twice") { try FewShotSettings(shots: [2, 2]).validate() }
    }
}
