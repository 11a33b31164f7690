import SigLIPCore

/// Dense(D → mlp) → GELU (tanh) → Dense(mlp → D), names `fc1`, `fc2`.
public struct MLP {
    public let fc1: Linear
    public let fc2: Linear

    public init(_ layout: ParameterLayout, _ name: String, width: Int, hidden: Int) {
        // big_vision: xavier-uniform kernels, biases normal(1e-6).
        fc1 = Linear(layout, "\(name).fc1", in: width, out: hidden,
                     weightInit: .xavierUniform(fanIn: width, fanOut: hidden), biasInit: .normal(std: 1e-6))
        fc2 = Linear(layout, "\(name).fc2", in: hidden, out: width,
                     weightInit: .xavierUniform(fanIn: hidden, fanOut: width), biasInit: .normal(std: 1e-6))
    }

    public struct Cache {
        public let input: Tensor          // [R, D]
        public let preActivation: Tensor  // [R, mlp]
        public let activation: Tensor     // [R, mlp]
    }

    /// x: [..., D] → [..., D], plus `residual` ([..., D]) if given (the skip connection, added
    /// in the same pass as the second layer's bias).
    public func forward(_ x: Tensor, residual: Tensor? = nil, _ ctx: Context) -> (Tensor, Cache) {
        let shape = Array(x.shape.dropLast()) + [fc1.outFeatures]
        let h = ctx.arena.tensor(shape), a = ctx.arena.tensor(shape)
        fc1.forward(x.data, rows: x.rows, into: h.data, ldy: fc1.outFeatures, gelu: a.data, ctx)   // h and GELU(h) in one pass
        return (fc2.forward(a, residual: residual, ctx), Cache(input: x, preActivation: h, activation: a))
    }

    /// `forward` for inference, without the cache: the first layer's GELU overwrites its
    /// product in the same pass, so the pre-activation is never written (ViT-B/16 at batch 8:
    /// 19 MB per block).
    public func infer(_ x: Tensor, residual: Tensor? = nil, _ ctx: Context) -> Tensor {
        let a = ctx.arena.tensor(Array(x.shape.dropLast()) + [fc1.outFeatures])
        fc1.forward(x.data, rows: x.rows, into: a.data, ldy: fc1.outFeatures, gelu: a.data, ctx)
        return fc2.forward(a, residual: residual, ctx)
    }

    /// Writes dx as `write` says; the parameter gradients accumulate.
    public func backward(_ dy: Tensor, _ cache: Cache, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let dHidden = ctx.arena.tensor(cache.activation.shape)
        fc2.backward(dy.data, ldy: fc2.outFeatures, input: cache.activation.data, rows: dy.rows,
                     geluSlopeAt: (UnsafePointer(cache.preActivation.data), UnsafePointer(cache.activation.data)),   // ∂L/∂h = ∂L/∂a · gelu'(h)
                     into: dHidden.data, .overwrite, ctx)
        fc1.backward(dHidden, input: cache.input, into: dx, write, ctx)
    }
}
