import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPEval
import Testing

/// The paired statistics of study comparisons against hand-worked and known answers.
@Suite("Paired comparison") struct PairedComparisonTests {
    /// A run whose `heldout/test/top1` outcomes at each rounds value are `hits`.
    static func run(_ arm: String, seed: Int, _ hits: [Int: [Bool]], digest: String = "items") -> StudyRun {
        StudyRun(name: "\(arm)-s\(seed)", arm: arm, seed: seed, trainingFLOPs: 1e12, outcomes: hits.keys.sorted().map { r in
            ItemOutcomes(benchmark: "heldout", split: "test", rounds: r, metric: "top1", itemsDigest: digest, hits: hits[r]!, chance: 0.01)
        })
    }

    /// `count` outcomes with `hits` of them true, spread by a seeded shuffle.
    static func outcomes(_ count: Int, hits: Int, seed: UInt64) -> [Bool] {
        var g = SeededGenerator(seed: seed)
        var list = (0..<count).map { $0 < hits }
        list.shuffle(using: &g)
        return list
    }

    // MARK: Hand-worked

    /// b = 6, c = 1 → exact: p = 2·(C(7,0) + C(7,1)) / 2⁷ = 2·8/128 = 0.125.
    @Test func mcNemarExact() {
        let a: [Bool] = [true, true, true, true, true, true, false, true, false, false]
        let b: [Bool] = [false, false, false, false, false, false, true, true, false, false]
        let test = McNemar(a, b)
        #expect(test.b == 6 && test.c == 1 && test.exact)
        #expect(abs(test.p - 0.125) < 1e-12, "\(test.p)")
        #expect(McNemar(b: 0, c: 0).p == 1 && McNemar(b: 3, c: 3).p == 1)
    }

    /// b = 30, c = 10 → x = (|30 − 10| − 1)² / 40 = 9.025, p = erfc(√4.5125) = 0.0026631.
    @Test func mcNemarChiSquare() {
        let test = McNemar(b: 30, c: 10)
        #expect(!test.exact)
        #expect(abs(test.p - 0.002663119) < 1e-8, "\(test.p)")
    }

    /// Differences 2, 4, 3 points: mean 3, sd 1, t(0.975, 2) = 4.303 → 3 ± 4.303/√3 = [0.5157, 5.4843].
    @Test func seedInterval() throws {
        let interval = try #require(PairedStatistics.seedInterval([0.02, 0.04, 0.03]))
        #expect(abs(interval.low - 0.0051566) < 1e-6 && abs(interval.high - 0.0548434) < 1e-6, "\(interval)")
        #expect(PairedStatistics.seedInterval([0.02]) == nil)
        #expect(PairedStatistics.t975(df: 1) == 12.706 && PairedStatistics.t975(df: 100) == 1.960)
    }

    // MARK: Known answers

    @Test func identicalRunsDifferByNothing() throws {
        let a = (0..<3).map { Self.run("rins", seed: $0, [1: Self.outcomes(200, hits: 80 + $0, seed: UInt64($0))]) }
        let b = (0..<3).map { Self.run("baseline", seed: $0, [1: Self.outcomes(200, hits: 80 + $0, seed: UInt64($0))]) }
        let row = try #require(try PairedComparison.compare(a, b, replicates: 500).rows.first)
        #expect(row.difference == 0 && row.bootstrap == Interval(low: 0, high: 0) && row.bootstrap.contains(0))
        #expect(row.verdict == "tie (interval contains 0)")
        #expect(row.mcnemar.allSatisfy { $0.p == 1 })
    }

    @Test func plantedDifferenceIsDetectedAndFlipsWithTheGroups() throws {
        let a = (0..<3).map { Self.run("rins", seed: $0, [1: Self.outcomes(400, hits: 360, seed: UInt64($0))]) }
        let b = (0..<3).map { Self.run("baseline", seed: $0, [1: Self.outcomes(400, hits: 240, seed: UInt64(10 + $0))]) }
        let forward = try #require(try PairedComparison.compare(a, b, replicates: 2000).rows.first)
        #expect(abs(forward.difference - 0.30) < 1e-12)
        #expect(forward.bootstrap.low > 0.2 && forward.bootstrap.high < 0.4 && forward.bootstrap.contains(0.30), "\(forward.bootstrap)")
        #expect(forward.verdict == "A better" && forward.mcnemar.allSatisfy { $0.p < 1e-6 })
        let backward = try #require(try PairedComparison.compare(b, a, replicates: 2000).rows.first)
        #expect(abs(backward.difference + 0.30) < 1e-12 && backward.verdict == "B better")
        // Reproducible for a fixed bootstrap seed.
        #expect(try PairedComparison.compare(a, b, replicates: 2000).rows.first?.bootstrap == forward.bootstrap)
    }

    @Test func identicalRoundsShareOneRowAndBaselinesHoldAcrossRounds() throws {
        let same = Self.outcomes(50, hits: 20, seed: 1), better = Self.outcomes(50, hits: 30, seed: 2)
        // A recurses: identical at rounds 1 and 2, different at 3; B has no recursion (rounds 1 only).
        let a = [Self.run("rins", seed: 0, [1: same, 2: same, 3: better])]
        let b = [Self.run("baseline", seed: 0, [1: same])]
        let rows = try PairedComparison.compare(a, b, replicates: 200).rows
        #expect(rows.map(\.rounds) == ["1–2 (identical)", "3"])
        #expect(rows[0].difference == 0 && abs(rows[1].difference - 0.2) < 1e-12)
        #expect(rows[0].seedInterval == nil, "one seed: no seed-level interval")
    }

    @Test func mismatchedItemsAndUnpairedSeedsAreReported() throws {
        let a = [Self.run("rins", seed: 0, [1: [true, false]], digest: "x"), Self.run("rins", seed: 5, [1: [true, true]])]
        let b = [Self.run("baseline", seed: 0, [1: [true, false]], digest: "y")]
        let error = #expect(throws: SigLIPError.self) { try PairedComparison.compare(a, b, namesA: ["a0.json", "a5.json"], namesB: ["b0.json"]) }
        #expect(error?.path.contains("a0.json") == true && error?.path.contains("b0.json") == true)
        let fine = [Self.run("baseline", seed: 0, [1: [false, false]], digest: "x")]
        let result = try PairedComparison.compare(a, fine, replicates: 200)
        #expect(result.unpairedSeeds == [5] && result.rows.first?.seeds == [0])
    }
}
