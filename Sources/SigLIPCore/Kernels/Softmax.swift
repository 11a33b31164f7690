import CKernels

extension Kernels {
    /// Row softmax in place: p[r, :] = exp(x - max) / Σ exp(x - max), with a vector exp
    /// (CKernels, at the `InstructionSet` selected); masked (-inf) entries give exact zeros. p: [R, C]
    public static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, columns c: Int,
                                   isa: InstructionSet = .selected) {
        let level = Int32(isa.rawValue)
        parallelFor(rows, costPerItem: 20 * c) { range in
            ck_softmax_rows(level, p + range.lowerBound * c, range.count, c)
        }
    }

    /// `softmaxRows` on the calling thread (for callers that already run one task per thread,
    /// such as attention heads). p: [R, C]
    public static func softmaxRowsOnThisThread(_ p: UnsafeMutablePointer<Float>, rows: Int, columns c: Int,
                                               isa: InstructionSet = .selected) {
        ck_softmax_rows(Int32(isa.rawValue), p, rows, c)
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
        Vector.forEachBlock(c) { i, n in
            (SIMD8<Float>.load(p + i, count: n) * (SIMD8<Float>.load(dp + i, count: n) - d)).store(dp + i, count: n)
        }
    }
}
