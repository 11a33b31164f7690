import CKernels

extension Kernels {
    /// Floats of workspace `attentionHeadForward` and `attentionHeadBackward` need for `tokens`
    /// tokens of width `headWidth`.
    public static func attentionHeadWorkspace(tokens n: Int, headWidth dh: Int, isa: InstructionSet = .selected) -> Int {
        var floats = 0
        ck_attention_head_workspace(Int32(isa.rawValue), n, dh, &floats)
        return floats
    }

    /// One attention head's forward on the calling thread (for callers that run one head per
    /// task), fused: `probabilities` = softmax(scale · Q·Kᵀ + mask) row by row and `output` = P·V,
    /// each tile of queries' scores turned into probabilities and outputs while in L1 (the same
    /// values as a GEMM, `softmaxRowsOnThisThread` and a GEMM, up to the order of the sums).
    /// q, k, v: [N, dh] at row stride `ld`; mask: [N] added to every row of scores, or nil;
    /// probabilities: [N, N]; output: [N, dh] at row stride `ldOutput`; work:
    /// `attentionHeadWorkspace` floats. `nextQueries`: the queries of the head the caller takes
    /// next (its keys and values at the same distances from them as `k` and `v` from `q`), whose
    /// rows are asked of the cache while this head works (the values do not depend on it).
    public static func attentionHeadForward(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int, tokens n: Int, headWidth dh: Int,
        scale: Float, mask: UnsafePointer<Float>?, probabilities: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>, ldOutput: Int, work: UnsafeMutablePointer<Float>,
        nextQueries: UnsafePointer<Float>? = nil, isa: InstructionSet = .selected
    ) {
        ck_attention_head_forward(Int32(isa.rawValue), q, k, v, ld, n, dh, scale, mask, probabilities, output, ldOutput, work,
                                  nextQueries)
    }

    /// The backward of `attentionHeadForward` on the calling thread, fused: from the forward's
    /// `probabilities` P ([N, N]) and the outputs' gradient `outputGradient` dO ([N, dh] at row
    /// stride `ldOutput`), dS = P ∘ (dO·Vᵀ − rowsum(P ∘ dO·Vᵀ)) a tile of queries at a time (in
    /// `work`, while in L1), then dq = scale·dS·K, dk = scale·dSᵀ·Q and dv = Pᵀ·dO — the same values
    /// as four GEMMs and `softmaxBackwardRowsOnThisThread`, up to the order of the sums.
    /// q, k, v, dq, dk, dv: [N, dh] at row stride `ld` (overwritten); work: `attentionHeadWorkspace` floats.
    public static func attentionHeadBackward(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int, tokens n: Int, headWidth dh: Int,
        scale: Float, probabilities: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, ldOutput: Int,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
        work: UnsafeMutablePointer<Float>, isa: InstructionSet = .selected
    ) {
        ck_attention_head_backward(Int32(isa.rawValue), q, k, v, ld, n, dh, scale, probabilities, outputGradient, ldOutput,
                                   dq, dk, dv, work)
    }
}
