import Foundation

extension Kernels {
    /// Row softmax in place: p[r, :] = exp(x - max) / Σ exp(x - max). p: [R, C]
    public static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns c: Int) {
        parallelFor(rows, costPerItem: 20 * c) { range in
            for r in range { softmaxRow(p + r * c, c) }
        }
    }

    @inlinable
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ c: Int) {
        let m = Vector.max(row, c)
        var s: Float = 0
        for i in 0..<c {
            let e = expf(row[i] - m)
            row[i] = e
            s += e
        }
        let inv = 1 / s
        for i in 0..<c { row[i] *= inv }
    }

    /// Backward of a row softmax, in place: ds[r, :] = p ∘ (dp - Σ dp ∘ p). p, dp: [R, C]; dp becomes ds.
    public static func softmaxBackwardRows(_ dp: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, rows: Int, columns c: Int) {
        parallelFor(rows, costPerItem: 4 * c) { range in
            for r in range {
                let pr = p + r * c, dr = dp + r * c
                let d = Vector.dot(pr, dr, c)
                for i in 0..<c { dr[i] = pr[i] * (dr[i] - d) }
            }
        }
    }
}
