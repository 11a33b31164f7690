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

    /// x: [..., D] → [..., D]
    public func forward(_ x: Tensor, _ ctx: Context) -> (Tensor, Cache) {
        let h = fc1.forward(x, ctx)
        let a = ctx.arena.tensor(h.shape)
        Kernels.geluForward(h.data, out: a.data, count: h.count)
        return (fc2.forward(a, ctx), Cache(input: x, preActivation: h, activation: a))
    }

    /// Accumulates dx and the parameter gradients.
    public func backward(_ dy: Tensor, _ cache: Cache, _ ctx: Context, accumulateInto dx: Tensor) {
        let da = ctx.arena.zeros(cache.activation.shape)
        fc2.backward(dy, input: cache.activation, ctx, accumulateInto: da)
        let dh = ctx.arena.zeros(cache.preActivation.shape)
        Kernels.geluBackward(da.data, x: cache.preActivation.data, dx: dh.data, count: dh.count)
        fc1.backward(dh, input: cache.input, ctx, accumulateInto: dx)
    }
}
