import Foundation
import SigLIPData
import SigLIPTestSupport
import Testing

/// The data side of data parallelism: K ranks reading shards in batches of n take, step by
/// step, exactly the examples one process takes in batches of K·n (epoch ends included), and
/// positions convert between numbers of ranks without losing an example.
@Suite("Data-parallel data") struct DataParallelDataTests {
    @Test(arguments: [(2, 4, 43), (3, 2, 40), (2, 5, 20), (4, 1, 9)])
    func shardsTogetherTakeTheSingleProcessBatches(_ ranks: Int, _ n: Int, _ count: Int) throws {
        let single = EpochOrder.pipeline(datasetCount: count, seed: 3, shard: .all, batchSize: ranks * n)
        let shards = (0..<ranks).map { EpochOrder.pipeline(datasetCount: count, seed: 3, shard: DataShard(index: $0, count: ranks), batchSize: n) }
        #expect(Set(shards.map(\.epochLength)).count == 1, "every rank has as many batches per epoch")
        for epoch in 0..<3 {
            let whole = single.indices(epoch: epoch)
            let batches = whole.count / (ranks * n)
            for b in 0..<batches {
                let expected = Set(whole[(b * ranks * n)..<((b + 1) * ranks * n)])
                let taken = shards.flatMap { Array($0.indices(epoch: epoch)[(b * n)..<((b + 1) * n)]) }
                #expect(Set(taken) == expected && taken.count == expected.count, "epoch \(epoch) batch \(b)")
            }
            #expect(shards[0].epochLength == batches * n)
        }
    }

    @Test func globalPositionsConvertBetweenRankCounts() {
        // Two ranks that took 3 examples each: the single-process order continues at 6.
        let even = GlobalDataPosition(ranks: [DataPosition(epoch: 1, offset: 3), DataPosition(epoch: 1, offset: 3)])
        #expect(even.epoch == 1 && even.offset == 6)
        // Same number of ranks: each continues exactly where it stood.
        let uneven = GlobalDataPosition(ranks: [DataPosition(epoch: 0, offset: 5), DataPosition(epoch: 0, offset: 4)])
        #expect(uneven.offset == 9)   // rank 1 has taken 1, 3, …, 7: 9 is the first not taken
        #expect(uneven.start(rank: 0, of: 2, epochLength: 10) == DataPosition(epoch: 0, offset: 5))
        // Three ranks from there: the first example of each shard at or after 9.
        #expect((0..<3).map { uneven.start(rank: $0, of: 3, epochLength: 6) }
                == [DataPosition(epoch: 0, offset: 3), DataPosition(epoch: 0, offset: 3), DataPosition(epoch: 0, offset: 3)])
        // One process: the global position itself (the JSON without "ranks" decodes too).
        #expect(uneven.start(rank: 0, of: 1, epochLength: 20) == DataPosition(epoch: 0, offset: 9))
        // Past what a shard keeps of the epoch: the next epoch.
        #expect(GlobalDataPosition(epoch: 2, offset: 19).start(rank: 0, of: 2, epochLength: 8) == DataPosition(epoch: 3, offset: 0))
        // A rank already in the next epoch does not move the position past the others.
        let crossing = GlobalDataPosition(ranks: [DataPosition(epoch: 1, offset: 0), DataPosition(epoch: 0, offset: 7)])
        #expect(crossing.epoch == 0 && crossing.offset == 15)
    }

    @Test func aSingleProcessPositionIsAGlobalPosition() throws {
        let data = try JSONEncoder().encode(DataPosition(epoch: 4, offset: 17))
        let global = try JSONDecoder().decode(GlobalDataPosition.self, from: data)
        #expect(global == GlobalDataPosition(epoch: 4, offset: 17))
        let back = try JSONDecoder().decode(DataPosition.self, from: try JSONEncoder().encode(
            GlobalDataPosition(ranks: [DataPosition(epoch: 4, offset: 8), DataPosition(epoch: 4, offset: 8)])))
        #expect(back == DataPosition(epoch: 4, offset: 16))
    }
}
