import Foundation
import SigLIPCore
import SigLIPLayers
import SigLIPModels
import SigLIPTestSupport
import Testing

/// Our model against Hugging Face `SiglipModel` on the committed fixtures: weights loaded
/// through our checkpoint reader, every output and every parameter gradient compared.
@Suite("Reference parity (transformers SiglipModel)") struct ReferenceParityTests {
    /// Outputs: |a - b| <= 1e-6 + 1e-5 |b| element-wise.
    static let outputAbsoluteTolerance: Float = 1e-6
    static let outputRelativeTolerance: Float = 1e-5
    /// Gradients: ‖a - b‖ <= 1e-4 ‖b‖ per tensor.
    static let gradientRelativeTolerance = 1e-4
    /// A gradient that is zero in exact arithmetic: ‖g‖ <= 1e-6 · Σ‖all gradients‖.
    static let zeroGradientTolerance = 1e-6
    /// Intermediate tensors (hidden states, pooled outputs before normalisation) are compared at
    /// |a - b| <= 1e-5 · max|b| + 1e-5 |b|: their elements near zero carry the absolute rounding
    /// error of their O(1) neighbours (the reference itself is 2e-6 from a float64 recomputation).
    static let intermediateScaledTolerance: Float = 1e-5

    struct Run {
        let model: SigLIPModel
        let context: Context   // owns the arena the result's tensors live in
        let result: SigLIPModel.StepResult
        let io: SafeTensorsFile
        let grads: SafeTensorsFile
    }

    static func run() throws -> Run {
        let dir = ReferenceFixtures.directory
        let model = try Checkpoint.load(from: dir)
        let io = try SafeTensorsFile(contentsOf: dir.appendingPathComponent("io.safetensors"))
        let grads = try SafeTensorsFile(contentsOf: dir.appendingPathComponent("grads.safetensors"))
        let nchw = try io.info("pixel_values").shape
        let pixelsNCHW = try io.floats("pixel_values")
        let ids = try io.int64s("input_ids").map { Int32($0) }
        let ctx = model.makeContext()
        let pixels = ctx.arena.tensor([nchw[0], nchw[2], nchw[3], nchw[1]])
        for b in 0..<nchw[0] { for c in 0..<nchw[1] { for y in 0..<nchw[2] { for x in 0..<nchw[3] {
            pixels.data[((b * nchw[2] + y) * nchw[3] + x) * nchw[1] + c] = pixelsNCHW[((b * nchw[1] + c) * nchw[2] + y) * nchw[3] + x]
        } } } }
        model.parameters.zeroGradients()
        let result = model.lossAndGradients(pixels: pixels, ids: ids, ctx)
        return Run(model: model, context: ctx, result: result, io: io, grads: grads)
    }

    @Test func outputsMatch() throws {
        let run = try Self.run()
        let r = run.result
        let intermediates: [(String, [Float])] = [
            ("vision_last_hidden_state", r.visionHidden.toArray()),
            ("text_last_hidden_state", r.textHidden.toArray()),
            ("image_pooled", r.imagePooled.toArray()),
            ("text_pooled", r.textPooled.toArray()),
        ]
        for (name, actual) in intermediates {
            let expected = try run.io.floats(name)
            let scale = expected.map(abs).max() ?? 0
            let c = Closeness.check(actual, expected, atol: Self.intermediateScaledTolerance * scale,
                                    rtol: Self.outputRelativeTolerance, label: name)
            print("parity \(c)")
            #expect(c.failures == 0, "\(c)")
        }
        let compared: [(String, [Float])] = [
            ("image_embeds", r.imageEmbeddings.toArray()),
            ("text_embeds", r.textEmbeddings.toArray()),
            ("logits_per_image", r.logits.toArray()),
            ("loss", [r.loss]),
        ]
        for (name, actual) in compared {
            let c = Closeness.check(actual, try run.io.floats(name), atol: Self.outputAbsoluteTolerance,
                                    rtol: Self.outputRelativeTolerance, label: name)
            print("parity \(c)")
            #expect(c.failures == 0, "\(c)")
        }
    }

    @Test func everyGradientMatches() throws {
        let run = try Self.run()
        let store = run.model.parameters
        #expect(Set(run.grads.names) == Set(store.specs.map(\.name)), "gradient fixture and model disagree on parameter names")
        let total = try store.specs.reduce(0.0) { $0 + norm(try run.grads.floats($1.name)) }
        var worst = (name: "", distance: 0.0)
        for spec in store.specs {
            let actual = Array(UnsafeBufferPointer(start: store.gradients.data + spec.offset, count: spec.count))
            let expected = try run.grads.floats(spec.name)
            if spec.name.hasSuffix("k_proj.bias") {
                // Exactly zero in exact arithmetic: softmax ignores a constant added to a row of
                // scores, so both sides hold only rounding noise. Both must be negligible.
                #expect(norm(actual) <= Self.zeroGradientTolerance * total && norm(expected) <= Self.zeroGradientTolerance * total,
                        "\(spec.name) should be ~0: ours \(norm(actual)), reference \(norm(expected)), all \(total)")
                continue
            }
            let distance = relativeNormDistance(actual, expected)
            if distance > worst.distance { worst = (spec.name, distance) }
            #expect(distance <= Self.gradientRelativeTolerance, "gradient of \(spec.name): ‖a − b‖/‖b‖ = \(distance)")
        }
        print("parity gradients: \(store.specs.count) tensors, worst ‖a − b‖/‖b‖ = \(worst.distance) (\(worst.name))")
    }
}
