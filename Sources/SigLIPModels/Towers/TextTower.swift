import SigLIPCore
import SigLIPLayers

/// The text transformer: token + position embedding → encoder → `final_layer_norm` → the
/// last token → `head` (Dense D → embedding size). Token ids [B, L] → embedding [B, E].
/// Names under `text_model.`.
public struct TextTower {
    public let config: TextTowerConfig
    public let tokenEmbedding: TokenEmbedding
    public let positionEmbedding: PositionEmbedding
    public let encoder: TransformerEncoder
    public let finalNorm: LayerNorm
    public let head: Linear

    public init(_ layout: ParameterLayout, config: TextTowerConfig, prefix: String = "text_model") {
        self.config = config
        let d = config.width
        tokenEmbedding = TokenEmbedding(layout, "\(prefix).embeddings.token_embedding", vocabularySize: config.vocabularySize, width: d)
        positionEmbedding = PositionEmbedding(layout, "\(prefix).embeddings.position_embedding",
                                              positions: config.length, width: d)
        encoder = TransformerEncoder(layout, "\(prefix).encoder", depth: config.depth, width: d,
                                     heads: config.heads, mlpWidth: config.mlpWidth,
                                     epsilon: config.layerNormEpsilon, adapter: config.recursion.adapter,
                                     adapterRounds: config.recursion.adapterRounds)
        finalNorm = LayerNorm(layout, "\(prefix).final_layer_norm", width: d, epsilon: config.layerNormEpsilon)
        head = Linear(layout, "\(prefix).head", in: d, out: config.embeddingWidth, weightInit: .lecunNormal(fanIn: d))
    }

    public struct Cache {
        let ids: [Int32]
        let poolPositions: [Int]?
        let encoder: TransformerEncoder.Cache
        let finalNorm: LayerNorm.Cache
        let pooled: Tensor
        public let lastHiddenState: Tensor   // [B, L, D], after final_layer_norm
        /// Whether the backward reaches the embeddings (no part of the tower is locked).
        let trainsEmbeddings: Bool
    }

    /// The encoder plan for `rounds` recursion rounds (nil: the configured training rounds).
    public func plan(rounds: Int? = nil) -> [EncoderStep] {
        config.recursion.plan(depth: config.depth, rounds: rounds)
    }

    /// ids: [B, L] row-major (L = max_position_embeddings) → embedding [B, E] (not normalised),
    /// running `rounds` recursion rounds (nil: the configured rounds).
    /// `keepActivations: false` (inference) frees each block's activations as it goes; the
    /// cache then cannot be used for a backward. `lockedSteps` n (a partly locked tower,
    /// `TowerLock`): the embeddings and the first n plan steps are locked, run forward only.
    public func forward(_ ids: [Int32], batch: Int, rounds: Int? = nil, keepActivations: Bool = true, lockedSteps: Int? = nil,
                        _ ctx: Context) -> (Tensor, Cache) {
        let length = config.length
        precondition(ids.count == batch * length, "text tower expects \(batch)×\(length) token ids, got \(ids.count)")
        let x = tokenEmbedding.forward(ids, batch: batch, length: length, ctx)
        positionEmbedding.forward(x, ctx)
        let positions = config.maskPadding ? eosPositions(ids, batch: batch) : nil
        let mask = positions.map { keyMask(lastRealToken: $0, ctx) }
        let (encoded, ec) = encoder.forward(x, plan: plan(rounds: rounds), keyMask: mask, keepActivations: keepActivations,
                                            forwardOnlySteps: lockedSteps ?? 0, ctx)
        let (normed, nc) = finalNorm.forward(encoded, ctx)
        let pooled = LastTokenPooling.forward(normed, positions: positions, ctx)
        let y = head.forward(pooled, ctx)
        return (y, Cache(ids: ids, poolPositions: positions, encoder: ec, finalNorm: nc, pooled: pooled, lastHiddenState: normed,
                         trainsEmbeddings: lockedSteps == nil))
    }

    /// Each text's first EOS position (its last real token); L-1 when there is none.
    func eosPositions(_ ids: [Int32], batch: Int) -> [Int] {
        let length = config.length, eos = Int32(config.eosID)
        return (0..<batch).map { b in (0..<length).first { ids[b * length + $0] == eos } ?? length - 1 }
    }

    /// [B, L]: 0 up to each text's last real token, -inf after it (the padding).
    func keyMask(lastRealToken positions: [Int], _ ctx: Context) -> Tensor {
        let length = config.length
        let mask = ctx.arena.tensor([positions.count, length])
        for (b, p) in positions.enumerated() {
            for j in 0..<length { mask.data[b * length + j] = j <= p ? 0 : -.infinity }
        }
        return mask
    }

    /// dEmbedding: [B, E]; accumulates the gradients of the tower's parameters (those the
    /// forward's `lockedSteps` left unlocked).
    public func backward(_ dEmbedding: Tensor, _ cache: Cache, _ ctx: Context) {
        let dPooled = ctx.arena.tensor(cache.pooled.shape)
        head.backward(dEmbedding, input: cache.pooled, into: dPooled, .overwrite, ctx)
        let shape = cache.lastHiddenState.shape
        let dNormed = ctx.arena.tensor(shape)
        LastTokenPooling.backward(dPooled, positions: cache.poolPositions, into: dNormed, .overwrite, ctx)
        let dEncoded = ctx.arena.tensor(shape)
        finalNorm.backward(dNormed, cache.finalNorm, into: dEncoded, .overwrite, ctx)
        let dx = ctx.arena.tensor(shape)
        encoder.backward(dEncoded, cache.encoder, into: dx, .overwrite, ctx)
        guard cache.trainsEmbeddings else { return }
        positionEmbedding.backward(dx, ctx)
        tokenEmbedding.backward(dx, ids: cache.ids, ctx)
    }
}
