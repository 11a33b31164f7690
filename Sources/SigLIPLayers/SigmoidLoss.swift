import Foundation
import SigLIPCore

/// The SigLIP loss with its two learnable scalars, `t` (log temperature, `logit_scale`) and
/// `b` (`logit_bias`):
///
///     L_ij = exp(t) <img_i, txt_j> + b,  z_ij = +1 if i == j else -1
///     loss = -(1/n) Σ_ij log σ(z_ij L_ij)
public struct SigmoidLoss {
    public let logScale: Parameter   // t, shape [1]
    public let bias: Parameter       // b, shape [1]

    public init(_ layout: ParameterLayout, scaleName: String = "logit_scale", biasName: String = "logit_bias",
                initialLogScale: Float = log(10), initialBias: Float = -10) {
        logScale = layout.add(scaleName, [1], role: .scalar, initializer: .constant(initialLogScale))
        bias = layout.add(biasName, [1], role: .scalar, initializer: .constant(initialBias))
    }

    /// Logits [N_img, N_txt] for normalised embeddings img: [N_img, E], txt: [N_txt, E].
    public func logits(images: Tensor, texts: Tensor, _ ctx: Context) -> Tensor {
        let (n, m, e) = (images.rows, texts.rows, images.lastDimension)
        let logits = ctx.arena.tensor([n, m])
        logits.fill(ctx.value(bias)[0])
        gemm(.none, .transposed, m: n, n: m, k: e, alpha: expf(ctx.value(logScale)[0]), a: images.data, lda: e,
             b: texts.data, ldb: e, beta: 1, c: logits.data, ldc: m)
        return logits
    }

    /// The loss for logits of a square batch (pairs on the diagonal).
    public static func loss(logits: Tensor) -> Float {
        let n = logits.shape[0]
        var total = 0.0
        for i in 0..<n {
            for j in 0..<logits.shape[1] {
                let z: Float = i == j ? 1 : -1
                total -= Double(logSigmoid(z * logits.data[i * logits.shape[1] + j]))
            }
        }
        return Float(total / Double(n))
    }

    /// ∂loss/∂L_ij = -(1/n) z_ij σ(-z_ij L_ij). Fresh [N, M].
    public static func logitGradient(logits: Tensor, _ ctx: Context) -> Tensor {
        let (n, m) = (logits.shape[0], logits.shape[1])
        let g = ctx.arena.tensor([n, m])
        for i in 0..<n {
            for j in 0..<m {
                let z: Float = i == j ? 1 : -1
                g.data[i * m + j] = -z * sigmoid(-z * logits.data[i * m + j]) / Float(n)
            }
        }
        return g
    }

    /// Backward through the logits (dLogits: [N_img, N_txt]): accumulates dt, db and writes
    /// dImages: [N_img, E] and dTexts: [N_txt, E] as `write` says.
    public func backward(_ dLogits: Tensor, images: Tensor, texts: Tensor, into dImages: Tensor, _ dTexts: Tensor,
                         _ write: GradientWrite, _ ctx: Context) {
        let (n, m, e) = (images.rows, texts.rows, images.lastDimension)
        let scale = expf(ctx.value(logScale)[0])
        // dt = exp(t) Σ_ij g_ij <img_i, txt_j>; db = Σ_ij g_ij
        let dots = ctx.arena.tensor([n, m])
        gemm(.none, .transposed, m: n, n: m, k: e, a: images.data, lda: e, b: texts.data, ldb: e, c: dots.data, ldc: m)
        ctx.gradient(logScale)[0] += scale * Vector.dot(dLogits.data, dots.data, n * m)
        ctx.gradient(bias)[0] += Vector.sum(dLogits.data, n * m)
        gemm(.none, .none, m: n, n: e, k: m, alpha: scale, a: dLogits.data, lda: m, b: texts.data, ldb: e, beta: write.beta,
             c: dImages.data, ldc: e)
        gemm(.transposed, .none, m: m, n: e, k: n, alpha: scale, a: dLogits.data, lda: m, b: images.data, ldb: e, beta: write.beta,
             c: dTexts.data, ldc: e)
    }

    /// log σ(x) = min(x, 0) - log(1 + exp(-|x|)), stable for any x.
    @inlinable public static func logSigmoid(_ x: Float) -> Float { min(x, 0) - log1pf(expf(-abs(x))) }

    @inlinable public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
    }
}
