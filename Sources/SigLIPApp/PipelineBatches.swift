import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPData
import SigLIPTraining

/// The input pipeline as the trainer's batch source; positions are `DataPosition` in JSON.
final class PipelineBatches: TrainingBatchSource {
    let pipeline: ImageTextPipeline
    private var current: ImageTextBatch?
    private let imageSize: Int

    init(pipeline: ImageTextPipeline, imageSize: Int) {
        self.pipeline = pipeline
        self.imageSize = imageSize
    }

    deinit { pipeline.stop() }

    var skippedCount: Int { pipeline.statistics.skippedCount }

    func nextBatch() throws -> TrainingBatch {
        let batch = try pipeline.next()
        current = batch   // keeps the pixel buffer alive until the next batch
        return TrainingBatch(pixels: Tensor(batch.pixels.data, [batch.size, imageSize, imageSize, 3]), ids: batch.ids,
                             positionAfter: try JSONEncoder().encode(batch.next))
    }

    static func position(from data: Data?) throws -> DataPosition {
        guard let data, !data.isEmpty else { return .start }
        do { return try JSONDecoder().decode(DataPosition.self, from: data) } catch {
            throw SigLIPError(path: "trainer state", problem: "the saved data position is not an epoch and an offset", kind: .corrupt)
        }
    }
}
