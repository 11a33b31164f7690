import SigLIPBase
import SigLIPCore
import SigLIPLayers

/// The two-tower SigLIP model: an image tower, a text tower and the sigmoid loss, with all
/// parameters in one `ParameterStore` named as in Hugging Face checkpoints.
public final class SigLIPModel {
    public let config: SigLIPConfig
    public let parameters: ParameterStore
    public let imageTower: ImageTower
    public let textTower: TextTower
    public let loss: SigmoidLoss
    /// The tower training leaves as it is (nil: both train), see `lock(_:)`.
    public private(set) var towerLock: TowerLock?

    /// Builds the model with zeroed parameters; call `initialize(seed:)` or load a checkpoint.
    public init(config: SigLIPConfig) throws {
        try config.validate()
        self.config = config
        let layout = ParameterLayout()
        imageTower = ImageTower(layout, config: config.imageTower)
        textTower = TextTower(layout, config: config.textTower)
        loss = SigmoidLoss(layout)
        // Weights and gradients, checked before they are allocated.
        try MemoryEstimate.model(parameterCount: layout.totalCount).check("the model configuration (\(layout.totalCount) parameters)")
        parameters = ParameterStore(layout: layout)
    }

    /// Initialises every parameter for training from scratch (DESIGN.md §4.8), reproducibly from `seed`.
    public func initialize(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        parameters.initialize(using: &generator)
    }

    /// Locks a tower for training (LiT, DESIGN.md §5.4; nil: unlocks): its locked weights become
    /// untrainable in the parameter store, and the training passes below run it forward only up
    /// to its first unlocked block. Call before making an optimiser over the parameters.
    public func lock(_ lock: TowerLock?) throws {
        if let lock {
            let (depth, recursion) = lock.tower == .image
                ? (config.imageTower.depth, config.imageTower.recursion) : (config.textTower.depth, config.textTower.recursion)
            try lock.check(depth: depth, recursion: recursion)
            parameters.setTrainable { !lock.locks($0.name, depth: depth) }
        } else {
            parameters.setTrainable { _ in true }
        }
        towerLock = lock
    }

    /// How a training pass runs one tower under the lock.
    struct TowerPass {
        /// nil: nothing locked; n: the embeddings and the first n plan steps are locked.
        let lockedSteps: Int?
        /// False for a wholly locked tower: forward only, no activations kept, no backward.
        let trains: Bool
    }

    func pass(_ tower: TowerLock.Tower, rounds: Int?) -> TowerPass {
        guard let lock = towerLock, lock.tower == tower else { return TowerPass(lockedSteps: nil, trains: true) }
        let steps = tower == .image
            ? lock.lockedSteps(of: imageTower.plan(rounds: rounds), depth: config.imageTower.depth)
            : lock.lockedSteps(of: textTower.plan(rounds: rounds), depth: config.textTower.depth)
        return TowerPass(lockedSteps: steps, trains: steps != nil)
    }

    /// A context over this model's parameters with a fresh arena.
    public func makeContext(arena: Arena = Arena()) -> Context { Context(parameters: parameters, arena: arena) }

    /// A context for inference, with a fresh arena, that keeps the weights packed for our GEMM
    /// driver from one forward pass to the next (`PackedWeights`: as much memory again as the
    /// weights used; a weight changed by training or a checkpoint load is packed again).
    public func makeInferenceContext(arena: Arena = Arena()) -> Context {
        Context(parameters: parameters, arena: arena, packedWeights: PackedWeights())
    }

    /// Normalised image embeddings. pixels: [B, H, W, 3] → [B, E]. `rounds`: recursion rounds
    /// of the image tower (nil: as configured).
    public func encodeImages(_ pixels: Tensor, rounds: Int? = nil, _ ctx: Context) -> Tensor {
        L2Normalize.forward(imageTower.forward(pixels, rounds: rounds, keepActivations: false, ctx).0, ctx)
    }

    /// Normalised text embeddings. ids: [B, L] → [B, E]. `rounds`: recursion rounds of the text
    /// tower (nil: as configured).
    public func encodeTexts(_ ids: [Int32], batch: Int, rounds: Int? = nil, _ ctx: Context) -> Tensor {
        L2Normalize.forward(textTower.forward(ids, batch: batch, rounds: rounds, keepActivations: false, ctx).0, ctx)
    }

    /// Everything one training step computes (all tensors live in the context's arena).
    public struct StepResult {
        public let loss: Float
        public let logits: Tensor            // [B, B], images × texts
        public let imageEmbeddings: Tensor   // [B, E], normalised
        public let textEmbeddings: Tensor    // [B, E], normalised
        public let imagePooled: Tensor       // [B, E], before normalisation
        public let textPooled: Tensor        // [B, E]
        public let visionHidden: Tensor      // [B, N, D]
        public let textHidden: Tensor        // [B, L, D]
    }

