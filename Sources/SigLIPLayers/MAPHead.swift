import SigLIPCore

/// Multi-head attention pooling: one learned probe attends over the tokens; the result y
/// (no residual from the probe) then goes through `y = y + MLP(LN(y))`.
/// Names (Hugging Face): `probe` [1, 1, D], `attention.in_proj_weight` [3D, D] (q; k; v),
/// `attention.in_proj_bias` [3D], `attention.out_proj`, `layernorm`, `mlp.fc1`, `mlp.fc2`.
public struct MAPHead {
    public let probe: Parameter   // [1, 1, D]
    public let query: Linear      // rows 0..<D of in_proj
    public let keyValue: Linear   // rows D..<3D of in_proj
    public let out: Linear
    public let norm: LayerNorm
    public let mlp: MLP
    public let width: Int
    public let heads: Int

    public init(_ layout: ParameterLayout, _ name: String, width d: Int, heads: Int, mlpWidth: Int, epsilon: Float) {
        precondition(d % heads == 0, "width \(d) is not a multiple of \(heads) heads")
        probe = layout.add("\(name).probe", [1, 1, d], role: .embedding, initializer: .xavierUniform(fanIn: 1, fanOut: d))
        let w = layout.add("\(name).attention.in_proj_weight", [3 * d, d], role: .weightMatrix,
                           initializer: .xavierUniform(fanIn: d, fanOut: d))
        let b = layout.add("\(name).attention.in_proj_bias", [3 * d], role: .bias, initializer: .zeros)
        query = Linear(weight: Parameter(offset: w.offset, count: d * d), bias: Parameter(offset: b.offset, count: d),
                       inFeatures: d, outFeatures: d)
        keyValue = Linear(weight: Parameter(offset: w.offset + d * d, count: 2 * d * d),
                          bias: Parameter(offset: b.offset + d, count: 2 * d), inFeatures: d, outFeatures: 2 * d)
        out = Linear(layout, "\(name).attention.out_proj", in: d, out: d, weightInit: .xavierUniform(fanIn: d, fanOut: d))
        norm = LayerNorm(layout, "\(name).layernorm", width: d, epsilon: epsilon)
        mlp = MLP(layout, "\(name).mlp", width: d, hidden: mlpWidth)
        width = d
        self.heads = heads
    }

    public struct Cache {
        let input: Tensor          // [B, N, D]
        let query: Tensor          // [1, D]
        let keyValue: Tensor       // [B, N, 2D]
        let probabilities: Tensor  // [B, H, N]
        let context: Tensor        // [B, D]
        let attended: Tensor       // [B, D]
        let norm: LayerNorm.Cache
        let mlp: MLP.Cache
    }

    /// x: [B, N, D] → pooled [B, D]
    public func forward(_ x: Tensor, _ ctx: Context) -> (Tensor, Cache) {
        let (b, n, d, h) = (x.shape[0], x.shape[1], width, heads)
        let dh = d / h, scale = 1 / Float(dh).squareRoot()
        let q = query.forward(Tensor(ctx.value(probe), [1, d]), ctx)
        let kv = keyValue.forward(x, ctx)
        let probs = ctx.arena.tensor([b, h, n])
        let context = ctx.arena.tensor([b, d])
        PhaseClock.measure(.attentionForward, flops: Double(b * h) * 4 * Double(n * dh)) {
            for bi in 0..<b {
                for hi in 0..<h {
                    let k = kv.data + bi * n * 2 * d + hi * dh, v = k + d
                    let p = probs.data + (bi * h + hi) * n
                    gemm(.none, .transposed, m: 1, n: n, k: dh, alpha: scale, a: q.data + hi * dh, lda: d, b: k, ldb: 2 * d, c: p, ldc: n)
                    Kernels.softmaxRows(p, rows: 1, columns: n)
                    gemm(.none, .none, m: 1, n: dh, k: n, a: p, lda: n, b: v, ldb: 2 * d, c: context.data + bi * d + hi * dh, ldc: d)
                }
            }
        }
        let attended = out.forward(context, ctx)
        let (normed, normCache) = norm.forward(attended, ctx)
        let (y, mlpCache) = mlp.forward(normed, ctx)
        Kernels.addInPlace(attended.data, into: y.data, count: y.count)
        return (y, Cache(input: x, query: q, keyValue: kv, probabilities: probs, context: context, attended: attended,
                         norm: normCache, mlp: mlpCache))
    }

    /// dy: [B, D]; writes dx: [B, N, D] as `write` says; parameter gradients (probe included)
    /// accumulate.
    public func backward(_ dy: Tensor, _ cache: Cache, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let (b, n, d, h) = (cache.input.shape[0], cache.input.shape[1], width, heads)
        let dh = d / h, scale = 1 / Float(dh).squareRoot()
        let dNormed = ctx.arena.tensor([b, d])
        mlp.backward(dy, cache.mlp, into: dNormed, .overwrite, ctx)
        let dAttended = ctx.arena.tensor([b, d])
        norm.backward(dNormed, cache.norm, residual: dy, into: dAttended, .overwrite, ctx)   // skip connection
        let dContext = ctx.arena.tensor([b, d])
        out.backward(dAttended, input: cache.context, into: dContext, .overwrite, ctx)
        let dq = ctx.arena.zeros([1, d]), dkv = ctx.arena.zeros([b, n, 2 * d]), dp = ctx.arena.tensor([n])
        PhaseClock.measure(.attentionBackward, flops: Double(b * h) * 8 * Double(n * dh)) {
            for bi in 0..<b {
                for hi in 0..<h {
                    let k = cache.keyValue.data + bi * n * 2 * d + hi * dh, v = k + d
                    let dk = dkv.data + bi * n * 2 * d + hi * dh, dv = dk + d
                    let p = cache.probabilities.data + (bi * h + hi) * n
                    let dO = dContext.data + bi * d + hi * dh
                    gemm(.none, .transposed, m: 1, n: n, k: dh, a: dO, lda: d, b: v, ldb: 2 * d, c: dp.data, ldc: n)      // dP = dO · Vᵀ
                    gemm(.transposed, .none, m: n, n: dh, k: 1, a: p, lda: n, b: dO, ldb: d, beta: 1, c: dv, ldc: 2 * d)  // dV += pᵀ dO
                    Kernels.softmaxBackwardRows(dp.data, p: p, rows: 1, columns: n)
                    gemm(.none, .none, m: 1, n: dh, k: n, alpha: scale, a: dp.data, lda: n, b: k, ldb: 2 * d, beta: 1,
                         c: dq.data + hi * dh, ldc: d)                                                                       // dq += s dS · K
                    gemm(.transposed, .none, m: n, n: dh, k: 1, alpha: scale, a: dp.data, lda: n, b: cache.query.data + hi * dh,
                         ldb: d, beta: 1, c: dk, ldc: 2 * d)                                                                 // dK += s dSᵀ q
                }
            }
        }
        query.backward(dq, input: Tensor(ctx.value(probe), [1, d]), into: Tensor(ctx.gradient(probe), [1, d]), .accumulate, ctx)
        keyValue.backward(dkv, input: cache.input, into: dx, write, ctx)
    }
}
