import SigLIPCore

/// LayerNorm over the last axis with learned scale and bias (epsilon 1e-6 by default).
public struct LayerNorm {
    public let scale: Parameter   // [D]
    public let bias: Parameter    // [D]
    public let width: Int
    public let epsilon: Float

    public init(_ layout: ParameterLayout, _ name: String, width: Int, epsilon: Float = 1e-6) {
        scale = layout.add("\(name).weight", [width], role: .normScale, initializer: .constant(1))
        bias = layout.add("\(name).bias", [width], role: .normBias, initializer: .zeros)
        self.width = width
        self.epsilon = epsilon
    }

    /// What the backward needs: the input and each row's mean and 1/std.
    public struct Cache {
        public let input: Tensor   // [R, D]
        public let mean: Tensor    // [R]
        public let rstd: Tensor    // [R]
    }

    /// x: [..., D] → y of the same shape.
    public func forward(_ x: Tensor, _ ctx: Context) -> (Tensor, Cache) {
        precondition(x.lastDimension == width, "LayerNorm expects width \(width), got \(x.shape)")
        let rows = x.rows
        let y = ctx.arena.tensor(x.shape), mean = ctx.arena.tensor([rows]), rstd = ctx.arena.tensor([rows])
        PhaseClock.measure(.layerNorm) {
            Kernels.layerNormForward(x.data, gamma: ctx.value(scale), beta: ctx.value(bias), out: y.data,
                                     mean: mean.data, rstd: rstd.data, rows: rows, width: width, epsilon: epsilon)
        }
        return (y, Cache(input: x, mean: mean, rstd: rstd))
    }

    /// Writes dx (shape of the input) as `write` says, plus `residual` if given (the gradient of
    /// a skip connection around this norm, added in the same pass); the scale and bias
    /// gradients accumulate.
    public func backward(_ dy: Tensor, _ cache: Cache, residual: Tensor? = nil, into dx: Tensor, _ write: GradientWrite,
                         _ ctx: Context) {
        PhaseClock.measure(.layerNorm) {
            Kernels.layerNormBackward(dy.data, x: cache.input.data, mean: cache.mean.data, rstd: cache.rstd.data,
                                      gamma: ctx.value(scale), dx: dx.data, write: write, residual: residual.map { UnsafePointer($0.data) },
                                      dgamma: ctx.gradient(scale), dbeta: ctx.gradient(bias), rows: cache.input.rows, width: width)
        }
    }
}
