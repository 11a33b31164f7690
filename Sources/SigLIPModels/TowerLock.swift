/// A locked tower (LiT: "locked-image tuning", DESIGN.md §5.4): training leaves its weights as
/// they are, except, with `unlockedBlocks` k > 0, its last k encoder blocks and what follows
/// them (the final norm and the head), as OpenCLIP's `--lock-image-unlocked-groups` does. A
/// locked tower with k = 0 runs forward only, without keeping activations; with k > 0 its
/// backward starts at the head and stops at the first application of an unlocked block, so no
/// gradient of a locked weight is ever computed or stored. The embeddings and any round
/// adapters stay locked.
public struct TowerLock: Codable, Equatable, Sendable {
    public enum Tower: String, Codable, Sendable, CaseIterable {
        case image, text

        /// The prefix of the tower's parameter names.
        var prefix: String { self == .image ? "vision_model." : "text_model." }
    }

    public var tower: Tower
    /// The last k encoder blocks (with the final norm and head) still train.
    public var unlockedBlocks: Int

    public init(tower: Tower, unlockedBlocks: Int = 0) {
        self.tower = tower
        self.unlockedBlocks = unlockedBlocks
    }

    /// Whether the parameter `name` of a model whose locked tower has `depth` blocks is locked.
    public func locks(_ name: String, depth: Int) -> Bool {
        guard name.hasPrefix(tower.prefix) else { return false }
        guard unlockedBlocks > 0 else { return true }
        let rest = name.dropFirst(tower.prefix.count)
        if rest.hasPrefix("embeddings.") || rest.hasPrefix("encoder.round_adapters.") { return true }
        if rest.hasPrefix("encoder.layers.") {
            let index = rest.dropFirst("encoder.layers.".count).prefix { $0.isNumber }
            return Int(index)! < depth - unlockedBlocks
        }
        return false   // the final norm and the head
    }

    /// The number of steps of `plan` that run forward only: the index of the first application of
    /// an unlocked block; nil when the whole tower is locked (no backward at all).
    public func lockedSteps(of plan: [EncoderStep], depth: Int) -> Int? {
        guard unlockedBlocks > 0 else { return nil }
        return plan.firstIndex {
            if case .block(let i) = $0 { return i >= depth - unlockedBlocks }
            return false
        } ?? plan.count
    }

    /// Checks that a tower of `depth` blocks with `recursion` can be trained this way: the backward
    /// from the head to the first unlocked block must meet no locked block or adapter, at any
    /// number of training rounds (with "A^r B" at most the blocks of B can be unlocked).
    public func check(depth: Int, recursion: RecursionConfig) throws {
        let option = "--unlocked-blocks \(unlockedBlocks)"
        guard (0...depth).contains(unlockedBlocks) else {
            throw ConfigError("\(option): the \(tower.rawValue) tower has \(depth) blocks")
        }
        guard unlockedBlocks > 0 else { return }
        for rounds in 1...max(recursion.rounds, 1) {
            let plan = recursion.plan(depth: depth, rounds: rounds)
            let first = lockedSteps(of: plan, depth: depth)!
            for step in plan[first...] {
                let locked: String?
                switch step {
                case .block(let i): locked = i < depth - unlockedBlocks ? "block \(i)" : nil
                case .adapter(let round): locked = recursion.adapterRounds?.contains(round) ?? false ? "round-\(round) adapter" : nil
                }
                if let locked {
                    throw ConfigError("\(option): with recursion '\(recursion.signature)' at \(rounds) rounds, the locked "
                                      + "\(locked) of the \(tower.rawValue) tower runs after the first unlocked block, so the backward would need it; "
                                      + "unlock fewer blocks or all that follow")
                }
            }
        }
    }

    /// Unlocked block applications the backward runs through at `rounds` rounds (fractional: the
    /// expectation under stochastic RINS, linear between whole rounds).
    func unlockedApplications(depth: Int, recursion: RecursionConfig, rounds: Double) -> Double {
        func count(_ r: Int) -> Double {
            let plan = recursion.plan(depth: depth, rounds: max(r, 1))
            guard let first = lockedSteps(of: plan, depth: depth) else { return 0 }
            return Double(plan.count - first - plan[first...].filter { if case .adapter = $0 { true } else { false } }.count)
        }
        let low = Int(rounds.rounded(.down))
        let fraction = rounds - Double(low)
        return fraction == 0 ? count(low) : count(low) * (1 - fraction) + count(low + 1) * fraction
    }
}
