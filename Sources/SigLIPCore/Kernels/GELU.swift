import CKernels

extension Kernels {
    /// GELU, tanh approximation: y = 0.5 x (1 + tanh(u)), u = √(2/π) (x + 0.044715 x³),
    /// computed as x · σ(2u) (the same function: 0.5 (1 + tanh u) = σ(2u)) with a vector exp
    /// (CKernels, at the `InstructionSet` selected). Below x ≈ -9 the output is exactly 0, not
    /// a tiny number whose products in the next GEMM would be subnormal. x, y: [n]
    public static func geluForward(_ x: UnsafePointer<Float>, out y: UnsafeMutablePointer<Float>, count n: Int,
                                   isa: InstructionSet = .selected) {
        let level = Int32(isa.rawValue)
        forEachChunk(n, costPerItem: 20) { start, count in ck_gelu_forward(level, x + start, y + start, count) }
    }

    /// dx[i] (+)= dy[i] · gelu'(x[i]), gelu'(x) = s + 2x s (1 − s) u', s = σ(2u), with s read
    /// off the forward's output as y / x (y = x·s; s = ½ near x = 0), so no exponential is
    /// evaluated again. With `.overwrite`, dx may be dy itself. x, y, dy, dx: [n]
    public static func geluBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
                                    dx: UnsafeMutablePointer<Float>, write: GradientWrite = .accumulate, count n: Int,
                                    isa: InstructionSet = .selected) {
        let accumulate: Int32 = write == .accumulate ? 1 : 0, level = Int32(isa.rawValue)
        forEachChunk(n, costPerItem: 12) { start, count in
            ck_gelu_backward(level, dy + start, x + start, y + start, dx + start, count, accumulate)
        }
    }
}
