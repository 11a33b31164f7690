import Foundation
import SigLIPCore
import SigLIPLayers
import SigLIPModels
import Testing

/// A tiny two-tower configuration with odd sizes.
func tinyConfig() -> SigLIPConfig {
    var vision = ImageTowerConfig()
    (vision.width, vision.mlpWidth, vision.depth, vision.heads) = (12, 10, 2, 3)
    (vision.imageSize, vision.patchSize) = (12, 4)
    var text = TextTowerConfig()
    (text.width, text.mlpWidth, text.depth, text.heads) = (8, 14, 2, 2)
    (text.vocabularySize, text.length, text.projectionWidth) = (23, 5, 12)
    return SigLIPConfig(vision: vision, text: text)
}

@Suite("Models") struct ModelTests {
    /// Parameter counts of the presets equal those of `transformers.SiglipModel` built from the
    /// same config (torch 2.15, transformers 5.24): B/16-224 with a B text tower (V 32000,
    /// L 64) has 203,155,970 parameters, 92,884,224 of them in the image tower.
    @Test func presetParameterCountsMatchTransformers() throws {
        for (preset, total, visionOnly) in [("B/16", 203_155_970, 92_884_224), ("Ti/16", 17_500_802, 5_968_704)] {
            let vision = try ImageTowerConfig(preset: preset, imageSize: 224)
            let text = try TextTowerConfig(preset: preset, vocabularySize: 32000, length: 64)
            let model = try SigLIPModel(config: SigLIPConfig(vision: vision, text: text))
            #expect(model.parameters.count == total, "\(preset)")
            let visionCount = model.parameters.specs.filter { $0.name.hasPrefix("vision_model.") }.reduce(0) { $0 + $1.count }
            #expect(visionCount == visionOnly, "\(preset) image tower")
        }
        #expect(throws: ConfigError.self) { try ImageTowerConfig(preset: "Q/16", imageSize: 224) }
        let so400m = try ViTVariant.parse("So400m/14")
        #expect(so400m.variant == .so400m && so400m.patchSize == 14)
    }

    /// The whole two-tower model with the loss, against finite differences (see
    /// `GradientCheck` in the layer tests for the method; same tolerances).
    @Test func wholeModelGradientsMatchFiniteDifferences() throws {
        let model = try SigLIPModel(config: tinyConfig())
        model.initialize(seed: 3)
        var g = SeededGenerator(seed: 4)
        for spec in model.parameters.specs where spec.role == .bias || spec.role == .normBias {
            for i in 0..<spec.count { model.parameters.values.data[spec.offset + i] = 0.1 * g.nextNormal() }
        }
        model.parameters.value(model.loss.bias)[0] = -1
        let batch = 3
        let pixels = FloatBuffer(count: batch * 12 * 12 * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * g.nextUnitFloat() - 1 }
        let pixelTensor = Tensor(pixels.data, [batch, 12, 12, 3])
        let ids: [Int32] = [5, 9, 2, 17, 1, 3, 1, 1, 1, 1, 22, 4, 8, 8, 1]
        let ctx = model.makeContext()
        model.parameters.zeroGradients()
        _ = model.lossAndGradients(pixels: pixelTensor, ids: ids, ctx)
        ctx.arena.reset()
        // ε = 1e-3: the whole model is curved enough that 1e-2 steps bias central differences
        // by up to 12% (seen on the patch kernel); at 1e-3 the worst relative error is ~0.5%.
        let eps: Float = 1e-3
        var failures: [String] = []
        var worst = (name: "", relative: 0.0)
        for spec in model.parameters.specs {
            if spec.name.hasSuffix("k_proj.bias") { continue }   // exactly zero gradient: checked below
            let value = model.parameters.values.data + spec.offset, grad = model.parameters.gradients.data + spec.offset
            let v = (0..<spec.count).map { _ in g.nextNormal() }
            let analytic = (0..<spec.count).reduce(0.0) { $0 + Double(grad[$1]) * Double(v[$1]) }
            let saved = Array(UnsafeBufferPointer(start: value, count: spec.count))
            func loss(_ sign: Float) -> Double {
                for i in 0..<spec.count { value[i] = saved[i] + sign * eps * v[i] }
                let mark = ctx.arena.mark()
                defer { ctx.arena.release(to: mark) }
                let img = model.encodeImages(pixelTensor, ctx), txt = model.encodeTexts(ids, batch: batch, ctx)
                return Double(SigmoidLoss.loss(logits: model.loss.logits(images: img, texts: txt, ctx)))
            }
            let numeric = (loss(1) - loss(-1)) / (2 * Double(eps))
            for i in 0..<spec.count { value[i] = saved[i] }
            let diff = abs(numeric - analytic)
            worst = diff / max(abs(analytic), 1e-3) > worst.relative ? (spec.name, diff / max(abs(analytic), 1e-3)) : worst
            if diff > 2e-3 + 1e-2 * max(abs(analytic), abs(numeric)) {
                failures.append("\(spec.name): analytic \(analytic), numeric \(numeric)")
            }
        }
        print("whole-model gradient check: \(model.parameters.specs.count) tensors, worst relative \(worst.relative) (\(worst.name))")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        for spec in model.parameters.specs where spec.name.hasSuffix("k_proj.bias") {
            let grad = UnsafeBufferPointer(start: model.parameters.gradients.data + spec.offset, count: spec.count)
            #expect(grad.allSatisfy { abs($0) < 1e-6 }, "\(spec.name) gradient must vanish")
        }
    }

