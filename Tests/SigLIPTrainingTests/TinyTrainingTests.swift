import Foundation
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

    /// The data-parallel step without MPI: two ranks as threads (`InProcessRing`), each with
    /// half of a batch of 8 and its own copy of the model, take after 4 steps the parameters
    /// one process takes on the whole batch (within 1e-5 of the largest parameter), and report
    /// its losses (1e-5 relative).
    @Test func twoRankStepsEqualTheWholeBatchStep() throws {
        @Sendable func makeStep() throws -> TrainingStep {
            var vision = ImageTowerConfig()
            (vision.width, vision.mlpWidth, vision.depth, vision.heads) = (48, 96, 1, 3)
            (vision.imageSize, vision.patchSize) = (16, 8)
            var text = TextTowerConfig()
            (text.width, text.mlpWidth, text.depth, text.heads) = (48, 96, 1, 3)
            (text.vocabularySize, text.length) = (50, 8)
            let model = try SigLIPModel(config: SigLIPConfig(vision: vision, text: text))
            model.initialize(seed: 4)
            var settings = AdamW.Settings()
            settings.learningRate = 3e-3
            return TrainingStep(model: model, optimizer: AdamW(parameters: model.parameters, settings: settings,
                                                               schedule: WarmupCosineSchedule(warmupSteps: 0, totalSteps: 4)))
        }
        let (batch, pixelsPer, length) = (8, 16 * 16 * 3, 8)
        var g = SeededGenerator(seed: 5)
        let pixels = FloatBuffer(count: batch * pixelsPer)
        for i in 0..<pixels.count { pixels.data[i] = 2 * g.nextUnitFloat() - 1 }
        let ids = (0..<batch * length).map { i in i % length == length - 1 ? Int32(1) : Int32(2 + Int(g.next() % 48)) }
        let whole = try makeStep()
        let losses = try (0..<4).map { _ in try whole.run(pixels: Tensor(pixels.data, [batch, 16, 16, 3]), ids: ids).loss }

        let group = InProcessRing.Group(size: 2)
        final class Results: @unchecked Sendable {   // written under `lock` by the rank threads
            let lock = NSLock()
            var losses = [[Float]](repeating: [], count: 2), parameters = [[Float]](repeating: [], count: 2)
        }
        let results = Results()
        let finished = DispatchGroup()
        for r in 0..<2 {
            finished.enter()
            Thread {
                defer { finished.leave() }
                guard let step = try? makeStep() else { return }
                let half = batch / 2
                let mine = Tensor(pixels.data + r * half * pixelsPer, [half, 16, 16, 3])
                let myIDs = Array(ids[(r * half * length)..<((r + 1) * half * length)])
                let l = (0..<4).compactMap { _ in try? step.run(pixels: mine, ids: myIDs, group: group.ring(r)).loss }
                results.lock.lock()
                (results.losses[r], results.parameters[r]) = (l, Array(step.model.parameters.values.buffer))
                results.lock.unlock()
            }.start()
        }
        #expect(finished.wait(timeout: .now() + 120) == .success, "the ranks did not finish")
        let rankLosses = results.losses
        var rankParameters = results.parameters
        // The key projections' biases are left out: their gradient is zero in exact arithmetic (a
        // shift shared by every key does not change the softmax), so what they receive is rounding
        // noise, which Adam scales up to steps of ±lr whose signs depend on the summation order.
        let keyBiases = whole.model.parameters.specs.filter { $0.name.hasSuffix("k_proj.bias") }
        func comparable(_ values: [Float]) -> [Float] {
            var v = values
            for spec in keyBiases { for i in spec.offset..<(spec.offset + spec.count) { v[i] = 0 } }
            return v
        }
        let reference = comparable(Array(whole.model.parameters.values.buffer))
        rankParameters = rankParameters.map(comparable)
        let scale = reference.map { abs($0) }.max()!
        for r in 0..<2 {
            try #require(rankLosses[r].count == 4 && rankParameters[r].count == reference.count, "rank \(r) failed")
            for (a, b) in zip(rankLosses[r], losses) { #expect(abs(a - b) <= 1e-5 * abs(b), "rank \(r): loss \(a) vs \(b)") }
            let worst = zip(rankParameters[r], reference).map { abs($0 - $1) }.max()!
            let at = zip(rankParameters[r], reference).map { abs($0 - $1) }.firstIndex(of: worst)!
            let name = whole.model.parameters.specs.first { (($0.offset)..<($0.offset + $0.count)).contains(at) }?.name ?? "?"
            #expect(worst <= 1e-5 * scale, "rank \(r): parameters differ by \(worst) at \(name) \(rankParameters[r][at]) vs \(reference[at])")
        }
        #expect(rankParameters[0] == rankParameters[1], "the ranks' parameters must be identical")
    }
}
