import CKernels

extension Kernels {
    /// LayerNorm over the last axis: out = (x - mean) * rstd * gamma + beta (CKernels, at the
    /// `InstructionSet` selected). x, out: [R, D]; gamma, beta: [D]; caches mean, rstd: [R] for the backward.
    public static func layerNormForward(
        _ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        rows: Int, width d: Int, epsilon: Float, isa: InstructionSet = .selected
    ) {
        let level = Int32(isa.rawValue)
        parallelFor(rows, costPerItem: 8 * d) { range in
            let r = range.lowerBound
            ck_layer_norm_forward(level, x + r * d, gamma, beta, out + r * d, mean + r, rstd + r, range.count, d, epsilon)
        }
    }

    /// Backward of `layerNormForward`: dx ← (dx if `write` is `.accumulate`) + (residual if
    /// given) + ∂L/∂x, so a residual branch's gradient joins in the same pass; dgamma, dbeta
    /// accumulate. dout, x, dx, residual: [R, D]; gamma, dgamma, dbeta: [D]; mean, rstd: [R]
    public static func layerNormBackward(
        _ dout: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, write: GradientWrite = .accumulate,
        residual: UnsafePointer<Float>? = nil,
        dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>, rows: Int, width d: Int,
        isa: InstructionSet = .selected
    ) {
        // dx by rows (CKernels): with g = dy ∘ gamma and n the normalised input,
        // ∂L/∂x = (g − mean(g) − n · mean(g ∘ n)) · rstd.
        let level = Int32(isa.rawValue), accumulate: Int32 = write == .accumulate ? 1 : 0
        parallelFor(rows, costPerItem: 10 * d) { range in
            let offset = range.lowerBound * d
            ck_layer_norm_backward_rows(level, dout + offset, x + offset, mean + range.lowerBound, rstd + range.lowerBound,
                                        gamma, dx + offset, residual.map { $0 + offset }, accumulate, range.count, d)
        }
        // dgamma, dbeta: column sums of dy ∘ n and of dy.
        forEachColumnBlock(rows: rows, columns: d, costPerElement: 4) { i, n in
            ck_layer_norm_parameter_gradients(level, dout + i, x + i, mean, rstd, rows, n, d, dgamma + i, dbeta + i)
        }
    }
}
