import SigLIPCore

/// Multi-head self-attention with Q/K/V/out biases (names `q_proj`, `k_proj`, `v_proj`,
/// `out_proj`). The q, k, v kernels are registered back to back so that one GEMM computes
/// all three (`[3D, D]`); heads are column blocks of width D/H, used in place.
public struct SelfAttention {
    public let qkv: Linear       // [3D, D] over q_proj, k_proj, v_proj
    public let out: Linear       // [D, D]
    public let width: Int
    public let heads: Int
    public var headWidth: Int { width / heads }

    public init(_ layout: ParameterLayout, _ name: String, width: Int, heads: Int) {
        precondition(width % heads == 0, "width \(width) is not a multiple of \(heads) heads")
        let kernel = Initializer.xavierUniform(fanIn: width, fanOut: width)
        let weights = ["q", "k", "v"].map { layout.add("\(name).\($0)_proj.weight", [width, width], role: .weightMatrix, initializer: kernel) }
        let biases = ["q", "k", "v"].map { layout.add("\(name).\($0)_proj.bias", [width], role: .bias, initializer: .zeros) }
        qkv = Linear(weight: .span(weights), bias: .span(biases), inFeatures: width, outFeatures: 3 * width)
        out = Linear(layout, "\(name).out_proj", in: width, out: width, weightInit: kernel)
        self.width = width
        self.heads = heads
    }

    public struct Cache {
        public let input: Tensor          // [B, N, D]
        public let qkv: Tensor            // [B, N, 3D]
        public let probabilities: Tensor  // [B, H, N, N]
        public let context: Tensor        // [B, N, D], the heads' outputs before `out`
        /// Whether the heads ran as fused kernels (the backward then does too).
        public let fusedHeads: Bool
    }

    /// x: [B, N, D] → [B, N, D], plus `residual` ([B, N, D]) if given (the skip connection, added
    /// in the output projection's pass). `keyMask`, if given, is added to every query's scores:
    /// [B, N] with 0 for keys to attend to and -inf (or a large negative) for keys to ignore.
    /// `fusedHeads`: each head as one fused kernel, or as OpenBLAS's products and the softmax
    /// (nil: as `GEMMBackend.fusesAttentionHeads` says for the selected backend and level and these
    /// heads' shape, by this machine's routing table or the built-in rule); the
    /// backward follows the forward's choice.
    public func forward(_ x: Tensor, keyMask: Tensor? = nil, residual: Tensor? = nil, fusedHeads: Bool? = nil,
                        _ ctx: Context) -> (Tensor, Cache) {
        let (b, n, h) = (x.shape[0], x.shape[1], heads)
        let probs = ctx.arena.tensor([b, h, n, n])
        let (y, qkvT, context, fused) = apply(x, keyMask: keyMask, residual: residual, fusedHeads: fusedHeads, probabilities: probs, ctx)
        return (y, Cache(input: x, qkv: qkvT, probabilities: probs, context: context, fusedHeads: fused))
    }

    /// `forward` for inference, without the cache: each head's probabilities go to a scratch
    /// `[N, N]` of its thread, which stays in the cache, instead of a `[B, H, N, N]` tensor in
    /// memory (ViT-B/16 at batch 8: 14.7 MB written per block).
    public func infer(_ x: Tensor, keyMask: Tensor? = nil, residual: Tensor? = nil, fusedHeads: Bool? = nil, _ ctx: Context) -> Tensor {
        apply(x, keyMask: keyMask, residual: residual, fusedHeads: fusedHeads, probabilities: nil, ctx).output
    }

    /// The forward, with each head's probabilities in `probabilities` ([B, H, N, N]; nil: in a
    /// scratch per thread).
    private func apply(_ x: Tensor, keyMask: Tensor?, residual: Tensor?, fusedHeads: Bool?, probabilities probs: Tensor?,
                       _ ctx: Context) -> (output: Tensor, qkv: Tensor, context: Tensor, fused: Bool) {
        let (b, n, d, h, dh) = (x.shape[0], x.shape[1], width, heads, headWidth)
        let qkvT = qkv.forward(x, ctx)
        let context = ctx.arena.tensor([b, n, d])
        let scale = 1 / Float(dh).squareRoot()
        let flops = Double(b * h) * 4 * Double(n * n * dh)
        // One (example, head) pair per task; each writes only its own slices.
        let fused = fusedHeads ?? GEMMBackend.selected.fusesAttentionHeads(tokens: n, headWidth: dh)
        let workFloats = fused ? Kernels.attentionHeadWorkspace(tokens: n, headWidth: dh) : 0
        let scratchFloats = probs == nil ? n * n : 0
        PhaseClock.measure(.attentionForward, flops: flops) { parallelFor(b * h, costPerItem: 4 * n * n * dh) { pairs in
            let work = UnsafeMutablePointer<Float>.allocate(capacity: workFloats + scratchFloats)
            defer { work.deallocate() }
            for pair in pairs {
                let at = offsets(of: pair, tokens: n)
                let q = qkvT.data + at.qkv
                let k = q + d, v = q + 2 * d
                let mask = keyMask.map { UnsafePointer($0.data + pair / h * n) }
                let p = probs.map { $0.data + pair * n * n } ?? work + workFloats, o = context.data + at.context
                if fused {
                    let next = pair + 1 < pairs.upperBound ? UnsafePointer(qkvT.data + offsets(of: pair + 1, tokens: n).qkv) : nil
                    Kernels.attentionHeadForward(q: q, k: k, v: v, ld: 3 * d, tokens: n, headWidth: dh, scale: scale, mask: mask,
                                                 probabilities: p, output: o, ldOutput: d, work: work, nextQueries: next)
                } else {
                    Self.headForwardUnfused(q: q, k: k, v: v, ld: 3 * d, tokens: n, headWidth: dh, scale: scale, mask: mask,
                                            probabilities: p, output: o, ldOutput: d)
                }
            }
        } }
        return (out.forward(context, residual: residual, ctx), qkvT, context, fused)
    }

