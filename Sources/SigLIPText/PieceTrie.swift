/// A byte trie from pieces to ids: the vocabulary lookup of the Viterbi search and the
/// user-defined-symbol prefix matcher of the normaliser.
struct PieceTrie: Sendable {
    private struct Node: Sendable {
        var children: [UInt8: Int32] = [:]
        var value: Int32 = -1
    }

    private var nodes = [Node()]

    /// Builds the trie; a later duplicate key overwrites an earlier one.
    init(_ entries: [(key: [UInt8], value: Int32)]) {
        for (key, value) in entries { insert(key, value) }
    }

    var isEmpty: Bool { nodes.count == 1 && nodes[0].value < 0 }

    private mutating func insert(_ key: [UInt8], _ value: Int32) {
        var node = 0
        for byte in key {
            if let next = nodes[node].children[byte] {
                node = Int(next)
            } else {
                nodes.append(Node())
                nodes[node].children[byte] = Int32(nodes.count - 1)
                node = nodes.count - 1
            }
        }
        nodes[node].value = value
    }

    /// Calls `body(length, value)` for every key that is a prefix of
    /// `bytes[start..<end]`, shortest first.
    @inline(__always)
    func forEachPrefix(of bytes: [UInt8], from start: Int, to end: Int, _ body: (Int, Int32) -> Void) {
        var node = 0
        var i = start
        while i < end, let next = nodes[node].children[bytes[i]] {
            node = Int(next)
            i += 1
            if nodes[node].value >= 0 { body(i - start, nodes[node].value) }
        }
    }

    /// The length of the longest key that is a prefix of `bytes[start..<end]`, or 0.
    func longestPrefix(of bytes: [UInt8], from start: Int, to end: Int) -> Int {
        var longest = 0
        forEachPrefix(of: bytes, from: start, to: end) { length, _ in longest = max(longest, length) }
        return longest
    }

    /// The value stored for exactly `key`, if any.
    func value(for key: [UInt8]) -> Int32? {
        var node = 0
        for byte in key {
            guard let next = nodes[node].children[byte] else { return nil }
            node = Int(next)
        }
        return nodes[node].value >= 0 ? nodes[node].value : nil
    }
}
