import SigLIPCore

/// A dense layer `y = x · Wᵀ + b` with the weight stored `[out, in]` (the Hugging Face layout,
/// so checkpoints load with no transposes).
public struct Linear {
    public let weight: Parameter   // [out, in]
    public let bias: Parameter?    // [out]
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: Parameter, bias: Parameter?, inFeatures: Int, outFeatures: Int) {
        precondition(weight.count == inFeatures * outFeatures && (bias?.count ?? outFeatures) == outFeatures)
        self.weight = weight
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    /// Registers `name.weight` and `name.bias`.
    public init(_ layout: ParameterLayout, _ name: String, in inFeatures: Int, out outFeatures: Int,
                weightInit: Initializer, biasInit: Initializer? = .zeros) {
        let w = layout.add("\(name).weight", [outFeatures, inFeatures], role: .weightMatrix, initializer: weightInit)
        let b = biasInit.map { layout.add("\(name).bias", [outFeatures], role: .bias, initializer: $0) }
        self.init(weight: w, bias: b, inFeatures: inFeatures, outFeatures: outFeatures)
    }

    /// x: [..., in] → y: [..., out], plus `residual` ([..., out]) if given, in the same pass.
    /// (Linear's cache is its input: the caller keeps x and passes it to `backward`.)
    public func forward(_ x: Tensor, residual: Tensor? = nil, _ ctx: Context) -> Tensor {
        let rows = x.rows
        precondition(x.lastDimension == inFeatures, "Linear expects width \(inFeatures), got \(x.shape)")
        let y = ctx.arena.tensor(Array(x.shape.dropLast()) + [outFeatures])
        precondition(residual.map { $0.count == y.count } ?? true, "residual of \(residual!.shape) for output \(y.shape)")
        forward(x.data, rows: rows, into: y.data, ldy: outFeatures, residual: residual.map { UnsafePointer($0.data) }, ctx)
        return y
    }

    /// y[r, 0..<out] = x[r] · Wᵀ + b (+ residual[r]), written at row stride `ldy`; with `gelu`,
    /// also GELU(y) there (`[rows, out]`, contiguous; may be `y` itself, with ldy = out) in the
    /// same pass. residual: `[rows, out]`.
    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, ldy: Int,
                        residual: UnsafePointer<Float>? = nil, gelu: UnsafeMutablePointer<Float>? = nil, _ ctx: Context) {
        gemm(.none, .transposed, m: rows, n: outFeatures, k: inFeatures,
             a: x, lda: inFeatures, b: ctx.value(weight), ldb: inFeatures, bias: bias.map { ctx.value($0) }, addend: residual,
             c: y, ldc: ldy, gelu: gelu, keptIn: ctx.packedWeights)
    }

    /// dy: [R, out], x: the forward input [R, in]. Accumulates dW and db; writes dx: [R, in]
    /// (nil: the input is data and needs no gradient) as `write` says.
    public func backward(_ dy: Tensor, input x: Tensor, into dx: Tensor?, _ write: GradientWrite, _ ctx: Context) {
        backward(dy.data, ldy: outFeatures, input: x.data, rows: x.rows, into: dx?.data, write, ctx)
    }

    /// Pointer form of `backward`, with `dy` at row stride `ldy`. With `geluSlopeAt` (the
    /// forward input h of a GELU before this layer and its output GELU(h), `[rows, in]`), dx is
    /// written already multiplied by gelu'(h) (`write` must be `.overwrite`): the gradient
    /// through the activation in the same pass.
    public func backward(_ dy: UnsafePointer<Float>, ldy: Int, input x: UnsafePointer<Float>, rows: Int,
                         geluSlopeAt: (h: UnsafePointer<Float>, activation: UnsafePointer<Float>)? = nil,
                         into dx: UnsafeMutablePointer<Float>?, _ write: GradientWrite, _ ctx: Context) {
        precondition(geluSlopeAt == nil || write == .overwrite, "the GELU slope applies to an overwritten dx")
        // dW[out, in] += dyᵀ · x
        gemm(.transposed, .none, m: outFeatures, n: inFeatures, k: rows,
             a: dy, lda: ldy, b: x, ldb: inFeatures, beta: 1, c: ctx.gradient(weight), ldc: inFeatures)
        if let bias {
            Kernels.accumulateColumnSums(dy, rows: rows, columns: outFeatures, rowStride: ldy, into: ctx.gradient(bias))
        }
        if let dx {
            // dx[R, in] (+)= dy · W
            gemm(.none, .none, m: rows, n: inFeatures, k: outFeatures,
                 a: dy, lda: ldy, b: ctx.value(weight), ldb: inFeatures, beta: write.beta, c: dx, ldc: inFeatures,
                 geluSlopeAt: geluSlopeAt.map { ($0.h, $0.activation, inFeatures) })
        }
    }
}
