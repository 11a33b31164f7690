import SigLIPCore
import SigLIPModels
import SigLIPTraining
import Testing

@Suite("Tiny training") struct TinyTrainingTests {
    /// A Ti-shaped (narrowed) model at 32 px memorises a fixed batch of 8 random pairs: the loss
    /// must fall well below its starting value within 30 steps.
    @Test func lossFallsOnAFixedBatch() throws {
        var vision = ImageTowerConfig()
        (vision.width, vision.mlpWidth, vision.depth, vision.heads) = (48, 96, 2, 3)
        (vision.imageSize, vision.patchSize) = (32, 8)
        var text = TextTowerConfig()
        (text.width, text.mlpWidth, text.depth, text.heads) = (48, 96, 2, 3)
        (text.vocabularySize, text.length) = (50, 8)
        let model = try SigLIPModel(config: SigLIPConfig(vision: vision, text: text))
        model.initialize(seed: 1)
        // Small-batch bias init (DESIGN.md §6.1): b ≈ -log(B).
        model.parameters.value(model.loss.bias)[0] = -2
        var settings = AdamW.Settings()
        settings.learningRate = 3e-3
        let step = TrainingStep(model: model, optimizer: AdamW(parameters: model.parameters, settings: settings,
                                                               schedule: WarmupCosineSchedule(warmupSteps: 3, totalSteps: 30)))
        var g = SeededGenerator(seed: 2)
        let batch = 8
        let pixels = FloatBuffer(count: batch * 32 * 32 * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * g.nextUnitFloat() - 1 }
        let ids = (0..<batch * 8).map { i in i % 8 == 7 ? Int32(1) : Int32(2 + Int(g.next() % 48)) }
        let losses = try (0..<30).map { _ in try step.run(pixels: Tensor(pixels.data, [batch, 32, 32, 3]), ids: ids).loss }
        print("tiny training losses: \(losses.first!) → \(losses.last!)")
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(losses.last! < 0.5 * losses[1], "loss \(losses[1]) → \(losses.last!) did not halve")
    }
}
