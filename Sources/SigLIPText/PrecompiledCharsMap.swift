/// SentencePiece's `precompiled_charsmap`: a little-endian `UInt32` byte count, a
/// Darts-clone double-array trie of that many bytes, then the normalised strings
/// (NUL-terminated) that trie values point into.
struct PrecompiledCharsMap: Sendable {
    /// The double-array units.
    private let units: [UInt32]
    /// The NUL-terminated replacement strings.
    private let normalized: [UInt8]
    /// Darts results beyond this many prefixes are ignored (normalizer.h kMaxTrieResultsSize).
    static let maxResults = 32

    /// Splits and checks the blob; `reason` strings mirror the library's messages.
    init(blob: [UInt8]) throws(CharsMapFailure) {
        guard blob.count > 4 else { throw CharsMapFailure(reason: "blob for normalization rule is broken") }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize < blob.count else { throw CharsMapFailure(reason: "trie data size exceeds the input blob size") }
        guard trieSize + 4 <= blob.count else { throw CharsMapFailure(reason: "trie data runs past the end of the blob") }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for k in 0..<units.count {
            let o = 4 + 4 * k
            units[k] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        guard !units.isEmpty else { throw CharsMapFailure(reason: "empty double-array trie") }
        self.units = units
        self.normalized = Array(blob[(4 + trieSize)...])
    }

    /// The longest rule matching a prefix of `input[start..<end]` among the first
    /// `maxResults` matches: its source length and its replacement bytes, or nil.
    func longestMatch(_ input: [UInt8], from start: Int, to end: Int) -> (length: Int, replacement: ArraySlice<UInt8>)? {
        var bestLength = 0
        var bestValue = 0
        var found = 0
        // Darts-clone commonPrefixSearch: walk label by label from the root.
        var node = Self.offset(units[0])
        var i = start
        while i < end, found < Self.maxResults {
            let label = input[i]
            node ^= Int(label)
            guard node >= 0, node < units.count else { break }
            let unit = units[node]
            guard Self.label(unit) == UInt32(label) else { break }
            node ^= Self.offset(unit)
            i += 1
            if Self.hasLeaf(unit) {
                guard node >= 0, node < units.count else { break }
                found += 1
                let length = i - start
                if bestLength == 0 || length > bestLength {
                    bestLength = length
                    bestValue = Int(Self.value(units[node]))
                }
            }
        }
        guard bestLength > 0 else { return nil }
        return (bestLength, replacement(at: bestValue))
    }

    /// The NUL-terminated string at `offset` in the normalised blob (empty if out of range).
    private func replacement(at offset: Int) -> ArraySlice<UInt8> {
        guard offset < normalized.count else { return [] }
        var stop = offset
        while stop < normalized.count, normalized[stop] != 0 { stop += 1 }
        return normalized[offset..<stop]
    }

    // Darts-clone unit layout.
    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> UInt32 { u & 0x7FFF_FFFF }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & 0x8000_00FF }
    @inline(__always) private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }
}

/// Why a `precompiled_charsmap` blob was rejected.
struct CharsMapFailure: Error {
    let reason: String
}
