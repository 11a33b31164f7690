import Foundation

extension Kernels {
    /// LayerNorm over the last axis: out = (x - mean) * rstd * gamma + beta.
    /// x, out: [R, D]; gamma, beta: [D]; caches mean, rstd: [R] for the backward.
    public static func layerNormForward(
        _ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        rows: Int, width d: Int, epsilon: Float
    ) {
        parallelFor(rows, costPerItem: 8 * d) { range in
            for r in range {
                let xr = x + r * d, yr = out + r * d
                let m = Vector.sum(xr, d) / Float(d)
                let v = Vector.sumOfSquaredDeviations(xr, d, from: m) / Float(d)
                let s = 1 / (v + epsilon).squareRoot()
                Vector.forEachBlock(d) { i, n in
                    let normed = (SIMD8<Float>.load(xr + i, count: n) - m) * s
                    (normed * SIMD8<Float>.load(gamma + i, count: n) + SIMD8<Float>.load(beta + i, count: n)).store(yr + i, count: n)
                }
                mean[r] = m
                rstd[r] = s
            }
        }
    }

    /// Backward of `layerNormForward`: dx ← (dx if `write` is `.accumulate`) + (residual if
    /// given) + ∂L/∂x, so a residual branch's gradient joins in the same pass; dgamma, dbeta
    /// accumulate. dout, x, dx, residual: [R, D]; gamma, dgamma, dbeta: [D]; mean, rstd: [R]
    public static func layerNormBackward(
        _ dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, write: GradientWrite = .accumulate,
        residual: UnsafePointer<Float>? = nil,
        dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>, rows: Int, width d: Int
    ) {
        // dx by rows: with g = dy ∘ gamma and n the normalised input,
        // ∂L/∂x = (g − mean(g) − n · mean(g ∘ n)) · rstd.
        parallelFor(rows, costPerItem: 10 * d) { range in
            for r in range {
                let dyr = dout + r * d, xr = x + r * d, dxr = dx + r * d
                let m = mean[r], s = rstd[r]
                var sumG = SIMD8<Float>(), sumGN = SIMD8<Float>()
                Vector.forEachBlock(d) { i, n in
                    let g = SIMD8<Float>.load(dyr + i, count: n) * SIMD8<Float>.load(gamma + i, count: n)
                    sumG += g
                    sumGN += g * ((SIMD8<Float>.load(xr + i, count: n) - m) * s)
                }
                let meanG = sumG.sum() / Float(d), meanGN = sumGN.sum() / Float(d)
                let residualRow = residual.map { $0 + r * d }
                Vector.forEachBlock(d) { i, n in
                    let g = SIMD8<Float>.load(dyr + i, count: n) * SIMD8<Float>.load(gamma + i, count: n)
                    let normed = (SIMD8<Float>.load(xr + i, count: n) - m) * s
                    var value = (g - meanG - normed * meanGN) * s
                    if let residualRow { value += SIMD8<Float>.load(residualRow + i, count: n) }
                    if write == .accumulate { value += SIMD8<Float>.load(dxr + i, count: n) }
                    value.store(dxr + i, count: n)
                }
            }
        }
        // dgamma, dbeta: each thread owns a range of 8-column blocks (no two threads write the
        // same element); tiles of 32 rows keep the reads within cache and the partial sums in
        // registers; every column is summed in row order (the same bits on any thread count).
        parallelFor((d + 7) / 8, costPerItem: 8 * 4 * rows) { blocks in
            for tile in stride(from: 0, to: rows, by: 32) {
                let tileEnd = min(rows, tile + 32)
                for block in blocks {
                    let i = block * 8, n = min(8, d - i)
                    var dg = SIMD8<Float>.load(dgamma + i, count: n), db = SIMD8<Float>.load(dbeta + i, count: n)
                    for r in tile..<tileEnd {
                        let dy = SIMD8<Float>.load(dout + r * d + i, count: n)
                        dg += dy * ((SIMD8<Float>.load(x + r * d + i, count: n) - mean[r]) * rstd[r])
                        db += dy
                    }
                    dg.store(dgamma + i, count: n)
                    db.store(dbeta + i, count: n)
                }
            }
        }
    }
}
