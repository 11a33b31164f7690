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
                for i in 0..<d { yr[i] = (xr[i] - m) * s * gamma[i] + beta[i] }
                mean[r] = m
                rstd[r] = s
            }
        }
    }

    /// Backward of `layerNormForward`: dx += ∂L/∂x; dgamma, dbeta accumulate.
    /// dout, x, dx: [R, D]; gamma, dgamma, dbeta: [D]; mean, rstd: [R]
    public static func layerNormBackward(
        _ dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>, rows: Int, width d: Int
    ) {
        // dx by rows.
        parallelFor(rows, costPerItem: 10 * d) { range in
            for r in range {
                let dyr = dout + r * d, xr = x + r * d, dxr = dx + r * d
                let m = mean[r], s = rstd[r]
                var sumG: Float = 0, sumGN: Float = 0
                for i in 0..<d {
                    let g = dyr[i] * gamma[i]
                    sumG += g
                    sumGN += g * (xr[i] - m) * s
                }
                let meanG = sumG / Float(d), meanGN = sumGN / Float(d)
                for i in 0..<d {
                    let n = (xr[i] - m) * s
                    dxr[i] += (dyr[i] * gamma[i] - meanG - n * meanGN) * s
                }
            }
        }
        // dgamma, dbeta by columns (no two threads write the same element).
        parallelFor(d, costPerItem: 4 * rows) { cols in
            for r in 0..<rows {
                let dyr = dout + r * d, xr = x + r * d
                let m = mean[r], s = rstd[r]
                for i in cols {
                    dgamma[i] += dyr[i] * (xr[i] - m) * s
                    dbeta[i] += dyr[i]
                }
            }
        }
    }
}