    @Test func forwardIsDeterministicAndBatchIndependent() throws {
        let model = try SigLIPModel(config: tinyConfig())
        model.initialize(seed: 5)
        var g = SeededGenerator(seed: 6)
        let pixels = FloatBuffer(count: 2 * 12 * 12 * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * g.nextUnitFloat() - 1 }
        let ctx = model.makeContext()
        let both = model.encodeImages(Tensor(pixels.data, [2, 12, 12, 3]), ctx).toArray()
        let second = model.encodeImages(Tensor(pixels.data + 12 * 12 * 3, [1, 12, 12, 3]), ctx).toArray()
        // Equal up to GEMM rounding (BLAS blocks differently for other row counts).
        for (a, b) in zip(both[12...], second) { #expect(abs(a - b) <= 1e-6, "an image's embedding must not depend on the rest of the batch") }
        let again = model.encodeImages(Tensor(pixels.data, [2, 12, 12, 3]), ctx).toArray()
        #expect(again == both, "the same batch must give the same bits")
    }

    /// An inference context (weights kept packed between passes) gives the bits of a plain one,
    /// pass after pass, and follows the weights when they all change (new initial values, as
    /// an optimiser step or a checkpoint load would change them).
    @Test func inferenceContextGivesThePlainContextsBits() throws {
        let model = try SigLIPModel(config: tinyConfig())
        var g = SeededGenerator(seed: 7)
        let pixels = FloatBuffer(count: 2 * 12 * 12 * 3)
        for i in 0..<pixels.count { pixels.data[i] = 2 * g.nextUnitFloat() - 1 }
        let images = Tensor(pixels.data, [2, 12, 12, 3]), ids: [Int32] = [3, 9, 1, 1, 1, 4, 4, 20, 2, 1]
        let inference = model.makeInferenceContext()
        for seed in [8, 9] as [UInt64] {
            model.initialize(seed: seed)
            let plain = model.makeContext()
            let expected = model.encodeImages(images, plain).toArray() + model.encodeTexts(ids, batch: 2, plain).toArray()
            for pass in 1...2 {
                let kept = model.encodeImages(images, inference).toArray() + model.encodeTexts(ids, batch: 2, inference).toArray()
                #expect(kept.map(\.bitPattern) == expected.map(\.bitPattern), "seed \(seed), pass \(pass)")
                inference.arena.reset()
            }
        }
        // Where our driver computes the towers' products (the routing's choice here), it kept them.
        let packedWeights = try #require(inference.packedWeights)
        if GEMMBackend.selected.computing(.none, .transposed, m: 18, k: 12, n: 36) == .vectorKernels {
            #expect(packedWeights.count > 0 && packedWeights.reuses > 0, "\(packedWeights.count) kept, \(packedWeights.reuses) reused")
        }
    }
}

@Suite("Text padding mask") struct PaddingMaskTests {
    func maskedConfig() -> SigLIPConfig {
        var c = recursiveConfig(RecursionConfig())
        c.textTower.maskPadding = true
        c.textTower.eosID = 1
        return c
    }

    /// With `mask_padding`, what follows a text's first EOS cannot change its embedding.
    @Test func paddingIsIgnored() throws {
        let model = try SigLIPModel(config: maskedConfig())
        model.initialize(seed: 30)
        let ctx = model.makeContext()
        let a = model.encodeTexts([5, 9, 1, 1, 1], batch: 1, ctx).toArray()
        let b = model.encodeTexts([5, 9, 1, 7, 3], batch: 1, ctx).toArray()
        #expect(a == b)
        let unmasked = try SigLIPModel(config: recursiveConfig(RecursionConfig()))
        unmasked.parameters.values.data.update(from: model.parameters.values.data, count: model.parameters.count)
        let c = unmasked.encodeTexts([5, 9, 1, 1, 1], batch: 1, ctx).toArray()
        #expect(a != c, "without the mask, padding takes part in attention")
        #expect(String(decoding: try model.config.jsonData(), as: UTF8.self).contains("\"mask_padding\" : true"))
    }

    @Test func gradientsWithPaddingMask() throws {
        let model = try SigLIPModel(config: maskedConfig())
        model.initialize(seed: 31)
        model.parameters.value(model.loss.bias)[0] = -1
        try expectGradientsMatchFiniteDifferences(model, label: "mask_padding")
    }
}
