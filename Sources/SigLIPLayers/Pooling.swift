import SigLIPCore

/// Pooling by one token per example: pooled[b] = x[b, p_b], by default the last token
/// (p_b = N-1). x: [B, N, D] → [B, D]
public enum LastTokenPooling {
    public static func forward(_ x: Tensor, positions: [Int]? = nil, _ ctx: Context) -> Tensor {
        let (b, n, d) = (x.shape[0], x.shape[1], x.shape[2])
        let y = ctx.arena.tensor([b, d])
        for bi in 0..<b { (y.data + bi * d).update(from: x.data + (bi * n + (positions?[bi] ?? n - 1)) * d, count: d) }
        return y
    }

    /// dy: [B, D] → dx: [B, N, D] as `write` says: dy at the pooled tokens, zero elsewhere.
    public static func backward(_ dy: Tensor, positions: [Int]? = nil, into dx: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let (b, n, d) = (dx.shape[0], dx.shape[1], dx.shape[2])
        if write == .overwrite { dx.fill(0) }
        for bi in 0..<b { Vector.add(dy.data + bi * d, into: dx.data + (bi * n + (positions?[bi] ?? n - 1)) * d, d) }
    }
}

/// L2 normalisation of rows, `y = z / (‖z‖ + 1e-8)` (big_vision's form). z: [B, D]
public enum L2Normalize {
    public static let epsilon: Float = 1e-8

    public static func forward(_ z: Tensor, _ ctx: Context) -> Tensor {
        let y = ctx.arena.tensor(z.shape)
        let d = z.lastDimension
        for r in 0..<z.rows {
            let row = z.data + r * d
            let s = 1 / (Vector.dot(row, row, d).squareRoot() + epsilon)
            for i in 0..<d { y.data[r * d + i] = row[i] * s }
        }
        return y
    }

    /// dz = dy / s - z (z·dy) / (s² ‖z‖), s = ‖z‖ + ε, written as `write` says. dy, z, dz: [B, D]
    public static func backward(_ dy: Tensor, input z: Tensor, into dz: Tensor, _ write: GradientWrite, _ ctx: Context) {
        let d = z.lastDimension
        for r in 0..<z.rows {
            let zr = z.data + r * d, gr = dy.data + r * d
            let norm = Vector.dot(zr, zr, d).squareRoot()
            let s = norm + epsilon
            let k = norm > 0 ? Vector.dot(zr, gr, d) / (s * s * norm) : 0
            let out = dz.data + r * d
            switch write {
            case .overwrite: for i in 0..<d { out[i] = gr[i] / s - zr[i] * k }
            case .accumulate: for i in 0..<d { out[i] += gr[i] / s - zr[i] * k }
            }
        }
    }
}
