import Foundation

extension Kernels {
    /// Row softmax in place: p[r, :] = exp(x - max) / Σ exp(x - max). p: [R, C]
    public static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns c: Int) {
        parallelFor(rows, costPerItem: 20 * c) { range in
            for r in range { softmaxRow(p + r * c, c) }
        }
    }

    /// One row of `softmaxRows`, on the calling thread, eight lanes at a time with
    /// `FastMath.exp`. row: [C]
    @inlinable
    public static func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ c: Int) {
        let m = Vector.max(row, c)
        var sums = SIMD8<Float>()
        FastMath.forEachBlock(c) { i, n in
            var e = FastMath.exp(SIMD8<Float>.load(row + i, count: n) - m)
            if n < 8 { for lane in n..<8 { e[lane] = 0 } }
            sums += e
            e.store(row + i, count: n)
        }
        let inv = 1 / sums.sum()
        FastMath.forEachBlock(c) { i, n in (SIMD8<Float>.load(row + i, count: n) * inv).store(row + i, count: n) }
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
        FastMath.forEachBlock(c) { i, n in
            (SIMD8<Float>.load(p + i, count: n) * (SIMD8<Float>.load(dp + i, count: n) - d)).store(dp + i, count: n)
        }
    }
}
