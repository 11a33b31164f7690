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

    /// The loss and gradients of one block of the B × B logit matrix: images [n, E] of a batch
    /// against a block of its texts [m, E], the positives on the block's diagonal when
    /// `positives` (the images' own texts), every pair negative otherwise. The block's share
    /// of the loss, −(1/B) Σ log σ(z L), is returned (`batch` = B, the whole batch's size);
    /// dImages [n, E] and dTexts [m, E] are written as `write` says; dt and db accumulate.
    /// Summed over every block of a batch this is exactly `loss(logits:)` and `backward` on the
    /// whole matrix while holding n × m logits at a time: the building block of gradient
    /// accumulation (DESIGN.md §5.1) and of a loss spread over several processes.
    public func blockLossAndGradients(images: Tensor, texts: Tensor, positives: Bool, batch: Int,
                                      into dImages: Tensor, _ dTexts: Tensor, _ write: GradientWrite, _ ctx: Context) -> Float {
        let (n, m) = (images.rows, texts.rows)
        let mark = ctx.arena.mark()
        let logits = self.logits(images: images, texts: texts, ctx)
        let g = ctx.arena.tensor([n, m])
        var total = 0.0
        for i in 0..<n {
            for j in 0..<m {
                let z: Float = positives && i == j ? 1 : -1
                let l = logits.data[i * m + j]
                total -= Double(Self.logSigmoid(z * l))
                g.data[i * m + j] = -z * Self.sigmoid(-z * l) / Float(batch)
            }
        }
        backward(g, images: images, texts: texts, into: dImages, dTexts, write, ctx)
        ctx.arena.release(to: mark)
        return Float(total / Double(batch))
    }

    /// log σ(x) = min(x, 0) - log(1 + exp(-|x|)), stable for any x.
    @inlinable public static func logSigmoid(_ x: Float) -> Float { min(x, 0) - log1pf(expf(-abs(x))) }

    @inlinable public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
    }
}
