import SigLIPCore
import SigLIPLayers

/// The text transformer: token + position embedding → encoder → `final_layer_norm` → the
/// last token → `head` (Dense D → embedding size). Token ids [B, L] → embedding [B, E].
/// Names under `text_model.`.
public struct TextTower {
    public let config: TextConfig
    public let tokenEmbedding: TokenEmbedding
    public let positionEmbedding: PositionEmbedding
    public let encoder: TransformerEncoder
    public let finalNorm: LayerNorm
    public let head: Linear

    public init(_ layout: ParameterLayout, config: TextConfig, prefix: String = "text_model") {
        self.config = config
        let d = config.hiddenSize
        tokenEmbedding = TokenEmbedding(layout, "\(prefix).embeddings.token_embedding", vocabularySize: config.vocabSize, width: d)
        positionEmbedding = PositionEmbedding(layout, "\(prefix).embeddings.position_embedding",
                                              positions: config.maxPositionEmbeddings, width: d)
        encoder = TransformerEncoder(layout, "\(prefix).encoder", depth: config.numHiddenLayers, width: d,
                                     heads: config.numAttentionHeads, mlpWidth: config.intermediateSize,
                                     epsilon: config.layerNormEps, adapter: config.recursion.adapter,
                                     adapterRounds: config.recursion.adapterRounds)
        finalNorm = LayerNorm(layout, "\(prefix).final_layer_norm", width: d, epsilon: config.layerNormEps)
        head = Linear(layout, "\(prefix).head", in: d, out: config.embeddingSize, weightInit: .lecunNormal(fanIn: d))
    }

    public struct Cache {
        let ids: [Int32]
        let encoder: TransformerEncoder.Cache
        let finalNorm: LayerNorm.Cache
        let pooled: Tensor
        public let lastHiddenState: Tensor   // [B, L, D], after final_layer_norm
    }

    /// The encoder plan for `rounds` recursion rounds (nil: the configured training rounds).
    public func plan(rounds: Int? = nil) -> [EncoderStep] {
        config.recursion.plan(depth: config.numHiddenLayers, rounds: rounds)
    }

    /// ids: [B, L] row-major (L = max_position_embeddings) → embedding [B, E] (not normalised),
    /// running `rounds` recursion rounds (nil: the configured rounds).
    public func forward(_ ids: [Int32], batch: Int, rounds: Int? = nil, _ ctx: Context) -> (Tensor, Cache) {
        let length = config.maxPositionEmbeddings
        precondition(ids.count == batch * length, "text tower expects \(batch)×\(length) token ids, got \(ids.count)")
        let x = tokenEmbedding.forward(ids, batch: batch, length: length, ctx)
        positionEmbedding.forward(x, ctx)
        let (encoded, ec) = encoder.forward(x, plan: plan(rounds: rounds), ctx)
        let (normed, nc) = finalNorm.forward(encoded, ctx)
        let pooled = LastTokenPooling.forward(normed, ctx)
        let y = head.forward(pooled, ctx)
        return (y, Cache(ids: ids, encoder: ec, finalNorm: nc, pooled: pooled, lastHiddenState: normed))
    }

    /// dEmbedding: [B, E]; accumulates every parameter gradient of the tower.
    public func backward(_ dEmbedding: Tensor, _ cache: Cache, _ ctx: Context) {
        let dPooled = ctx.arena.zeros(cache.pooled.shape)
        head.backward(dEmbedding, input: cache.pooled, ctx, accumulateInto: dPooled)
        let dNormed = LastTokenPooling.backward(dPooled, inputShape: cache.lastHiddenState.shape, ctx)
        let dEncoded = ctx.arena.zeros(dNormed.shape)
        finalNorm.backward(dNormed, cache.finalNorm, ctx, accumulateInto: dEncoded)
        let dx = encoder.backward(dEncoded, cache.encoder, ctx)
        positionEmbedding.backward(dx, ctx)
        tokenEmbedding.backward(dx, ids: cache.ids, ctx)
    }
}
