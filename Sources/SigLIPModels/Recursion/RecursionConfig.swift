import SigLIPCore

/// The kind of per-round adapter: none, `h ← h + W_k h` with W_k a D×D matrix, or
/// `h ← h + w_k ∘ h` with w_k a D vector. Both start at zero, so training starts as plain RINS.
public enum AdapterKind: String, Codable, CaseIterable, Sendable {
    case none, linear, diagonal
}

/// How a tower recurses (DESIGN.md §5). Stored in `config.json` as an extra `recursion` field
/// of the tower's config, which Hugging Face tooling ignores; a config without it is the
/// baseline.
public struct RecursionConfig: Codable, Equatable, Sendable {
    /// The schedule of parts; the baseline "A B" means no recursion.
    public var signature: RecursionSignature = .baseline
    /// Blocks in part A; nil means half the depth (rounded down).
    public var splitBlocks: Int?
    /// Rounds r used in training (and the default at inference).
    public var rounds: Int = 1
    /// Stochastic RINS: each extra round is skipped with this probability during training;
    /// rounds = 1 + Binomial(r − 1, 1 − p_s), one draw per step. 0 is plain RINS.
    public var skipProbability: Double = 0
    public var adapter: AdapterKind = .none

    public init() {}

    public init(signature: RecursionSignature, rounds: Int, splitBlocks: Int? = nil, skipProbability: Double = 0,
                adapter: AdapterKind = .none) {
        self.signature = signature
        self.rounds = rounds
        self.splitBlocks = splitBlocks
        self.skipProbability = skipProbability
        self.adapter = adapter
    }

    /// Plain RINS, "A^r B".
    public static func rins(rounds: Int, skipProbability: Double = 0, adapter: AdapterKind = .none) -> RecursionConfig {
        RecursionConfig(signature: .rins, rounds: rounds, skipProbability: skipProbability, adapter: adapter)
    }

    /// True when the tower runs every block once (no recursion field needs recording).
    public var isBaseline: Bool { self == RecursionConfig() }

    public func split(depth: Int) -> Int { splitBlocks ?? depth / 2 }

    /// The encoder plan for `rounds` rounds (nil: the training rounds `r`).
    public func plan(depth: Int, rounds: Int? = nil) -> [EncoderStep] {
        signature.plan(depth: depth, split: split(depth: depth), rounds: rounds ?? self.rounds)
    }

    /// Block applications for a (possibly expected, fractional) number of rounds: linear in the
    /// rounds for every signature.
    public func blockApplications(depth: Int, rounds: Double) -> Double {
        let k = split(depth: depth)
        return signature.groups.reduce(0.0) { total, group in
            let blocks = group.parts.reduce(0) { $0 + ($1 == .a ? k : depth - k) }
            return total + Double(blocks) * (group.recursive ? rounds : 1)
        }
    }

    /// Adapter applications for `rounds` rounds: one per round 2…min(rounds, r) of each
    /// recursive group (rounds beyond the training rounds have no adapter).
    public func adapterApplications(rounds: Double) -> Double {
        guard adapterRounds != nil else { return 0 }
        let recursiveGroups = Double(signature.groups.filter(\.recursive).count)
        return recursiveGroups * max(min(rounds, Double(self.rounds)) - 1, 0)
    }

    /// Expected rounds in training under stochastic RINS: 1 + (r − 1)(1 − p_s).
    public var expectedTrainingRounds: Double { 1 + Double(rounds - 1) * (1 - skipProbability) }

    /// Adapters exist for rounds 2…r (the training rounds); later inference rounds run without one.
    public var adapterRounds: ClosedRange<Int>? { adapter == .none || rounds < 2 ? nil : 2...rounds }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(signature, forKey: .signature)
        try c.encodeIfPresent(splitBlocks, forKey: .splitBlocks)
        try c.encode(rounds, forKey: .rounds)
        try c.encode(skipProbability, forKey: .skipProbability)
        try c.encode(adapter, forKey: .adapter)
    }

    enum CodingKeys: String, CodingKey {
        case signature, splitBlocks = "split_blocks", rounds, skipProbability = "skip_probability", adapter
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        signature = try c.decodeIfPresent(RecursionSignature.self, forKey: .signature) ?? .baseline
        splitBlocks = try c.decodeIfPresent(Int.self, forKey: .splitBlocks)
        rounds = try c.decodeIfPresent(Int.self, forKey: .rounds) ?? 1
        skipProbability = try c.decodeIfPresent(Double.self, forKey: .skipProbability) ?? 0
        adapter = try c.decodeIfPresent(AdapterKind.self, forKey: .adapter) ?? .none
    }

    func validate(depth: Int, tower: String) throws {
        guard (1...ConfigLimits.rounds).contains(rounds) else {
            throw ConfigError("\(tower).recursion: rounds \(rounds) must be in 1…\(ConfigLimits.rounds)")
        }
        guard (0...1).contains(skipProbability) else { throw ConfigError("\(tower).recursion: skip_probability must be in [0, 1]") }
        let k = split(depth: depth)
        guard (0...depth).contains(k) else { throw ConfigError("\(tower).recursion: split_blocks \(k) outside 0…\(depth)") }
    }
}

/// Draws the rounds of one training step: 1 + Binomial(r − 1, 1 − p_s).
public func drawTrainingRounds(_ config: RecursionConfig, using generator: inout SeededGenerator) -> Int {
    guard config.skipProbability > 0 else { return config.rounds }
    var rounds = 1
    for _ in 1..<max(config.rounds, 1) where generator.nextUnitDouble() >= config.skipProbability { rounds += 1 }
    return rounds
}
