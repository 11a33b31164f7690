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

/// One worker's part of the data (for distributed training): every `count`-th example of
/// each epoch's order, starting at `index`.
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

    public init(datasetCount: Int, seed: UInt64, shuffle: Bool = true, shard: DataShard = .all) {
        precondition(datasetCount >= 0 && shard.count >= 1 && (0..<shard.count).contains(shard.index),
                     "EpochOrder: invalid count or shard")
        self.datasetCount = datasetCount
        self.seed = seed
        self.shuffle = shuffle
        self.shard = shard
    }

    /// Examples per epoch in this shard: ceil((datasetCount - shard.index) / shard.count).
    public var epochLength: Int { max(0, (datasetCount - shard.index + shard.count - 1) / shard.count) }

    /// The data set indices this shard visits in `epoch`, in order: [epochLength].
    public func indices(epoch: Int) -> [Int] {
        let all = permutation(epoch: epoch)
        return stride(from: shard.index, to: all.count, by: shard.count).map { all[$0] }
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
