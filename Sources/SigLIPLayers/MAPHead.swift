import SigLIPCore

/// Multi-head attention pooling: one learned probe attends over the tokens; the result y
/// (no residual from the probe) then goes through `y = y + MLP(LN(y))`.
/// Names (Hugging Face): `probe` [1, 1, D], `attention.in_proj_weight` [3D, D] (q; k; v),
/// `attention.in_proj_bias` [3D], `attention.out_proj`, `layernorm`, `mlp.fc1`, `mlp.fc2`.
///
/// With a single query, the attention is computed without projecting the tokens to keys and
/// values (docs/DESIGN.md, "The MAP head"). For head h with query q_h = (probe·W_qᵀ + b_q)_h
/// and key rows W_k,h [Dh, D]:
/// - scores: s·(x_i·W_k,hᵀ + b_k,h)·q_h = x_i·u_h + s·b_k,h·q_h, with u_h = s·W_k,hᵀ·q_h [D]. The
///   second term is the same for every token, so the softmax drops it: the key bias has no
///   effect on the output and its gradient is exactly zero.
/// - output: Σ_i p_i·(x_i·W_v,hᵀ + b_v,h) = z_h·W_v,hᵀ + b_v,h, with z_h = Σ_i p_i·x_i [D] (the
///   probabilities sum to 1).
/// The same function as projecting every token, with N·D·H multiply-adds for the scores and as
/// many for z in place of N·D·2D for the keys and values (what that saves: docs/DESIGN.md).
public struct MAPHead {
    public let probe: Parameter   // [1, 1, D]
    public let query: Linear      // rows 0..<D of in_proj
    public let key: Linear        // rows D..<2D of in_proj
    public let value: Linear      // rows 2D..<3D of in_proj
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
        func rows(_ i: Int) -> Linear {
            Linear(weight: Parameter(offset: w.offset + i * d * d, count: d * d), bias: Parameter(offset: b.offset + i * d, count: d),
                   inFeatures: d, outFeatures: d)
        }
        (query, key, value) = (rows(0), rows(1), rows(2))
        out = Linear(layout, "\(name).attention.out_proj", in: d, out: d, weightInit: .xavierUniform(fanIn: d, fanOut: d))
        norm = LayerNorm(layout, "\(name).layernorm", width: d, epsilon: epsilon)
        mlp = MLP(layout, "\(name).mlp", width: d, hidden: mlpWidth)
        width = d
        self.heads = heads
    }

    public struct Cache {
        let input: Tensor          // [B, N, D]
        let query: Tensor          // [1, D]
        let keyProbe: Tensor       // [H, D]: u_h = s·W_k,hᵀ·q_h
        let probabilities: Tensor  // [B, H, N]
        let pooled: Tensor         // [B, H, D]: z_h = Σ_i p_i·x_i
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
        let u = ctx.arena.tensor([h, d]), probs = ctx.arena.tensor([b, h, n])
        let z = ctx.arena.tensor([b, h, d]), context = ctx.arena.tensor([b, d])
        let wk = ctx.value(key.weight), wv = ctx.value(value.weight), bv = ctx.value(value.bias!)
        PhaseClock.measure(.attentionForward, flops: Double(h) * 2 * Double(d * dh) + Double(b * h) * 4 * Double(n * d)
                                                     + Double(b * d) * 2 * Double(d)) {
            for hi in 0..<h {   // u_h = s·q_h·W_k,h
                gemm(.none, .none, m: 1, n: d, k: dh, alpha: scale, a: q.data + hi * dh, lda: d, b: wk + hi * dh * d, ldb: d,
                     c: u.data + hi * d, ldc: d)
            }
            for bi in 0..<b {
                let xb = x.data + bi * n * d, pb = probs.data + bi * h * n
                gemm(.none, .transposed, m: h, n: n, k: d, a: u.data, lda: d, b: xb, ldb: d, c: pb, ldc: n)      // scores [H, N]
                Kernels.softmaxRows(pb, rows: h, columns: n)
                gemm(.none, .none, m: h, n: d, k: n, a: pb, lda: n, b: xb, ldb: d, c: z.data + bi * h * d, ldc: d)  // z [H, D]
            }
            for hi in 0..<h {   // context_h = z_h·W_v,hᵀ + b_v,h, all images at once
                gemm(.none, .transposed, m: b, n: dh, k: d, a: z.data + hi * d, lda: h * d, b: wv + hi * dh * d, ldb: d,
                     bias: bv + hi * dh, c: context.data + hi * dh, ldc: d)
            }
        }
        let attended = out.forward(context, ctx)
        let (normed, normCache) = norm.forward(attended, ctx)
        let (y, mlpCache) = mlp.forward(normed, ctx)
        Kernels.addInPlace(attended.data, into: y.data, count: y.count)
        return (y, Cache(input: x, query: q, keyProbe: u, probabilities: probs, pooled: z, context: context, attended: attended,
                         norm: normCache, mlp: mlpCache))
    }

    /// dy: [B, D]; writes dx: [B, N, D] as `write` says; parameter gradients (probe included)
    /// accumulate. The key bias gets none: it does not change the output.
    public func backward(_ dy: Tensor, _ cache: Cache, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let (b, n, d, h) = (cache.input.shape[0], cache.input.shape[1], width, heads)
        let dh = d / h, scale = 1 / Float(dh).squareRoot()
        let dNormed = ctx.arena.tensor([b, d])
        mlp.backward(dy, cache.mlp, into: dNormed, .overwrite, ctx)
        let dAttended = ctx.arena.tensor([b, d])
        norm.backward(dNormed, cache.norm, residual: dy, into: dAttended, .overwrite, ctx)   // skip connection
        let dContext = ctx.arena.tensor([b, d])
        out.backward(dAttended, input: cache.context, into: dContext, .overwrite, ctx)
        let dz = ctx.arena.tensor([b, h, d]), dp = ctx.arena.tensor([b, h, n])
        let du = ctx.arena.zeros([h, d]), dq = ctx.arena.tensor([1, d])
        let wk = ctx.value(key.weight), wv = ctx.value(value.weight)
        let dwk = ctx.gradient(key.weight), dwv = ctx.gradient(value.weight)
        let (x, u, z, p) = (cache.input.data, cache.keyProbe.data, cache.pooled.data, cache.probabilities.data)
        PhaseClock.measure(.attentionBackward, flops: Double(h) * 4 * Double(d * dh) + Double(b * h) * 8 * Double(n * d)
                                                      + Double(b * d) * 4 * Double(d)) {
            Kernels.accumulateColumnSums(dContext.data, rows: b, columns: d, into: ctx.gradient(value.bias!))
            for hi in 0..<h {
                let dOh = dContext.data + hi * dh
                // dW_v,h += dO_hᵀ·z_h; dz_h = dO_h·W_v,h
                gemm(.transposed, .none, m: dh, n: d, k: b, a: dOh, lda: d, b: z + hi * d, ldb: h * d, beta: 1,
                     c: dwv + hi * dh * d, ldc: d)
                gemm(.none, .none, m: b, n: d, k: dh, a: dOh, lda: d, b: wv + hi * dh * d, ldb: d, c: dz.data + hi * d, ldc: h * d)
            }
            for bi in 0..<b {
                let xb = x + bi * n * d, pb = p + bi * h * n, dpb = dp.data + bi * h * n, dzb = dz.data + bi * h * d
                let dxb = dx.data + bi * n * d
                gemm(.none, .transposed, m: h, n: n, k: d, a: dzb, lda: d, b: xb, ldb: d, c: dpb, ldc: n)                  // dP = dz·xᵀ
                gemm(.transposed, .none, m: n, n: d, k: h, a: pb, lda: n, b: dzb, ldb: d, beta: write.beta, c: dxb, ldc: d)  // dx (+)= Pᵀ·dz
                Kernels.softmaxBackwardRows(dpb, p: pb, rows: h, columns: n)                                                // dS
                gemm(.transposed, .none, m: n, n: d, k: h, a: dpb, lda: n, b: u, ldb: d, beta: 1, c: dxb, ldc: d)          // dx += dSᵀ·u
                gemm(.none, .none, m: h, n: d, k: n, a: dpb, lda: n, b: xb, ldb: d, beta: 1, c: du.data, ldc: d)  // du += dS·x
            }
            for hi in 0..<h {
                // u_h = s·q_h·W_k,h: dW_k,h += s·q_hᵀ·du_h; dq_h = s·du_h·W_k,hᵀ
                gemm(.transposed, .none, m: dh, n: d, k: 1, alpha: scale, a: cache.query.data + hi * dh, lda: d, b: du.data + hi * d,
                     ldb: d, beta: 1, c: dwk + hi * dh * d, ldc: d)
                gemm(.none, .transposed, m: 1, n: dh, k: d, alpha: scale, a: du.data + hi * d, lda: d, b: wk + hi * dh * d, ldb: d,
                     c: dq.data + hi * dh, ldc: d)
            }
        }
        query.backward(dq, input: Tensor(ctx.value(probe), [1, d]), into: Tensor(ctx.gradient(probe), [1, d]), .accumulate, ctx)
    }
}