    /// Forward and backward of the sigmoid loss on a batch of B matching (image, text) pairs,
    /// with the given recursion rounds per tower (nil: as configured; stochastic RINS draws them
    /// per step, see `drawTrainingRounds`). Gradients ACCUMULATE into `parameters.gradients`
    /// (zero them once per step).
    public func lossAndGradients(pixels: Tensor, ids: [Int32], imageRounds: Int? = nil, textRounds: Int? = nil,
                                 _ ctx: Context) -> StepResult {
        let batch = pixels.shape[0]
        let imagePass = pass(.image, rounds: imageRounds), textPass = pass(.text, rounds: textRounds)
        let (imagePooled, vc) = imageTower.forward(pixels, rounds: imageRounds, keepActivations: imagePass.trains,
                                                   lockedSteps: imagePass.lockedSteps, ctx)
        let (textPooled, tc) = textTower.forward(ids, batch: batch, rounds: textRounds, keepActivations: textPass.trains,
                                                 lockedSteps: textPass.lockedSteps, ctx)
        let img = L2Normalize.forward(imagePooled, ctx), txt = L2Normalize.forward(textPooled, ctx)
        let logits = loss.logits(images: img, texts: txt, ctx)
        let value = SigmoidLoss.loss(logits: logits)

        let dLogits = SigmoidLoss.logitGradient(logits: logits, ctx)
        let dImg = ctx.arena.tensor(img.shape), dTxt = ctx.arena.tensor(txt.shape)
        loss.backward(dLogits, images: img, texts: txt, into: dImg, dTxt, .overwrite, ctx)
        if textPass.trains {
            let dTextPooled = ctx.arena.tensor(textPooled.shape)
            L2Normalize.backward(dTxt, input: textPooled, into: dTextPooled, .overwrite, ctx)
            textTower.backward(dTextPooled, tc, ctx)
        }
        if imagePass.trains {
            let dImagePooled = ctx.arena.tensor(imagePooled.shape)
            L2Normalize.backward(dImg, input: imagePooled, into: dImagePooled, .overwrite, ctx)
            imageTower.backward(dImagePooled, vc, ctx)
        }
        return StepResult(loss: value, logits: logits, imageEmbeddings: img, textEmbeddings: txt, imagePooled: imagePooled,
                          textPooled: textPooled, visionHidden: vc.lastHiddenState, textHidden: tc.lastHiddenState)
    }

    /// What an accumulated step computes: the loss over all B pairs and their embeddings.
    public struct AccumulatedResult {
        public let loss: Float
        public let imageEmbeddings: Tensor   // [B, E], normalised
        public let textEmbeddings: Tensor    // [B, E]
    }

    /// The loss over a batch's normalised embeddings `images`, `texts` [B, E]: returns the loss,
    /// writes ∂loss/∂images and ∂loss/∂texts into `dImages`, `dTexts` (zeroed, [B, E]) and
    /// accumulates ∂loss/∂t, ∂loss/∂b into the context's gradients. `SigLIPModel.blockLoss` is
    /// the loss over the batch itself; the data-parallel trainer passes the ring loss over every
    /// rank's batch (`RingSigmoidLoss`).
    public typealias EmbeddingLoss = (_ images: Tensor, _ texts: Tensor, _ dImages: Tensor, _ dTexts: Tensor, _ ctx: Context) throws -> Float

    /// The sigmoid loss over all B × B pairs of the embeddings, one (B / microBatches)² block of
    /// logits at a time (`SigmoidLoss.blockLossAndGradients`): the whole loss, not a sum of
    /// per-micro-batch losses.
    public func blockLoss(microBatches: Int) -> EmbeddingLoss {
        { [loss] img, txt, dImg, dTxt, ctx in
            let (batch, e) = (img.rows, img.lastDimension)
            let n = batch / microBatches
            var total = 0.0
            for i in 0..<microBatches {
                for j in 0..<microBatches {
                    total += Double(loss.blockLossAndGradients(
                        images: Tensor(img.data + i * n * e, [n, e]), texts: Tensor(txt.data + j * n * e, [n, e]), positives: i == j,
                        batch: batch, into: Tensor(dImg.data + i * n * e, [n, e]), Tensor(dTxt.data + j * n * e, [n, e]), .accumulate, ctx))
                }
            }
            return Float(total)
        }
    }

