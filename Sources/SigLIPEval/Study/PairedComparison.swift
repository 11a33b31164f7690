import Foundation
import SigLIPBase
import SigLIPCore

/// One row of a paired comparison of two groups of runs (A against B): a benchmark split, a
/// range of inference rounds whose outcomes are the same, a metric.
public struct ComparisonRow: Codable, Equatable, Sendable {
    public var benchmark: String
    public var split: String
    /// The rounds this row covers ("2", or "1–3" when every run's outcomes are identical there).
    public var rounds: String
    public var metric: String
    public var items: Int
    public var chance: Double
    /// The seeds paired (seed k of A with seed k of B).
    public var seeds: [Int]
    public var meanA: Double
    public var sdA: Double
    public var meanB: Double
    public var sdB: Double
    /// Mean over seeds of A − B.
    public var difference: Double
    /// 95% interval of the difference: two-level bootstrap (seeds, then items within seeds).
    public var bootstrap: Interval
    /// 95% t-interval over the per-seed differences (nil with one seed).
    public var seedInterval: Interval?
    /// McNemar's test per seed pair, in `seeds` order.
    public var mcnemar: [McNemar]
    /// "A better", "B better", or "tie (interval contains 0)", from the bootstrap interval.
    public var verdict: String
}

/// Compares two groups of `StudyRun`s paired by seed, per benchmark split, rounds and metric.
public enum PairedComparison {
    public struct Result: Codable, Sendable {
        public var rows: [ComparisonRow]
        /// Seeds found in only one group (left out).
        public var unpairedSeeds: [Int]
        public var replicates: Int
    }

