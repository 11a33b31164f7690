import Foundation
import SigLIPCore
import SigLIPLayers
import SigLIPModels
import Testing

/// Locked towers (LiT, DESIGN.md §5.4): a locked weight's gradient is never written, the
/// trained weights get exactly the gradients they get without the lock (the same arithmetic on
/// the same inputs), with and without micro-batches, and recursion plans that would need a
/// locked block's backward are refused.
@Suite("Tower locks") struct TowerLockTests {
    static let batch = 4
    /// Written into every gradient before a step: a locked one must still hold it after.
    static let sentinel: Float = 7

    /// A tiny model with 4 blocks per tower and RINS "A^r B" (2 rounds) in the image tower.
    static func model() throws -> SigLIPModel {
        var config = tinyConfig()
        config.imageTower.depth = 4
        config.textTower.depth = 4
        config.imageTower.recursion = .rins(rounds: 2, adapter: .linear)
        let model = try SigLIPModel(config: config)
        model.initialize(seed: 11)
        model.parameters.value(model.loss.bias)[0] = -1
        return model
    }

    static func inputs() -> (FloatBuffer, [Int32]) {
        var g = SeededGenerator(seed: 12)
        let pixels = FloatBuffer(count: batch * 12 * 12 * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * g.nextUnitFloat() - 1 }
        return (pixels, (0..<(batch * 5)).map { _ in Int32(g.next() % 21) + 2 })
    }

    /// The gradients of one step (loss over the whole batch, or in `microBatches`), with the
    /// sentinel in every gradient beforehand.
    static func gradients(_ model: SigLIPModel, microBatches: Int) throws -> (loss: Float, gradients: [Float]) {
        let (pixels, ids) = inputs()
        let ctx = model.makeContext()
        let g = model.parameters.gradients
        g.data.update(repeating: sentinel, count: g.count)
        for range in model.parameters.trainableRanges { (g.data + range.lowerBound).update(repeating: 0, count: range.count) }
        let tensor = Tensor(pixels.data, [batch, 12, 12, 3])
        let loss = microBatches == 1
            ? model.lossAndGradients(pixels: tensor, ids: ids, ctx).loss
            : try model.lossAndGradients(pixels: tensor, ids: ids, microBatches: microBatches, ctx).loss
        return (loss, Array(model.parameters.gradients.buffer))
    }

    @Test(arguments: [
        (TowerLock.Tower.image, 0, 1), (.image, 0, 2), (.image, 1, 1), (.image, 2, 2),
        (.text, 0, 1), (.text, 2, 1), (.text, 4, 2),
    ])
    func lockedWeightsGetNoGradientAndTheRestTheirOwn(_ tower: TowerLock.Tower, _ unlocked: Int, _ microBatches: Int) throws {
        let free = try Self.model()
        let reference = try Self.gradients(free, microBatches: microBatches)
        let locked = try Self.model()
        let lock = TowerLock(tower: tower, unlockedBlocks: unlocked)
        try locked.lock(lock)
        let result = try Self.gradients(locked, microBatches: microBatches)
        #expect(result.loss == reference.loss, "the lock changed the loss")
        let depth = 4
        var lockedCount = 0
        for spec in locked.parameters.specs {
            let range = spec.offset..<(spec.offset + spec.count)
            let isLocked = lock.locks(spec.name, depth: depth)
            #expect(locked.parameters.isTrainable(offset: spec.offset) == !isLocked, "\(spec.name)")
            if isLocked {
                lockedCount += spec.count
                #expect(result.gradients[range].allSatisfy { $0 == Self.sentinel }, "\(spec.name): a locked gradient was written")
            } else {
                // The same arithmetic on the same inputs: bit for bit.
                #expect(Array(result.gradients[range]) == Array(reference.gradients[range]), "\(spec.name)")
            }
        }
        #expect(lockedCount > 0 && locked.parameters.trainableCount == locked.parameters.count - lockedCount)
    }

    @Test func theLockedPartIsTheTowerUpToItsLastUnlockedBlocks() {
        let lock = TowerLock(tower: .image, unlockedBlocks: 2)
        #expect(lock.locks("vision_model.embeddings.patch_embedding.weight", depth: 4))
        #expect(lock.locks("vision_model.encoder.layers.1.mlp.fc1.weight", depth: 4))
        #expect(lock.locks("vision_model.encoder.round_adapters.2.weight", depth: 4))
        #expect(!lock.locks("vision_model.encoder.layers.2.mlp.fc1.weight", depth: 4))
        #expect(!lock.locks("vision_model.post_layernorm.weight", depth: 4))
        #expect(!lock.locks("vision_model.head.probe", depth: 4))
        #expect(!lock.locks("text_model.encoder.layers.0.mlp.fc1.weight", depth: 4))
        #expect(!lock.locks("logit_scale", depth: 4))
        #expect(TowerLock(tower: .text).locks("text_model.head.weight", depth: 4))
        // "A^r B" runs B once, at the end: its blocks may be unlocked, A's may not (the
        // backward would reach A's second round and the adapter before it).
        let rins = RecursionConfig.rins(rounds: 3)
        #expect(throws: Never.self) { try TowerLock(tower: .image, unlockedBlocks: 2).check(depth: 4, recursion: rins) }
        #expect(throws: ConfigError.self) { try TowerLock(tower: .image, unlockedBlocks: 3).check(depth: 4, recursion: rins) }
        // "(A B)^r" runs the last block in every round.
        let all = RecursionConfig(signature: try! RecursionSignature(parsing: "(A B)^r"), rounds: 2)
        #expect(throws: ConfigError.self) { try TowerLock(tower: .image, unlockedBlocks: 1).check(depth: 4, recursion: all) }
        #expect(throws: Never.self) { try TowerLock(tower: .image, unlockedBlocks: 0).check(depth: 4, recursion: all) }
        #expect(throws: ConfigError.self) { try TowerLock(tower: .text, unlockedBlocks: 5).check(depth: 4, recursion: RecursionConfig()) }
    }

    /// A locked tower costs its forward; its unlocked blocks and head add their backward.
    @Test func trainingFLOPsCountTheBackwardOfTrainedWeightsOnly() throws {
        let config = try Self.model().config
        let batch = 8
        let image = FLOPs.imageForward(config.imageTower, rounds: 2), text = FLOPs.textForward(config.textTower)
        let logits = FLOPs.logits(embedding: config.textTower.embeddingWidth, batch: batch)
        let all = FLOPs.trainingStep(config, batch: batch, imageRounds: 2, textRounds: 1)
        #expect(abs(all - Double(batch) * 3 * (image + text + logits)) <= 1e-9 * all)
        let imageLocked = FLOPs.trainingStep(config, batch: batch, imageRounds: 2, textRounds: 1, lock: TowerLock(tower: .image))
        #expect(abs(imageLocked - Double(batch) * (image + 3 * (text + logits))) <= 1e-9 * all)
        // The last block of the text tower and its head: two backward products per forward one.
        let t = config.textTower
        let lastBlock = FLOPs.block(tokens: t.length, width: t.width, mlpWidth: t.mlpWidth) + 2 * Double(t.width * t.embeddingWidth)
        let textPartly = FLOPs.trainingStep(config, batch: batch, imageRounds: 2, textRounds: 1, lock: TowerLock(tower: .text, unlockedBlocks: 1))
        #expect(abs(textPartly - Double(batch) * (3 * (image + logits) + text + 2 * lastBlock)) <= 1e-9 * all)
    }
}
