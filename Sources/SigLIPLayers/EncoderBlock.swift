import SigLIPCore

/// A pre-LayerNorm transformer block: `x = x + Attn(LN1(x))`, then `x = x + MLP(LN2(x))`.
/// Names: `layer_norm1`, `self_attn`, `layer_norm2`, `mlp`.
public struct EncoderBlock {
    public let norm1: LayerNorm
    public let attention: SelfAttention
    public let norm2: LayerNorm
    public let mlp: MLP

    public init(_ layout: ParameterLayout, _ name: String, width: Int, heads: Int, mlpWidth: Int, epsilon: Float) {
        norm1 = LayerNorm(layout, "\(name).layer_norm1", width: width, epsilon: epsilon)
        attention = SelfAttention(layout, "\(name).self_attn", width: width, heads: heads)
        norm2 = LayerNorm(layout, "\(name).layer_norm2", width: width, epsilon: epsilon)
        mlp = MLP(layout, "\(name).mlp", width: width, hidden: mlpWidth)
    }

    public struct Cache {
        let norm1: LayerNorm.Cache
        let attention: SelfAttention.Cache
        let norm2: LayerNorm.Cache
        let mlp: MLP.Cache
    }

    /// x: [B, N, D] → [B, N, D]
    public func forward(_ x: Tensor, keyMask: Tensor? = nil, _ ctx: Context) -> (Tensor, Cache) {
        let (a, c1) = norm1.forward(x, ctx)
        let (attended, ca) = attention.forward(a, keyMask: keyMask, residual: x, ctx)   // x1 = x + Attn(LN1(x))
        let (m, c2) = norm2.forward(attended, ctx)
        let (y, cm) = mlp.forward(m, residual: attended, ctx)                            // x2 = x1 + MLP(LN2(x1))
        return (y, Cache(norm1: c1, attention: ca, norm2: c2, mlp: cm))
    }

    /// `forward` for inference, without the caches (`SelfAttention.infer`, `MLP.infer`).
    public func infer(_ x: Tensor, keyMask: Tensor? = nil, _ ctx: Context) -> Tensor {
        let attended = attention.infer(norm1.forward(x, ctx).0, keyMask: keyMask, residual: x, ctx)
        return mlp.infer(norm2.forward(attended, ctx).0, residual: attended, ctx)
    }

    /// dy: [B, N, D]; writes dx: [B, N, D] as `write` says (dx must not alias dy); parameter
    /// gradients accumulate. Every intermediate gradient is written once, with the skip
    /// connections added inside the LayerNorm backwards (no zeroing or copying passes).
    public func backward(_ dy: Tensor, _ cache: Cache, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let dm = ctx.arena.tensor(dy.shape)
        mlp.backward(dy, cache.mlp, into: dm, .overwrite, ctx)
        let dx1 = ctx.arena.tensor(dy.shape)
        norm2.backward(dm, cache.norm2, residual: dy, into: dx1, .overwrite, ctx)     // dx1 = dy + LN2ᵀ(dm)
        let da = ctx.arena.tensor(dy.shape)
        attention.backward(dx1, cache.attention, into: da, .overwrite, ctx)
        norm1.backward(da, cache.norm1, residual: dx1, into: dx, write, ctx)          // dx = dx1 + LN1ᵀ(da)
    }
}
