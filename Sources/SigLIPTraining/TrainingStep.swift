import SigLIPCore
import SigLIPLayers
import SigLIPModels

/// One optimisation step of a SigLIP model: zero the gradients, forward and backward of the
/// sigmoid loss, AdamW update, free the step's activations. The arena is reused, so after the
/// first step a step allocates no activation memory.
public final class TrainingStep {
    public let model: SigLIPModel
    public let optimizer: AdamW
    public let context: Context

    public init(model: SigLIPModel, optimizer: AdamW, arena: Arena = Arena()) {
        self.model = model
        self.optimizer = optimizer
        context = model.makeContext(arena: arena)
    }

    /// What a step measured.
    public struct Metrics: Sendable {
        public let loss: Float
        public let gradientNorm: Float
        public let learningRate: Float
        /// The loss's log temperature `t` and bias `b` after the update.
        public let logScale: Float
        public let bias: Float
    }

    /// pixels: [B, H, W, 3] in [-1, 1]; ids: [B, L] token ids.
    public func run(pixels: Tensor, ids: [Int32]) -> Metrics {
        model.parameters.zeroGradients()
        let loss = model.lossAndGradients(pixels: pixels, ids: ids, context).loss
        context.arena.reset()
        let report = optimizer.update(model.parameters)
        return Metrics(loss: loss, gradientNorm: report.gradientNorm, learningRate: report.learningRate,
                       logScale: context.value(model.loss.logScale)[0], bias: context.value(model.loss.bias)[0])
    }
}