    /// `names` label the runs in errors (e.g. their files), index for index with `a` and `b`;
    /// `split` keeps one split only ("dev" or "test").
    public static func compare(_ a: [StudyRun], _ b: [StudyRun], replicates: Int = 10_000, seed: UInt64 = 0,
                               split: String? = nil, namesA: [String]? = nil, namesB: [String]? = nil) throws -> Result {
        func group(_ runs: [StudyRun], _ names: [String]?) throws -> [Int: (StudyRun, String)] {
            var bySeed: [Int: (StudyRun, String)] = [:]
            for (i, run) in runs.enumerated() {
                let name = names?[i] ?? run.name
                if let other = bySeed[run.seed] {
                    throw SigLIPError(path: name, problem: "seed \(run.seed) appears twice in one group (also \(other.1))")
                }
                bySeed[run.seed] = (run, name)
            }
            return bySeed
        }
        let groupA = try group(a, namesA), groupB = try group(b, namesB)
        let seeds = Set(groupA.keys).intersection(groupB.keys).sorted()
        let unpaired = Set(groupA.keys).symmetricDifference(groupB.keys).sorted()
        guard !seeds.isEmpty else { throw SigLIPError(path: "", problem: "the two groups share no seed") }
        var generator = SeededGenerator(seed: seed)
        var rows: [ComparisonRow] = []
        // Keys present in every run of both groups, with matching items.
        struct Key: Hashable { var benchmark, split, metric: String }
        func outcomes(_ run: StudyRun) -> [Key: [Int: ItemOutcomes]] {
            var table: [Key: [Int: ItemOutcomes]] = [:]
            for o in run.outcomes { table[Key(benchmark: o.benchmark, split: o.split, metric: o.metric), default: [:]][o.rounds] = o }
            return table
        }
        let tablesA = seeds.map { outcomes(groupA[$0]!.0) }, tablesB = seeds.map { outcomes(groupB[$0]!.0) }
        let keys = Set(tablesA.flatMap(\.keys)).filter { key in
            (split == nil || key.split == split) && tablesA.allSatisfy { $0[key] != nil } && tablesB.allSatisfy { $0[key] != nil }
        }
        for key in keys.sorted(by: { ($0.benchmark, $0.split, $0.metric) < ($1.benchmark, $1.split, $1.metric) }) {
            // A run evaluated at fewer rounds (no recursion) holds its single value at every round.
            let allRounds = Set((tablesA + tablesB).flatMap { $0[key]!.keys }).sorted()
            func at(_ table: [Key: [Int: ItemOutcomes]], _ r: Int) -> ItemOutcomes {
                let byRounds = table[key]!
                return byRounds[r] ?? byRounds[byRounds.keys.filter { $0 <= r }.max() ?? byRounds.keys.min()!]!
            }
            var spans: [[Int]] = []
            for r in allRounds {
                if let last = spans.last?.last,
                   (tablesA + tablesB).allSatisfy({ at($0, last).hits == at($0, r).hits }) {
                    spans[spans.count - 1].append(r)
                } else {
                    spans.append([r])
                }
            }
            for span in spans {
                let r = span[0]
                var pairs: [(a: [Bool], b: [Bool])] = [], valuesA: [Double] = [], valuesB: [Double] = [], tests: [McNemar] = []
                for (k, s) in seeds.enumerated() {
                    let oa = at(tablesA[k], r), ob = at(tablesB[k], r)
                    guard oa.itemsDigest == ob.itemsDigest, oa.hits.count == ob.hits.count else {
                        throw SigLIPError(path: "\(groupA[s]!.1), \(groupB[s]!.1)",
                                          problem: "\(key.benchmark) \(key.split) \(key.metric): the runs were scored on different items")
                    }
                    pairs.append((oa.hitList, ob.hitList))
                    valuesA.append(oa.value)
                    valuesB.append(ob.value)
                    tests.append(McNemar(oa.hitList, ob.hitList))
                }
                let (meanA, sdA) = PairedStatistics.meanAndDeviation(valuesA)
                let (meanB, sdB) = PairedStatistics.meanAndDeviation(valuesB)
                let differences = zip(valuesA, valuesB).map { $0 - $1 }
                let interval = PairedStatistics.bootstrapInterval(pairs, replicates: replicates, generator: &generator)
                let verdict = interval.low > 0 ? "A better" : interval.high < 0 ? "B better" : "tie (interval contains 0)"
                let first = at(tablesA[0], r)
                rows.append(ComparisonRow(
                    benchmark: key.benchmark, split: key.split,
                    rounds: span.count == 1 ? String(r) : "\(r)–\(span.last!) (identical)", metric: key.metric,
                    items: first.hits.count, chance: first.chance, seeds: seeds, meanA: meanA, sdA: sdA, meanB: meanB, sdB: sdB,
                    difference: differences.reduce(0, +) / Double(differences.count), bootstrap: interval,
                    seedInterval: PairedStatistics.seedInterval(differences), mcnemar: tests, verdict: verdict))
            }
        }
        return Result(rows: rows, unpairedSeeds: unpaired, replicates: replicates)
    }

    /// A plain table of the rows, hit rates in percent and differences in points.
    public static func table(_ result: Result, labelA: String, labelB: String) -> String {
        let header = ["benchmark", "split", "rounds", "metric", "items", "chance", "seeds", labelA, labelB, "Δ (points)",
                      "95% CI bootstrap", "95% CI seeds", "McNemar p per seed", "verdict"]
        func pct(_ x: Double) -> String { String(format: "%.2f", 100 * x) }
        func points(_ i: Interval?) -> String { i.map { String(format: "[%+.2f, %+.2f]", 100 * $0.low, 100 * $0.high) } ?? "—" }
        let rows = result.rows.map { r in
            [r.benchmark, r.split, r.rounds, r.metric, String(r.items), pct(r.chance) + "%", String(r.seeds.count),
             "\(pct(r.meanA)) ± \(pct(r.sdA))", "\(pct(r.meanB)) ± \(pct(r.sdB))", String(format: "%+.2f", 100 * r.difference),
             points(r.bootstrap), points(r.seedInterval), r.mcnemar.map { String(format: "%.3g", $0.p) }.joined(separator: " "),
             r.verdict.replacingOccurrences(of: "A better", with: "\(labelA) better").replacingOccurrences(of: "B better", with: "\(labelB) better")]
        }
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max()! }
        return all.map { row in
            row.enumerated().map { c, cell in c < 4 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[c] - cell.count) + cell }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
