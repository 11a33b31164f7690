import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPData
import SigLIPTraining

/// The input pipeline as the trainer's batch source; positions are `DataPosition` in JSON, or
/// in a data-parallel run `GlobalDataPosition` (the single-process position and each rank's).
final class PipelineBatches: TrainingBatchSource {
    let pipeline: ImageTextPipeline
    private var current: ImageTextBatch?
    private let imageSize: Int
    /// The ranks of a data-parallel run: each rank's pipeline reads its shard.
    private let group: ProcessGroup?
    private var skippedByAllRanks = 0

    init(pipeline: ImageTextPipeline, imageSize: Int, group: ProcessGroup? = nil) {
        self.pipeline = pipeline
        self.imageSize = imageSize
        self.group = group
    }

    deinit { pipeline.stop() }

    var skippedCount: Int { group == nil ? pipeline.statistics.skippedCount : skippedByAllRanks }

    func nextBatch() throws -> TrainingBatch {
        let batch = try pipeline.next()
        current = batch   // keeps the pixel buffer alive until the next batch
        var after = try JSONEncoder().encode(batch.next)
        if let group {   // where every rank stands, and the files they skipped
            let all = try group.allGather([Double(batch.next.epoch), Double(batch.next.offset), Double(pipeline.statistics.skippedCount)])
            after = try JSONEncoder().encode(GlobalDataPosition(ranks: all.map { DataPosition(epoch: Int($0[0]), offset: Int($0[1])) }))
            skippedByAllRanks = all.reduce(0) { $0 + Int($1[2]) }
        }
        return TrainingBatch(pixels: Tensor(batch.pixels.data, [batch.size, imageSize, imageSize, 3]), ids: batch.ids,
                             positionAfter: after)
    }

    /// The saved position (nil or empty: the start) as the global position of a run.
    static func position(from data: Data?) throws -> GlobalDataPosition {
        guard let data, !data.isEmpty else { return GlobalDataPosition(epoch: 0, offset: 0) }
        do { return try JSONDecoder().decode(GlobalDataPosition.self, from: data) } catch {
            throw SigLIPError(path: "trainer state", problem: "the saved data position is not an epoch and an offset", kind: .corrupt)
        }
    }
}