    /// The exact sigmoid loss over a batch of B pairs, and its gradients, holding the towers'
    /// activations of only one of `microBatches` micro-batches (of B / microBatches pairs) at a
    /// time (DESIGN.md §5.1):
    ///
    /// 1. every micro-batch's embeddings, without keeping activations;
    /// 2. `embeddingLoss` over all B embeddings (by default the loss over all B × B logits,
    ///    `blockLoss`), and its gradient with respect to every embedding (and t, b);
    /// 3. per micro-batch, the towers again with activations, and their backward from that
    ///    micro-batch's rows of the embedding gradients (a wholly locked tower is not run again).
    ///
    /// With one micro-batch the towers run once, keeping their activations through step 2.
    /// Equal to `lossAndGradients` on the whole batch up to float rounding (a test holds the
    /// difference). Gradients ACCUMULATE into `parameters.gradients`. Beyond one micro-batch's
    /// activations the arena keeps only the B × E embeddings, their gradients and what the
    /// embedding loss needs (one block of (B / microBatches)² logits by default).
    public func lossAndGradients(pixels: Tensor, ids: [Int32], microBatches: Int, imageRounds: Int? = nil, textRounds: Int? = nil,
                                 loss embeddingLoss: EmbeddingLoss? = nil, _ ctx: Context) throws -> AccumulatedResult {
        let batch = pixels.shape[0], length = config.textTower.length
        precondition(microBatches >= 1 && batch % microBatches == 0, "batch \(batch) does not split into \(microBatches) micro-batches")
        let embeddingLoss = embeddingLoss ?? blockLoss(microBatches: microBatches)
        let n = batch / microBatches, e = config.imageTower.width
        let pixelsPer = pixels.count / batch
        func pixelSlice(_ k: Int) -> Tensor { Tensor(pixels.data + k * n * pixelsPer, [n] + pixels.shape.dropFirst()) }
        func idSlice(_ k: Int) -> [Int32] { Array(ids[(k * n * length)..<((k + 1) * n * length)]) }
        let imagePass = pass(.image, rounds: imageRounds), textPass = pass(.text, rounds: textRounds)
        func image(_ pixels: Tensor, keep: Bool) -> (Tensor, ImageTower.Cache) {
            imageTower.forward(pixels, rounds: imageRounds, keepActivations: keep, lockedSteps: imagePass.lockedSteps, ctx)
        }
        func text(_ ids: [Int32], batch: Int, keep: Bool) -> (Tensor, TextTower.Cache) {
            textTower.forward(ids, batch: batch, rounds: textRounds, keepActivations: keep, lockedSteps: textPass.lockedSteps, ctx)
        }
        /// The backward of micro-batch k's trained towers, from their forward (nil: locked).
        func backward(_ k: Int, _ dImg: Tensor, _ dTxt: Tensor, image: (Tensor, ImageTower.Cache)?, text: (Tensor, TextTower.Cache)?) {
            if let image {
                let dImagePooled = ctx.arena.tensor(image.0.shape)
                L2Normalize.backward(Tensor(dImg.data + k * n * e, [n, e]), input: image.0, into: dImagePooled, .overwrite, ctx)
                imageTower.backward(dImagePooled, image.1, ctx)
            }
            if let text {
                let dTextPooled = ctx.arena.tensor(text.0.shape)
                L2Normalize.backward(Tensor(dTxt.data + k * n * e, [n, e]), input: text.0, into: dTextPooled, .overwrite, ctx)
                textTower.backward(dTextPooled, text.1, ctx)
            }
        }
        if microBatches == 1 {
            let imageOut = image(pixels, keep: imagePass.trains)
            let textOut = text(ids, batch: batch, keep: textPass.trains)
            let img = L2Normalize.forward(imageOut.0, ctx), txt = L2Normalize.forward(textOut.0, ctx)
            let dImg = ctx.arena.zeros(img.shape), dTxt = ctx.arena.zeros(txt.shape)
            let value = try embeddingLoss(img, txt, dImg, dTxt, ctx)
            backward(0, dImg, dTxt, image: imagePass.trains ? imageOut : nil, text: textPass.trains ? textOut : nil)
            return AccumulatedResult(loss: value, imageEmbeddings: img, textEmbeddings: txt)
        }
        let img = ctx.arena.tensor([batch, e]), txt = ctx.arena.tensor([batch, e])
        for k in 0..<microBatches {
            let mark = ctx.arena.mark()
            let i = L2Normalize.forward(image(pixelSlice(k), keep: false).0, ctx)
            let t = L2Normalize.forward(text(idSlice(k), batch: n, keep: false).0, ctx)
            (img.data + k * n * e).update(from: i.data, count: n * e)
            (txt.data + k * n * e).update(from: t.data, count: n * e)
            ctx.arena.release(to: mark)
        }
        let dImg = ctx.arena.zeros(img.shape), dTxt = ctx.arena.zeros(txt.shape)
        let value = try embeddingLoss(img, txt, dImg, dTxt, ctx)
        for k in 0..<microBatches {
            let mark = ctx.arena.mark()
            backward(k, dImg, dTxt, image: imagePass.trains ? image(pixelSlice(k), keep: true) : nil,
                     text: textPass.trains ? text(idSlice(k), batch: n, keep: true) : nil)
            ctx.arena.release(to: mark)
        }
        return AccumulatedResult(loss: value, imageEmbeddings: img, textEmbeddings: txt)
    }
}
