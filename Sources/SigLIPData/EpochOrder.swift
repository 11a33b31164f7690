import SigLIPCore

/// Where in the stream of epochs the next batch starts: `offset` counts examples of this
/// shard's share of epoch `epoch` (good and skipped alike). Save it with a checkpoint and
/// pass it back as `PipelineConfiguration.start` to continue exactly there.
public struct DataPosition: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var epoch: Int
    public var offset: Int
    public init(epoch: Int, offset: Int) {
        self.epoch = epoch
        self.offset = offset
    }
    public static let start = DataPosition(epoch: 0, offset: 0)
    public var description: String { "epoch \(epoch), offset \(offset)" }
}

/// One rank's part of the data in data-parallel training: every `count`-th example of each
/// epoch's order, starting at `index`. The ranks' batches of n together are one global batch
/// of count × n: the same examples a single process would take for its batch of count × n
/// (the pipeline cuts each shard's epoch to the data set's whole global batches, as a single
/// process drops its epoch's incomplete last batch; `GlobalDataPosition` converts positions).
public struct DataShard: Codable, Sendable, Equatable, Hashable {
    public var index: Int
    public var count: Int
    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }
    /// The whole data set.
    public static let all = DataShard(index: 0, count: 1)
}

/// The order in which a shard visits the data set, epoch by epoch: a seeded permutation of
/// `0..<datasetCount` per epoch (derived from (seed, epoch) only), then every `shard.count`-th
/// entry starting at `shard.index`. Pure and cheap to recompute, so any position can be resumed.
public struct EpochOrder: Sendable, Equatable {
    public let datasetCount: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let shard: DataShard
    /// Examples per epoch this shard visits at most (nil: all of its share).
    public let limit: Int?

    public init(datasetCount: Int, seed: UInt64, shuffle: Bool = true, shard: DataShard = .all, limit: Int? = nil) {
        precondition(datasetCount >= 0 && shard.count >= 1 && (0..<shard.count).contains(shard.index) && (limit ?? 0) >= 0,
                     "EpochOrder: invalid count, shard or limit")
        self.datasetCount = datasetCount
        self.seed = seed
        self.shuffle = shuffle
        self.shard = shard
        self.limit = limit
    }

    /// The order of a pipeline reading `shard` in batches of `batchSize`: with several shards
    /// (the ranks of a data-parallel run), each shard's epoch is cut to the data set's whole
    /// global batches of shard.count × batchSize, so that every rank has the same number of
    /// batches per epoch and together they drop what a single process would drop.
    public static func pipeline(datasetCount: Int, seed: UInt64, shuffle: Bool = true, shard: DataShard, batchSize: Int) -> EpochOrder {
        let limit = shard.count > 1 ? datasetCount / (shard.count * max(batchSize, 1)) * batchSize : nil
        return EpochOrder(datasetCount: datasetCount, seed: seed, shuffle: shuffle, shard: shard, limit: limit)
    }

    /// Examples per epoch in this shard: ceil((datasetCount - shard.index) / shard.count), at
    /// most `limit`.
    public var epochLength: Int {
        let share = max(0, (datasetCount - shard.index + shard.count - 1) / shard.count)
        return min(share, limit ?? share)
    }

    /// The data set indices this shard visits in `epoch`, in order: [epochLength].
    public func indices(epoch: Int) -> [Int] {
        let all = permutation(epoch: epoch)
        return Array(stride(from: shard.index, to: all.count, by: shard.count).map { all[$0] }.prefix(epochLength))
    }

    /// The whole data set's order in `epoch` (Fisher–Yates with a generator derived from
    /// (seed, epoch); the identity when `shuffle` is off).
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<datasetCount)
        guard shuffle, datasetCount > 1 else { return order }
        var generator = Self.generator(seed: seed, stream: 1).derived(UInt64(truncatingIfNeeded: epoch))
        for i in stride(from: datasetCount - 1, to: 0, by: -1) {
            let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            order.swapAt(i, j)
        }
        return order
    }

    /// The position `steps` examples after `position` (epochs wrap at `epochLength`).
    public func advance(_ position: DataPosition, by steps: Int) -> DataPosition {
        let absolute = position.epoch * epochLength + position.offset + steps
        return DataPosition(epoch: absolute / epochLength, offset: absolute % epochLength)
    }

    /// Whether example `index` is flipped in `epoch`: a coin from a generator derived from
    /// (seed, epoch, index), so it does not depend on which thread decodes it.
    public func flip(epoch: Int, index: Int) -> Bool {
        var generator = Self.generator(seed: seed, stream: 2).derived(UInt64(truncatingIfNeeded: epoch))
            .derived(UInt64(truncatingIfNeeded: index))
        return generator.nextUnitFloat() < 0.5
    }

    /// Which of `count` candidate captions example `index` uses in `epoch`: uniform, from a
    /// generator derived from (seed, epoch, index), so a repeated image does not come with the
    /// same sentence every epoch, and a resumed run draws exactly what the whole run drew.
    /// With one candidate, 0 (nothing is drawn).
    public func captionChoice(epoch: Int, index: Int, count: Int) -> Int {
        guard count > 1 else { return 0 }
        var generator = Self.generator(seed: seed, stream: 3).derived(UInt64(truncatingIfNeeded: epoch))
            .derived(UInt64(truncatingIfNeeded: index))
        return Int(generator.next().multipliedFullWidth(by: UInt64(count)).high)
    }

    /// Independent sub-streams of the seed: 1 = shuffle, 2 = flips, 3 = caption choice.
    static func generator(seed: UInt64, stream: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed).derived(stream)
    }
}

/// Where a data-parallel run continues, independent of its number of ranks: `epoch` and
/// `offset` in the single-process order (every example before `offset` has been taken by some
/// rank), and each rank's own position in its shard, for a resume with the same number of
/// ranks. The JSON is a `DataPosition` with an extra key, so a single process resumes from it.
public struct GlobalDataPosition: Codable, Sendable, Equatable {
    public var epoch: Int
    public var offset: Int
    /// Each rank's position in its shard (epoch, offset into the shard's share).
    public var ranks: [DataPosition]?

    public init(epoch: Int, offset: Int, ranks: [DataPosition]? = nil) {
        (self.epoch, self.offset, self.ranks) = (epoch, offset, ranks)
    }

    /// The position of K ranks at `ranks` (rank r at its shard position): the earliest example
    /// of the single-process order that some rank has not yet taken. Without skipped samples
    /// every rank has taken the same number and this is exact; after skips, a resume with
    /// another number of ranks sees again the few examples the faster ranks had taken.
    public init(ranks: [DataPosition]) {
        let k = ranks.count
        let first = ranks.enumerated().map { r, p in (p.epoch, r + k * p.offset) }.min { $0 < $1 }!
        self.init(epoch: first.0, offset: first.1, ranks: ranks)
    }

    /// Where rank `rank` of `count` starts: its own saved position when the run had `count`
    /// ranks; otherwise the first example of its shard at or after `offset` (the next epoch
    /// when its shard of `epochLength` examples has none left).
    public func start(rank: Int, of count: Int, epochLength: Int) -> DataPosition {
        if let ranks, ranks.count == count { return ranks[rank] }
        if count == 1 { return DataPosition(epoch: epoch, offset: offset) }
        let shardOffset = max(0, (offset - rank + count - 1) / count)
        return shardOffset >= epochLength ? DataPosition(epoch: epoch + 1, offset: 0) : DataPosition(epoch: epoch, offset: shardOffset)
    }
}
