import Foundation

/// K ranks as threads of one process, passing buffers through mailboxes: the `ProcessGroup`
/// of tests (and of anything that wants the distributed code paths without MPI). Create one
/// `InProcessRing.Group` and give rank r `group.ring(r)`; run each rank on its own thread.
public final class InProcessRing: ProcessGroup, @unchecked Sendable {
    /// The shared mailboxes of a group of `size` ranks.
    public final class Group: @unchecked Sendable {
        public let size: Int
        fileprivate var slots: [[Float]?]
        fileprivate var gathered: [[Double]?]
        fileprivate var readers = 0
        fileprivate let lock = NSCondition()

        public init(size: Int) {
            self.size = size
            slots = Array(repeating: nil, count: size)
            gathered = Array(repeating: nil, count: size)
        }

        public func ring(_ rank: Int) -> InProcessRing { InProcessRing(group: self, rank: rank) }
    }

    public let rank: Int
    public var size: Int { group.size }
    public private(set) var communicationSeconds = 0.0
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

    public func allGather(_ values: [Double]) throws -> [[Double]] {
        group.lock.lock()
        defer { group.lock.unlock() }
        while group.gathered[rank] != nil { group.lock.wait() }  // the previous gather is still being read
        group.gathered[rank] = values
        group.lock.broadcast()
        while group.gathered.contains(where: { $0 == nil }) { group.lock.wait() }
        let all = group.gathered.map { $0! }
        group.readers += 1
        if group.readers == group.size {   // the last reader empties the slots for the next gather
            group.readers = 0
            group.gathered = Array(repeating: nil, count: group.size)
        }
        group.lock.broadcast()
        return all
    }

    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        let sums = try allReduceSum((0..<count).map { Double(buffer[$0]) })
        for i in 0..<count { buffer[i] = Float(sums[i]) }
    }
}
