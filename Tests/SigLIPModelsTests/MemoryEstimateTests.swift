import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPModels
import Testing

/// `MemoryEstimate` against measurement: the activation estimate of a training step must not
/// be below what the arena actually holds at its high-water mark (or a configuration that fits
/// the estimate could still run out), nor far above it (or runs that fit would be refused).
@Suite("Memory estimate") struct MemoryEstimateTests {
    static func config(signature: String, rounds: Int, imageSize: Int, length: Int) throws -> SigLIPConfig {
        var vision = try ImageTowerConfig(preset: "Ti/8", imageSize: imageSize)
        vision.depth = 2
        vision.recursion = RecursionConfig(signature: try RecursionSignature(parsing: signature), rounds: rounds)
        var text = try TextTowerConfig(preset: "Ti", vocabularySize: 64, length: length)
        text.depth = 2
        return SigLIPConfig(vision: vision, text: text)
    }

    /// One training step of `config` (plain, or in `microBatches`): the arena's high-water mark
    /// in bytes, and the model.
    static func measuredStep(_ config: SigLIPConfig, batch: Int, microBatches: Int = 1) throws -> (bytes: Int, model: SigLIPModel) {
        let (imageSize, length) = (config.imageTower.imageSize, config.textTower.length)
        let model = try SigLIPModel(config: config)
        model.initialize(seed: 1)
        let pixels = FloatBuffer(count: batch * imageSize * imageSize * 3)
        let ids = (0..<(batch * length)).map { Int32($0 % 60 + 2) }
        let ctx = model.makeContext()
        model.parameters.zeroGradients()
        let input = Tensor(pixels.data, [batch, imageSize, imageSize, 3])
        if microBatches == 1 {
            _ = model.lossAndGradients(pixels: input, ids: ids, ctx)
        } else {
            _ = try model.lossAndGradients(pixels: input, ids: ids, microBatches: microBatches, ctx)
        }
        withExtendedLifetime(pixels) {}
        return (ctx.arena.highWaterMark * 4, model)
    }

    @Test(arguments: [("A B", 1, 16, 8, 4), ("A^r B", 3, 32, 16, 6), ("(A B)^r", 2, 24, 12, 8)])
    func activationEstimateBoundsTheMeasuredHighWaterMark(_ signature: String, _ rounds: Int, _ imageSize: Int,
                                                          _ length: Int, _ batch: Int) throws {
        let config = try Self.config(signature: signature, rounds: rounds, imageSize: imageSize, length: length)
        let (measured, model) = try Self.measuredStep(config, batch: batch)
        let estimate = MemoryEstimate.training(config, batch: batch)
        #expect(estimate.activationBytes >= measured, "\(signature): estimate \(estimate.activationBytes) < measured \(measured)")
        #expect(estimate.activationBytes <= 3 * measured, "\(signature): estimate \(estimate.activationBytes) > 3 × \(measured)")
        #expect(estimate.parameterBytes == model.parameters.count * 8)
        #expect(MemoryEstimate.parameterCount(config) == model.parameters.count)
    }

    /// With micro-batches: one micro-batch's activations plus the whole batch's embeddings.
    @Test(arguments: [2, 3, 6])
    func accumulatedEstimateBoundsTheMeasuredHighWaterMark(_ microBatches: Int) throws {
        let batch = 6
        let config = try Self.config(signature: "A^r B", rounds: 2, imageSize: 24, length: 12)
        let measured = try Self.measuredStep(config, batch: batch, microBatches: microBatches).bytes
        let estimate = MemoryEstimate.training(config, batch: batch, microBatches: microBatches).activationBytes
        #expect(estimate >= measured && estimate <= 3 * measured, "estimate \(estimate), measured \(measured)")
    }

    /// A zero-shot evaluation's inference passes (an image batch, then a text batch, in one
    /// inference context): the arena's high-water mark and the pixels against the estimate's
    /// activation part (at least, and at most 3×), the weights the context kept packed against
    /// its packed part (one float per parameter; every weight is packed where the routing sends
    /// the products to our driver, as at AVX-512 on an AMD CPU).
    @Test(arguments: [("A B", 1, 32, 16, 4, 12), ("A^r B", 3, 24, 8, 6, 20)])
    func evaluationEstimateBoundsTheMeasuredInference(_ signature: String, _ rounds: Int, _ imageSize: Int, _ length: Int,
                                                      _ images: Int, _ texts: Int) throws {
        let config = try Self.config(signature: signature, rounds: rounds, imageSize: imageSize, length: length)
        let model = try SigLIPModel(config: config)
        model.initialize(seed: 1)
        let ctx = model.makeInferenceContext()
        let pixels = FloatBuffer(count: images * imageSize * imageSize * 3)
        let input = ctx.arena.tensor([images, imageSize, imageSize, 3])   // as SigLIPEncoder copies them
        input.data.update(from: pixels.data, count: pixels.count)
        _ = model.encodeImages(input, ctx)
        ctx.arena.reset()
        _ = model.encodeTexts((0..<(texts * length)).map { Int32($0 % 60 + 2) }, batch: texts, ctx)
        withExtendedLifetime(pixels) {}
        let measured = ctx.arena.highWaterMark * 4 + pixels.count * 4   // the arena (pixels included) and the batch's buffer
        let packedBytes = MemoryEstimate.parameterCount(config) * 4
        let estimate = MemoryEstimate.evaluationBytes(config, images: images, texts: texts) - packedBytes
        #expect(estimate >= measured && estimate <= 3 * measured, "\(signature): estimate \(estimate), measured \(measured)")
        let packed = ctx.packedWeights?.bytes ?? 0
        #expect(packed <= packedBytes, "\(signature): \(packed) bytes kept packed, estimated at most \(packedBytes)")
        #expect(MemoryEstimate.training(config, batch: 4, evaluation: (images, texts)).totalBytes
                == MemoryEstimate.training(config, batch: 4).totalBytes + estimate + packedBytes)
    }

    @Test func aModelThatCannotFitIsRefusedBeforeAllocation() throws {
        var vision = try ImageTowerConfig(preset: "B/16", imageSize: 224)
        vision.width = 16_384
        vision.mlpWidth = 65_536
        vision.heads = 16
        vision.depth = 1_000
        var text = try TextTowerConfig(preset: "B", vocabularySize: 32_000, length: 64)
        text.projectionWidth = 16_384
        #expect(throws: SigLIPError.self) { try SigLIPModel(config: SigLIPConfig(vision: vision, text: text)) }
    }
}
