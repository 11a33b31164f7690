import Foundation
import SigLIPBase
import SigLIPModels
import SigLIPTraining

/// A study written down as data (e.g. `evals/rins/study.json`): the data and benchmarks, the
/// options every run shares, the arms, the seeds, a learning-rate sweep and extra budgets.
/// `StudyRunner` turns it into runs; every arm of a study trains for the FLOPs the baseline
/// spends in `baselineSteps × budget` steps.
public struct StudyPlan: Codable, Sendable {
    /// A benchmark with its dev and test splits (folders).
    public struct Benchmark: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case classification, retrieval }
        public var name: String
        public var kind: Kind
        public var dev: String
        public var test: String
        /// Classes never trained on: no class name may occur in a training caption
        /// (`CaptionLeaks`); the runner checks before it trains.
        public var heldOutClasses: Bool?

        enum CodingKeys: String, CodingKey { case name, kind, dev, test, heldOutClasses = "held_out_classes" }
    }

    /// One arm: a name and the training options that make it (on top of `base`).
    public struct Arm: Codable, Sendable {
        public var name: String
        public var options: [String: OptionValue]
        /// An arm left out of the sweep takes the learning rate chosen for this arm.
        public var learningRateFrom: String?

        enum CodingKeys: String, CodingKey { case name, options, learningRateFrom = "learning_rate_from" }
    }

    /// The learning-rate sweep: these arms at these rates with one seed, chosen on dev.
    public struct Sweep: Codable, Sendable {
        public var arms: [String]
        public var learningRates: [Float]
        public var seed: Int

        enum CodingKeys: String, CodingKey { case arms, learningRates = "learning_rates", seed }
    }

    /// Further budgets (multiples of the baseline's steps) for some arms, with one seed.
    /// `bestRecursive` in `arms` stands for the non-baseline arm with the best mean dev score.
    public struct Budgets: Codable, Sendable {
        public static let bestRecursive = "best-recursive"
        public var multipliers: [Double]
        public var arms: [String]
        public var seed: Int
    }

    public var name: String
    /// Where each finished run's JSON goes (committed), and the report, plots and README.
    public var results: String
    /// Where the run directories go (checkpoints; not committed).
    public var runs: String
    public var train: String
    public var tokenizer: String
    public var benchmarks: [Benchmark]
    /// The benchmark whose dev split is evaluated during training and decides the sweep.
    public var periodic: String
    /// Options shared by every run (keys as in train_config.json).
    public var base: [String: OptionValue]
    /// The arm that is the baseline (trained for exactly `baselineSteps × budget` steps).
    public var baseline: String
    public var baselineSteps: Int
    /// Inference rounds evaluated at the end of each run (1 only for arms without recursion).
    public var evalRounds: [Int]
    public var arms: [Arm]
    public var seeds: [Int]
    public var sweep: Sweep
    public var budgets: Budgets?

    enum CodingKeys: String, CodingKey {
        case name, results, runs, train, tokenizer, benchmarks, periodic, base, baseline
        case baselineSteps = "baseline_steps", evalRounds = "eval_rounds", arms, seeds, sweep, budgets
    }

    /// Reads and checks a plan file; every problem names the file.
    public static func read(from url: URL) throws -> StudyPlan {
        let data = try RegularFile.contents(of: url, limit: RegularFile.Limit.json)
        let plan: StudyPlan
        do { plan = try JSONDecoder().decode(StudyPlan.self, from: data) } catch {
            throw SigLIPError(path: url.path, problem: "not a study plan (\(error))")
        }
        try plan.validate(source: url.path)
        return plan
    }

    /// The recursion rounds an arm trains with (its `rounds` option; 1 when it has none).
    public func trainingRounds(of arm: String) -> Int {
        if case .integer(let r)? = arms.first(where: { $0.name == arm })?.options["rounds"] { return r }
        return 1
    }

    func validate(source: String) throws {
        func fail(_ problem: String) -> SigLIPError { SigLIPError(path: source, problem: problem) }
        let armNames = arms.map(\.name)
        guard Set(armNames).count == armNames.count else { throw fail("arm names repeat: \(armNames)") }
        guard armNames.contains(baseline) else { throw fail("the baseline arm '\(baseline)' is not among the arms") }
        guard benchmarks.contains(where: { $0.name == periodic && $0.kind == .classification }) else {
            throw fail("the periodic benchmark '\(periodic)' is not a classification benchmark of the plan")
        }
        guard (1...TrainingOptions.Limits.steps).contains(baselineSteps), !seeds.isEmpty, !evalRounds.isEmpty, evalRounds.allSatisfy({ (1...ConfigLimits.rounds).contains($0) }) else {
            throw fail("baseline_steps, seeds and eval_rounds must be given (steps and rounds at least 1)")
        }
        for name in sweep.arms where !armNames.contains(name) { throw fail("sweep arm '\(name)' is not an arm") }
        guard !sweep.learningRates.isEmpty else { throw fail("the sweep has no learning rates") }
        for arm in arms where !sweep.arms.contains(arm.name) {
            guard let from = arm.learningRateFrom, sweep.arms.contains(from) else {
                throw fail("arm '\(arm.name)' is not swept and names no swept arm in learning_rate_from")
            }
        }
        for name in budgets?.arms ?? [] where name != Budgets.bestRecursive && !armNames.contains(name) {
            throw fail("budget arm '\(name)' is not an arm")
        }
    }
}

/// A JSON value in a plan's options (string, number, bool, null or an array of them), as
/// `TrainingOptions.merging` takes it.
public enum OptionValue: Codable, Sendable, Equatable {
    case string(String), integer(Int), number(Double), bool(Bool), null, array([OptionValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) } else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) } else { self = .array(try c.decode([OptionValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        case .array(let a): try c.encode(a)
        }
    }

    /// The value as JSONSerialization gives it.
    public var any: Any {
        switch self {
        case .string(let s): s
        case .integer(let i): i
        case .number(let d): d
        case .bool(let b): b
        case .null: NSNull()
        case .array(let a): a.map(\.any)
        }
    }
}
