import Foundation

/// A small, fast, seedable generator (SplitMix64 seeding xoshiro256**): the same seed gives
/// the same stream on every machine. Its whole state is four words, so a run can save it
/// and resume it exactly.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    /// Decodes a saved state, refusing one that is not four words or is all zero (xoshiro256's
    /// one stuck state), so a damaged file cannot make `next()` trap or repeat forever.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let state = try c.decode([UInt64].self, forKey: .state)
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .state, in: c,
                                                   debugDescription: "a generator state is four 64-bit words, not all zero")
        }
        self.state = state
    }

    private enum CodingKeys: String, CodingKey { case state }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits (exactly representable as Float).
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller, one value per call).
    public mutating func nextNormal() -> Float {
        let u1 = max(nextUnitDouble(), 0x1p-60), u2 = nextUnitDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Standard normal truncated to [-2, 2] (by rejection), as `jax.random.truncated_normal`.
    public mutating func nextTruncatedNormal() -> Float {
        while true {
            let z = nextNormal()
            if abs(z) <= 2 { return z }
        }
    }

    /// A generator for a sub-stream (e.g. one per data worker) that does not overlap this one's use.
    public func derived(_ index: UInt64) -> SeededGenerator {
        SeededGenerator(seed: state[0] ^ (index &* 0xD1B5_4A32_D192_ED03) ^ state[3])
    }
}
