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
    public static func softmaxBackwardRows(_ dp: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, rows: Int, columns c: Int,
                                           isa: InstructionSet = .selected) {
        let level = Int32(isa.rawValue)
        parallelFor(rows, costPerItem: 4 * c) { range in
            let offset = range.lowerBound * c
            ck_softmax_backward_rows(level, dp + offset, p + offset, range.count, c)
        }
    }

    /// `softmaxBackwardRows` on the calling thread. dp, p: [R, C]; dp becomes ds.
    public static func softmaxBackwardRowsOnThisThread(_ dp: UnsafeMutablePointer<Float>, p: UnsafePointer<Float>, rows: Int,
                                                       columns c: Int, isa: InstructionSet = .selected) {
        ck_softmax_backward_rows(Int32(isa.rawValue), dp, p, rows, c)
    }
}