    /// Writes dx: [B, N, D] as `write` says; the parameter gradients accumulate.
    public func backward(_ dy: Tensor, _ cache: Cache, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let (b, n, d, h, dh) = (cache.input.shape[0], cache.input.shape[1], width, heads, headWidth)
        let dContext = ctx.arena.tensor([b, n, d])
        out.backward(dy, input: cache.context, into: dContext, .overwrite, ctx)
        let dqkv = ctx.arena.tensor([b, n, 3 * d])   // every (example, head) writes its own q, k, v columns once
        let scale = 1 / Float(dh).squareRoot()
        let flops = Double(b * h) * 8 * Double(n * n * dh)
        let fused = cache.fusedHeads
        let dps = fused ? nil : ctx.arena.tensor([b * h, n, n])   // the fused kernel keeps one head's dS in its workspace
        let workFloats = fused ? Kernels.attentionHeadWorkspace(tokens: n, headWidth: dh) : 0
        PhaseClock.measure(.attentionBackward, flops: flops) { parallelFor(b * h, costPerItem: 8 * n * n * dh) { pairs in
            let work = UnsafeMutablePointer<Float>.allocate(capacity: workFloats)
            defer { work.deallocate() }
            for pair in pairs {
                let at = offsets(of: pair, tokens: n)
                let q = cache.qkv.data + at.qkv, k = q + d, v = q + 2 * d
                let dq = dqkv.data + at.qkv, dk = dq + d, dv = dq + 2 * d
                let p = cache.probabilities.data + pair * n * n
                let dO = dContext.data + at.context
                guard let dps else {
                    Kernels.attentionHeadBackward(q: q, k: k, v: v, ld: 3 * d, tokens: n, headWidth: dh, scale: scale,
                                                  probabilities: p, outputGradient: dO, ldOutput: d, dq: dq, dk: dk, dv: dv, work: work)
                    continue
                }
                Self.headBackwardUnfused(q: q, k: k, v: v, ld: 3 * d, tokens: n, headWidth: dh, scale: scale, probabilities: p,
                                         outputGradient: dO, ldOutput: d, dq: dq, dk: dk, dv: dv, scores: dps.data + pair * n * n)
            }
        } }
        qkv.backward(dqkv, input: cache.input, into: dx, write, ctx)
    }

    /// Where an (example, head) pair's columns start in a [B, N, 3D] block (its q; k and v follow
    /// at D and 2D) and in a [B, N, D] one (its output), pairs numbered example by example.
    public static func offsets(of pair: Int, tokens n: Int, heads: Int, width: Int) -> (qkv: Int, context: Int) {
        let (example, head, headWidth) = (pair / heads, pair % heads, width / heads)
        return (example * n * 3 * width + head * headWidth, example * n * width + head * headWidth)
    }

    private func offsets(of pair: Int, tokens n: Int) -> (qkv: Int, context: Int) {
        Self.offsets(of: pair, tokens: n, heads: heads, width: width)
    }

    /// One head's forward as OpenBLAS's two products and the softmax between them, on the calling
    /// thread (the path `Kernels.attentionHeadForward` fuses; the same arguments but its workspace).
    public static func headForwardUnfused(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int, tokens n: Int, headWidth dh: Int,
        scale: Float, mask: UnsafePointer<Float>?, probabilities p: UnsafeMutablePointer<Float>,
        output o: UnsafeMutablePointer<Float>, ldOutput: Int
    ) {
        gemmOnThisThread(.none, .transposed, m: n, n: n, k: dh, alpha: scale, a: q, lda: ld, b: k, ldb: ld, c: p, ldc: n)   // scores
        if let mask { for i in 0..<n { Vector.add(mask, into: p + i * n, n) } }
        Kernels.softmaxRowsOnThisThread(p, rows: n, columns: n)
        gemmOnThisThread(.none, .none, m: n, n: dh, k: n, a: p, lda: n, b: v, ldb: ld, c: o, ldc: ldOutput)                // P · V
    }

    /// One head's backward as OpenBLAS's four products and the softmax backward, on the calling
    /// thread (the path `Kernels.attentionHeadBackward` fuses; the same arguments, with `scores`,
    /// [N, N], for dP and then dS in place of the fused kernel's workspace).
    public static func headBackwardUnfused(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int, tokens n: Int, headWidth dh: Int,
        scale: Float, probabilities p: UnsafePointer<Float>, outputGradient dO: UnsafePointer<Float>, ldOutput: Int,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        scores dp: UnsafeMutablePointer<Float>
    ) {
        gemmOnThisThread(.none, .transposed, m: n, n: n, k: dh, a: dO, lda: ldOutput, b: v, ldb: ld, c: dp, ldc: n)       // dP = dO · Vᵀ
        gemmOnThisThread(.transposed, .none, m: n, n: dh, k: n, a: p, lda: n, b: dO, ldb: ldOutput, c: dv, ldc: ld)       // dV = Pᵀ · dO
        Kernels.softmaxBackwardRowsOnThisThread(dp, p: p, rows: n, columns: n)                                            // dS
        gemmOnThisThread(.none, .none, m: n, n: dh, k: n, alpha: scale, a: dp, lda: n, b: k, ldb: ld, c: dq, ldc: ld)       // dQ = s dS · K
        gemmOnThisThread(.transposed, .none, m: n, n: dh, k: n, alpha: scale, a: dp, lda: n, b: q, ldb: ld, c: dk, ldc: ld) // dK = s dSᵀ · Q
    }
}
