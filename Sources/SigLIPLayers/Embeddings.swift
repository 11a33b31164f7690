import SigLIPCore

/// The patch embedding: a convolution with kernel = stride = P, as one GEMM over the patches.
/// Names: `patch_embedding.weight` [D, 3, P, P] (so each patch is flattened in (c, i, j)
/// order) and `patch_embedding.bias` [D]. Patches are taken in row-major (row, column) order.
public struct PatchEmbedding {
    public let projection: Linear   // [D, 3·P·P]
    public let patchSize: Int
    public let channels: Int
    public let width: Int

    public init(_ layout: ParameterLayout, _ name: String, patchSize: Int, channels: Int = 3, width: Int) {
        let fanIn = channels * patchSize * patchSize
        let w = layout.add("\(name).weight", [width, channels, patchSize, patchSize], role: .weightMatrix,
                           initializer: .lecunNormal(fanIn: fanIn))
        let b = layout.add("\(name).bias", [width], role: .bias, initializer: .zeros)
        projection = Linear(weight: w, bias: b, inFeatures: fanIn, outFeatures: width)
        self.patchSize = patchSize
        self.channels = channels
        self.width = width
    }

    public struct Cache { let patches: Tensor }   // [B, N, 3·P·P]

    /// pixels: [B, H, W, C] (channel last, as decoded) → tokens [B, N, D], N = (H/P)·(W/P).
    public func forward(_ pixels: Tensor, _ ctx: Context) -> (Tensor, Cache) {
        let (b, hgt, wid, c, p) = (pixels.shape[0], pixels.shape[1], pixels.shape[2], pixels.shape[3], patchSize)
        precondition(c == channels && hgt % p == 0 && wid % p == 0, "image \(pixels.shape) does not tile into \(p)×\(p) patches")
        let (rows, cols) = (hgt / p, wid / p)
        let patches = ctx.arena.tensor([b, rows * cols, c * p * p])
        let patchLength = c * p * p
        parallelFor(b * rows, costPerItem: cols * patchLength) { range in
            for item in range {
                let (bi, pr) = (item / rows, item % rows)
                for pc in 0..<cols {
                    let dst = patches.data + ((bi * rows + pr) * cols + pc) * patchLength
                    for ch in 0..<c {
                        for i in 0..<p {
                            let src = pixels.data + ((bi * hgt + pr * p + i) * wid + pc * p) * c + ch
                            let row = dst + (ch * p + i) * p
                            for j in 0..<p { row[j] = src[j * c] }
                        }
                    }
                }
            }
        }
        return (projection.forward(patches, ctx), Cache(patches: patches))
    }

    /// Accumulates the kernel and bias gradients. (Pixels are data: no gradient flows to them.)
    public func backward(_ dy: Tensor, _ cache: Cache, _ ctx: Context) {
        projection.backward(dy, input: cache.patches, into: nil, .overwrite, ctx)
    }
}

/// A learned position embedding `[N, D]` added to every example (name `position_embedding.weight`).
public struct PositionEmbedding {
    public let table: Parameter   // [N, D]
    public let positions: Int
    public let width: Int

    public init(_ layout: ParameterLayout, _ name: String, positions: Int, width: Int) {
        table = layout.add("\(name).weight", [positions, width], role: .embedding,
                           initializer: .normal(std: 1 / Float(width).squareRoot()))
        self.positions = positions
        self.width = width
    }

    /// x[b, n, :] += table[n, :]. x: [B, N, D] (N ≤ positions), in place.
    public func forward(_ x: Tensor, _ ctx: Context) {
        let (b, n) = (x.shape[0], x.shape[1])
        precondition(n <= positions && x.shape[2] == width, "\(x.shape) does not fit position table [\(positions), \(width)]")
        let t = ctx.value(table)
        for bi in 0..<b { Vector.add(t, into: x.data + bi * n * width, n * width) }
    }

    /// dtable[n, :] += Σ_b dy[b, n, :]. dy: [B, N, D]
    public func backward(_ dy: Tensor, _ ctx: Context) {
        let (b, n) = (dy.shape[0], dy.shape[1])
        let g = ctx.gradient(table)
        for bi in 0..<b { Vector.add(dy.data + bi * n * width, into: g, n * width) }
    }
}

/// A token embedding `[V, D]` (name `token_embedding.weight`).
public struct TokenEmbedding {
    public let table: Parameter   // [V, D]
    public let vocabularySize: Int
    public let width: Int

    public init(_ layout: ParameterLayout, _ name: String, vocabularySize: Int, width: Int) {
        table = layout.add("\(name).weight", [vocabularySize, width], role: .embedding,
                           initializer: .normal(std: 1 / Float(width).squareRoot()))
        self.vocabularySize = vocabularySize
        self.width = width
    }

    /// ids: [B, L] → [B, L, D]
    public func forward(_ ids: [Int32], batch: Int, length: Int, _ ctx: Context) -> Tensor {
        precondition(ids.count == batch * length)
        let y = ctx.arena.tensor([batch, length, width])
        let t = ctx.value(table)
        for (i, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < vocabularySize, "token id \(id) outside the vocabulary of \(vocabularySize)")
            (y.data + i * width).update(from: t + Int(id) * width, count: width)
        }
        return y
    }

    /// dtable[id] += dy[b, l] for each token. dy: [B, L, D]
    public func backward(_ dy: Tensor, ids: [Int32], _ ctx: Context) {
        let g = ctx.gradient(table)
        for (i, id) in ids.enumerated() { Vector.add(dy.data + i * width, into: g + Int(id) * width, width) }
    }
}
