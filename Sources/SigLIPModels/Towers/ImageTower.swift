import SigLIPCore
import SigLIPLayers

/// The ViT image tower: patch embedding + position embedding → encoder → `post_layernorm` →
/// MAP head. Pixels [B, H, W, 3] in [-1, 1] → embedding [B, D]. Names under `vision_model.`.
public struct ImageTower {
    public let config: ImageTowerConfig
    public let patchEmbedding: PatchEmbedding
    public let positionEmbedding: PositionEmbedding
    public let encoder: TransformerEncoder
    public let postNorm: LayerNorm
    public let head: MAPHead

    public init(_ layout: ParameterLayout, config: ImageTowerConfig, prefix: String = "vision_model") {
        self.config = config
        let d = config.width
        patchEmbedding = PatchEmbedding(layout, "\(prefix).embeddings.patch_embedding", patchSize: config.patchSize,
                                        channels: config.channels, width: d)
        positionEmbedding = PositionEmbedding(layout, "\(prefix).embeddings.position_embedding", positions: config.tokens, width: d)
        encoder = TransformerEncoder(layout, "\(prefix).encoder", depth: config.depth, width: d,
                                     heads: config.heads, mlpWidth: config.mlpWidth,
                                     epsilon: config.layerNormEpsilon, adapter: config.recursion.adapter,
                                     adapterRounds: config.recursion.adapterRounds)
        postNorm = LayerNorm(layout, "\(prefix).post_layernorm", width: d, epsilon: config.layerNormEpsilon)
        head = MAPHead(layout, "\(prefix).head", width: d, heads: config.heads, mlpWidth: config.mlpWidth,
                       epsilon: config.layerNormEpsilon)
    }

    public struct Cache {
        let patches: PatchEmbedding.Cache
        let encoder: TransformerEncoder.Cache
        let postNorm: LayerNorm.Cache
        let head: MAPHead.Cache
        public let lastHiddenState: Tensor   // [B, N, D], after post_layernorm
        /// Whether the backward reaches the embeddings (no part of the tower is locked).
        let trainsEmbeddings: Bool
    }

    /// The encoder plan for `rounds` recursion rounds (nil: the configured training rounds).
    public func plan(rounds: Int? = nil) -> [EncoderStep] {
        config.recursion.plan(depth: config.depth, rounds: rounds)
    }

    /// pixels: [B, H, W, C] → embedding [B, D] (not normalised), running `rounds` recursion
    /// rounds (nil: the configured rounds).
    /// `keepActivations: false` (inference) frees each block's activations as it goes; the
    /// cache then cannot be used for a backward. `lockedSteps` n (a partly locked tower,
    /// `TowerLock`): the embeddings and the first n plan steps are locked, run forward only.
    public func forward(_ pixels: Tensor, rounds: Int? = nil, keepActivations: Bool = true, lockedSteps: Int? = nil,
                        _ ctx: Context) -> (Tensor, Cache) {
        precondition(pixels.shape.count == 4 && pixels.shape[1] == config.imageSize && pixels.shape[2] == config.imageSize,
                     "pixels \(pixels.shape) do not match the tower's \(config.imageSize)×\(config.imageSize) input")
        let (tokens, pc) = patchEmbedding.forward(pixels, ctx)
        positionEmbedding.forward(tokens, ctx)
        let (encoded, ec) = encoder.forward(tokens, plan: plan(rounds: rounds), keepActivations: keepActivations,
                                            forwardOnlySteps: lockedSteps ?? 0, ctx)
        let (normed, nc) = postNorm.forward(encoded, ctx)
        let (pooled, hc) = head.forward(normed, ctx)
        return (pooled, Cache(patches: pc, encoder: ec, postNorm: nc, head: hc, lastHiddenState: normed,
                              trainsEmbeddings: lockedSteps == nil))
    }

    /// dEmbedding: [B, D]; accumulates the gradients of the tower's parameters (those the
    /// forward's `lockedSteps` left unlocked).
    public func backward(_ dEmbedding: Tensor, _ cache: Cache, _ ctx: Context) {
        let shape = cache.lastHiddenState.shape
        let dNormed = ctx.arena.tensor(shape)
        head.backward(dEmbedding, cache.head, into: dNormed, .overwrite, ctx)
        let dEncoded = ctx.arena.tensor(shape)
        postNorm.backward(dNormed, cache.postNorm, into: dEncoded, .overwrite, ctx)
        let dTokens = ctx.arena.tensor(shape)
        encoder.backward(dEncoded, cache.encoder, into: dTokens, .overwrite, ctx)
        guard cache.trainsEmbeddings else { return }
        positionEmbedding.backward(dTokens, ctx)
        patchEmbedding.backward(dTokens, cache.patches, ctx)
    }
}
