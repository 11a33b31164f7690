/// The two parts of a tower's encoder blocks: A is the first k blocks, B the rest.
public enum BlockPart: String, Codable, Sendable {
    case a = "A", b = "B"
}

/// A recursion signature: the order in which a tower runs its parts, as groups of parts that
/// run once or `r` times (r, the recursion rounds, is chosen at run time).
///
///     "A B"      the baseline: every block once
///     "A^r B"    RINS: A applied r times, each time to its own output, then B
///     "(A B)^r"  repeat all over (RAO)
///     "A B^r"    recursion of the tail
///
/// One mechanism covers every variant: a signature expands into a plan of block applications
/// (and adapter applications between rounds) for a given r.
public struct RecursionSignature: Codable, Equatable, Sendable, CustomStringConvertible {
    public struct Group: Codable, Equatable, Sendable {
        public var parts: [BlockPart]
        /// Repeated r times when true, once otherwise.
        public var recursive: Bool

        public init(_ parts: [BlockPart], recursive: Bool) {
            self.parts = parts
            self.recursive = recursive
        }
    }

    public var groups: [Group]

    public init(groups: [Group]) { self.groups = groups }

    public static let baseline = RecursionSignature(groups: [.init([.a], recursive: false), .init([.b], recursive: false)])
    public static let rins = RecursionSignature(groups: [.init([.a], recursive: true), .init([.b], recursive: false)])
    public static let repeatAllOver = RecursionSignature(groups: [.init([.a, .b], recursive: true)])
    public static let tailRecursion = RecursionSignature(groups: [.init([.a], recursive: false), .init([.b], recursive: true)])

    /// Whether any group repeats.
    public var isRecursive: Bool { groups.contains { $0.recursive } }

    /// Parses "A^r B", "(A B)^r", "A B^r", "A B" (spaces optional).
    public init(parsing text: String) throws {
        var groups: [Group] = []
        var chars = Array(text.filter { !$0.isWhitespace })
        func fail(_ why: String) -> ConfigError { ConfigError("bad recursion signature '\(text)': \(why); expected e.g. 'A^r B', '(A B)^r', 'A B^r' or 'A B'") }
        while !chars.isEmpty {
            var parts: [BlockPart] = []
            if chars[0] == "(" {
                guard let close = chars.firstIndex(of: ")") else { throw fail("missing ')'") }
                for c in chars[1..<close] {
                    guard let p = BlockPart(rawValue: String(c)) else { throw fail("unknown part '\(c)'") }
                    parts.append(p)
                }
                guard !parts.isEmpty else { throw fail("empty group") }
                chars.removeFirst(close + 1)
            } else {
                guard let p = BlockPart(rawValue: String(chars[0])) else { throw fail("unknown part '\(chars[0])'") }
                parts = [p]
                chars.removeFirst()
            }
            var recursive = false
            if chars.starts(with: ["^", "r"]) {
                recursive = true
                chars.removeFirst(2)
            }
            groups.append(Group(parts, recursive: recursive))
        }
        guard !groups.isEmpty else { throw fail("empty") }
        self.groups = groups
    }

    public var description: String {
        groups.map { g in
            let body = g.parts.count == 1 ? g.parts[0].rawValue : "(" + g.parts.map(\.rawValue).joined(separator: " ") + ")"
            return g.recursive ? body + "^r" : body
        }.joined(separator: " ")
    }

    public init(from decoder: Decoder) throws {
        self = try RecursionSignature(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// The plan for `rounds` recursion rounds over `depth` blocks split after `split` blocks:
    /// block applications in order, with an adapter step at the start of every round ≥ 2 of a
    /// recursive group.
    public func plan(depth: Int, split: Int, rounds: Int) -> [EncoderStep] {
        precondition(rounds >= 1 && (0...depth).contains(split))
        var steps: [EncoderStep] = []
        for group in groups {
            for round in 1...(group.recursive ? rounds : 1) {
                if round >= 2 { steps.append(.adapter(round: round)) }
                for part in group.parts {
                    let range = part == .a ? 0..<split : split..<depth
                    steps.append(contentsOf: range.map(EncoderStep.block))
                }
            }
        }
        return steps
    }
}

/// One step of an encoder plan.
public enum EncoderStep: Equatable, Sendable {
    /// Apply block i.
    case block(Int)
    /// Apply the adapter of this round (k ≥ 2), if the tower has one.
    case adapter(round: Int)
}
