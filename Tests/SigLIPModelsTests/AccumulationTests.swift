import Foundation
import SigLIPCore
import SigLIPLayers
import SigLIPModels
import Testing

/// Gradient accumulation with the exact global loss: a batch split into micro-batches gives the
/// loss and every gradient of the whole batch, up to float rounding (different GEMM shapes sum
/// in a different order), and holds one micro-batch's activations at a time.
@Suite("Gradient accumulation") struct AccumulationTests {
    static let batch = 6

    /// The tiny model with recursion in the image tower, its inputs, and the whole-batch result.
    static func setUp() throws -> (SigLIPModel, Tensor, [Int32], FloatBuffer) {
        var config = tinyConfig()
        config.imageTower.recursion = .rins(rounds: 2)
        let model = try SigLIPModel(config: config)
        model.initialize(seed: 5)
        model.parameters.value(model.loss.bias)[0] = -1
        var g = SeededGenerator(seed: 6)
        let pixels = FloatBuffer(count: batch * 12 * 12 * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * g.nextUnitFloat() - 1 }
        let ids = (0..<(batch * 5)).map { _ in Int32(g.next() % 21) + 2 }
        return (model, Tensor(pixels.data, [batch, 12, 12, 3]), ids, pixels)
    }

    @Test(arguments: [1, 2, 3, 6])
    func microBatchesGiveTheWholeBatchLossAndGradients(_ microBatches: Int) throws {
        let (model, pixels, ids, storage) = try Self.setUp()
        let ctx = model.makeContext()
        model.parameters.zeroGradients()
        let whole = model.lossAndGradients(pixels: pixels, ids: ids, ctx).loss
        let reference = Array(model.parameters.gradients.buffer)
        ctx.arena.reset()
        model.parameters.zeroGradients()
        let accumulated = try model.lossAndGradients(pixels: pixels, ids: ids, microBatches: microBatches, ctx)
        let gradients = Array(model.parameters.gradients.buffer)
        #expect(abs(accumulated.loss - whole) <= 1e-6 * abs(whole), "loss \(accumulated.loss) vs \(whole)")
        // Per tensor: ‖a − b‖ ≤ 1e-5 ‖b‖ + 1e-6 ‖whole gradient‖ (the floor for tensors whose
        // gradient is near zero, where only rounding remains; the parity tests allow 1e-4 ‖b‖).
        let globalNorm = reference.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        for spec in model.parameters.specs {
            let a = gradients[spec.offset..<(spec.offset + spec.count)], b = reference[spec.offset..<(spec.offset + spec.count)]
            var squaredDifference = 0.0, squaredNorm = 0.0
            for (x, y) in zip(a, b) {
                squaredDifference += Double(x - y) * Double(x - y)
                squaredNorm += Double(y) * Double(y)
            }
            let (difference, norm) = (squaredDifference.squareRoot(), squaredNorm.squareRoot())
            #expect(difference <= 1e-5 * norm + 1e-6 * globalNorm, "\(spec.name): ‖Δ‖ \(difference) vs ‖g‖ \(norm) with \(microBatches) micro-batches")
        }
        withExtendedLifetime(storage) {}
    }

    /// The arena's high-water mark falls with the number of micro-batches.
    @Test func activationMemoryFallsWithMicroBatches() throws {
        let (model, pixels, ids, storage) = try Self.setUp()
        var marks: [Int] = []
        for microBatches in [1, 3] {
            let ctx = model.makeContext()
            model.parameters.zeroGradients()
            _ = try model.lossAndGradients(pixels: pixels, ids: ids, microBatches: microBatches, ctx)
            marks.append(ctx.arena.highWaterMark)
        }
        #expect(marks[1] < marks[0], "high-water marks \(marks)")
        withExtendedLifetime(storage) {}
    }
}
