import Foundation

extension Kernels {
    /// Row softmax in place: p[r, :] = exp(x - max) / Σ exp(x - max). p: [R, C]
    public static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns c: Int) {
        parallelFor(rows, costPerItem: 20 * c) { range in
            for r in range { softmaxRow(p + r * c, c) }
        }
    }

    /// One row of `softmaxRows`, on the calling thread. row: [C]
    @inlinable
    public static func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ c: Int) {
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
            for r in range { softmaxBackwardRow(dp + r * c, p: p + r * c, c) }
        }
    }

    /// One row of `softmaxBackwardRows`, on the calling thread. dp, p: [C]; dp becomes ds.
    @inlinable
    public static func softmaxBackwardRow(_ dp: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, _ c: Int) {
        let d = Vector.dot(p, dp, c)
        for i in 0..<c { dp[i] = p[i] * (dp[i] - d) }
    }
}
