import Foundation

/// K ranks as threads of one process, passing buffers around a ring through mailboxes: the
/// `EmbeddingRing` of tests (and of anything that wants the distributed code paths without
/// MPI). Create one `InProcessRing.Group` and give rank r `group.ring(r)`.
public final class InProcessRing: EmbeddingRing, @unchecked Sendable {
    /// The shared mailboxes of a group of `size` ranks.
    public final class Group: @unchecked Sendable {
        public let size: Int
        fileprivate var slots: [[Float]?]
        fileprivate let lock = NSCondition()

        public init(size: Int) {
            self.size = size
            slots = Array(repeating: nil, count: size)
        }

        public func ring(_ rank: Int) -> InProcessRing { InProcessRing(group: self, rank: rank) }
    }

    public let rank: Int
    public var size: Int { group.size }
    private let group: Group

    init(group: Group, rank: Int) {
        self.group = group
        self.rank = rank
    }

    public func shift(_ buffer: [Float]) throws -> [Float] {
        let next = (rank + 1) % group.size
        group.lock.lock()
        defer { group.lock.unlock() }
        while group.slots[next] != nil { group.lock.wait() }     // the next rank has not taken the last one yet
        group.slots[next] = buffer
        group.lock.broadcast()
        while group.slots[rank] == nil { group.lock.wait() }
        let received = group.slots[rank]!
        group.slots[rank] = nil
        group.lock.broadcast()
        return received
    }
}
