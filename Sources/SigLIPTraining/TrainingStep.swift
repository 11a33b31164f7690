import SigLIPCore
import SigLIPLayers
import SigLIPModels

/// One optimisation step of a SigLIP model: zero the gradients, forward and backward of the
/// sigmoid loss, a guard against non-finite values, AdamW update, free the step's activations.
/// The arena is reused, so after the first step a step allocates no activation memory.
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
        /// Collapse indicator: mean cosine between different images' (and texts') embeddings;
        /// near 1 means every embedding points the same way.
        public let imageCosine: Float
        public let textCosine: Float
    }

    /// The loss or the gradient norm was NaN or infinite; the parameters were not updated.
    public struct NonFiniteError: Error {
        public let loss: Float
        public let gradientNorm: Float
    }

    /// pixels: [B, H, W, 3] in [-1, 1]; ids: [B, L] token ids; the recursion rounds of each
    /// tower (nil: as configured). Throws `NonFiniteError` before updating anything.
    /// With `microBatches` > 1, the batch's towers run one micro-batch at a time against the
    /// exact loss over the whole batch (`SigLIPModel.lossAndGradients(…, microBatches:)`).
    ///
    /// With a `group` of K > 1 ranks (data parallelism, DESIGN.md §5.2) this rank's batch is
    /// its 1/K of the global batch: the loss is the sigmoid loss over all K·B pairs (the text
    /// embeddings travel around the ring, `RingSigmoidLoss`), the parameter gradients are summed
    /// over the ranks in one all-reduce, and every rank takes the same AdamW step. The metrics
    /// are the global loss and gradient norm; the collapse cosines are the ranks' mean.
    public func run(pixels: Tensor, ids: [Int32], imageRounds: Int? = nil, textRounds: Int? = nil, microBatches: Int = 1,
                    group: ProcessGroup? = nil) throws -> Metrics {
        model.parameters.zeroGradients()   // nothing to do after the previous step's update consumed them
        var ringLoss: SigLIPModel.EmbeddingLoss?
        if let group, group.size > 1 {
            ringLoss = { [model] img, txt, dImg, dTxt, ctx in
                let r = try RingSigmoidLoss.run(model.loss, images: img, texts: txt, ring: group, ctx)
                dImg.data.update(from: r.dImages, count: r.dImages.count)
                dTxt.data.update(from: r.dTexts, count: r.dTexts.count)
                return r.lossShare
            }
        }
        var loss: Float
        let images: Tensor, texts: Tensor
        if microBatches == 1, ringLoss == nil {   // the whole B × B logits at once
            let r = model.lossAndGradients(pixels: pixels, ids: ids, imageRounds: imageRounds, textRounds: textRounds, context)
            (loss, images, texts) = (r.loss, r.imageEmbeddings, r.textEmbeddings)
        } else {
            let r = try model.lossAndGradients(pixels: pixels, ids: ids, microBatches: microBatches, imageRounds: imageRounds,
                                               textRounds: textRounds, loss: ringLoss, context)
            (loss, images, texts) = (r.loss, r.imageEmbeddings, r.textEmbeddings)
        }
        var imageCosine = Self.meanPairwiseCosine(images), textCosine = Self.meanPairwiseCosine(texts)
        if let group, group.size > 1 {
            let gradients = model.parameters.gradients
            for range in model.parameters.trainableRanges {
                try group.allReduceSum(gradients.data + range.lowerBound, count: range.count)
            }
            let sums = try group.allReduceSum([Double(loss), Double(imageCosine), Double(textCosine)])
            loss = Float(sums[0])
            (imageCosine, textCosine) = (Float(sums[1] / Double(group.size)), Float(sums[2] / Double(group.size)))
        }
        context.arena.reset()
        let norm = PhaseClock.measure(.optimizer) { AdamW.globalNorm(model.parameters) }
        guard loss.isFinite, norm.isFinite else { throw NonFiniteError(loss: loss, gradientNorm: norm) }
        let report = PhaseClock.measure(.optimizer) { optimizer.update(model.parameters, gradientNorm: norm, consumingGradients: true) }
        return Metrics(loss: loss, gradientNorm: norm, learningRate: report.learningRate,
                       logScale: context.value(model.loss.logScale)[0], bias: context.value(model.loss.bias)[0],
                       imageCosine: imageCosine, textCosine: textCosine)
    }

    /// Mean cosine between different rows of L2-normalised embeddings [B, E].
    static func meanPairwiseCosine(_ e: Tensor) -> Float {
        let (n, d) = (e.rows, e.lastDimension)
        guard n > 1 else { return 1 }
        var sum = 0.0
        for i in 0..<n { for j in 0..<n where j != i { sum += Double(Vector.dot(e.data + i * d, e.data + j * d, d)) } }
        return Float(sum / Double(n * (n - 1)))
    }
}
