import Foundation
import SigLIPBase

/// What one finished run of a study (e.g. the RINS study) records for comparison: which arm
/// and seed it was, what it cost, and, per benchmark split, inference rounds and metric, the
/// outcome of every item (image or query) in the benchmark's fixed order, so that runs can be
/// compared pairwise item by item. Written as `<name>.json` under the study's results folder
/// (keys in snake case); other keys in the file (the run's options, the machine) are ignored here.
public struct StudyRun: Codable, Equatable, Sendable {
    /// The run's name, unique in the study, e.g. "rins-a2b-seed1".
    public var name: String
    /// The arm it belongs to, e.g. "baseline", "rins", "stochastic-rins", "repeat-all".
    public var arm: String
    public var seed: Int
    /// Training FLOPs spent (analytic count, see `FLOPs`).
    public var trainingFLOPs: Double
    public var outcomes: [ItemOutcomes]

    public init(name: String, arm: String, seed: Int, trainingFLOPs: Double, outcomes: [ItemOutcomes]) {
        (self.name, self.arm, self.seed, self.trainingFLOPs, self.outcomes) = (name, arm, seed, trainingFLOPs, outcomes)
    }

    enum CodingKeys: String, CodingKey {
        case name, arm, seed, trainingFLOPs = "training_flops", outcomes
    }
}

/// One metric of one benchmark split at one number of inference rounds, item by item.
public struct ItemOutcomes: Codable, Equatable, Sendable {
    /// The benchmark, e.g. "heldout-style", "heldout-classes", "heldout-pairs".
    public var benchmark: String
    /// "dev" or "test".
    public var split: String
    /// Recursion rounds of the image tower at inference.
    public var rounds: Int
    /// e.g. "top1", "top5" (classification), "i2t_r1", "t2i_r1", "i2t_r5", "t2i_r5" (retrieval).
    public var metric: String
    /// A digest of the items' names in order (FNV-1a 64 of the names joined by "\n", hex), so
    /// that only outcomes over the same items in the same order are paired.
    public var itemsDigest: String
    /// Item i's outcome: "1" (hit) or "0" (miss), one character per item.
    public var hits: String
    /// Chance level of the metric (e.g. 1/K for top-1 over K classes).
    public var chance: Double

    public init(benchmark: String, split: String, rounds: Int, metric: String, itemsDigest: String, hits: [Bool], chance: Double) {
        (self.benchmark, self.split, self.rounds, self.metric, self.itemsDigest, self.chance) =
            (benchmark, split, rounds, metric, itemsDigest, chance)
        self.hits = String(hits.map { $0 ? "1" : "0" })
    }

    /// The outcomes as booleans.
    public var hitList: [Bool] { hits.map { $0 == "1" } }
    /// The fraction of hits.
    public var value: Double { hits.isEmpty ? 0 : Double(hits.filter { $0 == "1" }.count) / Double(hits.count) }

    /// FNV-1a 64 of `names` joined by "\n", as 16 hex digits.
    public static func digest(_ names: [String]) -> String {
        FNV1a.hex(of: names.joined(separator: "\n").utf8)
    }

    enum CodingKeys: String, CodingKey {
        case benchmark, split, rounds, metric, itemsDigest = "items_digest", hits, chance
    }
}
