import SigLIPCore
import SigLIPLayers

/// The adapter of one recursion round: `h ← h + h · Wᵀ` (linear, W: [D, D]) or
/// `h ← h + w ∘ h` (diagonal, w: [D]), zero-initialised.
public struct RoundAdapter {
    public let kind: AdapterKind
    public let weight: Parameter
    public let width: Int

    public init(_ layout: ParameterLayout, _ name: String, kind: AdapterKind, width: Int) {
        precondition(kind != .none)
        self.kind = kind
        self.width = width
        weight = layout.add("\(name).weight", kind == .linear ? [width, width] : [width], role: .adapter, initializer: .zeros)
    }

    /// x: [B, N, D] → [B, N, D] (fresh).
    public func forward(_ x: Tensor, _ ctx: Context) -> Tensor {
        let y = ctx.arena.tensor(x.shape)
        y.copy(from: x)
        let w = ctx.value(weight), d = width
        switch kind {
        case .linear:
            gemm(.none, .transposed, m: x.rows, n: d, k: d, a: x.data, lda: d, b: w, ldb: d, beta: 1, c: y.data, ldc: d,
                 keptIn: ctx.packedWeights)
        case .diagonal:
            for r in 0..<x.rows { for i in 0..<d { y.data[r * d + i] += w[i] * x.data[r * d + i] } }
        case .none:
            break
        }
        return y
    }

    /// dy: [B, N, D]; writes dx = dy + dy · W (or dy + w ∘ dy) as `write` says; the adapter's
    /// gradient accumulates. x is the forward input.
    public func backward(_ dy: Tensor, input x: Tensor, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        switch write {
        case .overwrite: dx.copy(from: dy)
        case .accumulate: Vector.add(dy.data, into: dx.data, dy.count)
        }
        let w = ctx.value(weight), dw = ctx.gradient(weight), d = width
        switch kind {
        case .linear:
            gemm(.transposed, .none, m: d, n: d, k: x.rows, a: dy.data, lda: d, b: x.data, ldb: d, beta: 1, c: dw, ldc: d)
            gemm(.none, .none, m: x.rows, n: d, k: d, a: dy.data, lda: d, b: w, ldb: d, beta: 1, c: dx.data, ldc: d)
        case .diagonal:
            for r in 0..<x.rows {
                for i in 0..<d {
                    dw[i] += dy.data[r * d + i] * x.data[r * d + i]
                    dx.data[r * d + i] += w[i] * dy.data[r * d + i]
                }
            }
        case .none:
            break
        }
    }
}
