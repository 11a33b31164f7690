import CKernels

/// The scalars of one AdamW step, for `Kernels.adamW` (the optimiser, SigLIPTraining.AdamW,
/// computes them from its settings, the schedule and the step number).
public struct AdamWCoefficients: Sendable {
    /// Clipping factor applied to the gradient (which is stored scaled).
    public var gradientScale: Float
    public var beta1: Float, beta2: Float, epsilon: Float
    /// lr · schedule / (1 − β1^t).
    public var stepSize: Float
    /// 1 / √(1 − β2^t).
    public var inverseSqrtCorrection2: Float
    /// Weight decay · schedule (0 for parameters without decay).
    public var decay: Float
    /// Moments smaller than this in magnitude are stored as 0.
    public var flushBelow: Float
    /// Whether the update consumes the gradients, leaving 0 in their place (the next step then
    /// needs no zeroing pass over them) instead of the clipped gradients.
    public var zeroGradients: Bool

    public init(gradientScale: Float, beta1: Float, beta2: Float, epsilon: Float, stepSize: Float,
                inverseSqrtCorrection2: Float, decay: Float, flushBelow: Float, zeroGradients: Bool = false) {
        (self.gradientScale, self.beta1, self.beta2, self.epsilon) = (gradientScale, beta1, beta2, epsilon)
        (self.stepSize, self.inverseSqrtCorrection2, self.decay, self.flushBelow) = (stepSize, inverseSqrtCorrection2, decay, flushBelow)
        self.zeroGradients = zeroGradients
    }
}

extension Kernels {
    /// One AdamW update of n parameters (CKernels, at the `InstructionSet` selected):
    /// g ← g·scale (0 with `zeroGradients`); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g² (moments below `flushBelow` in
    /// magnitude stored as 0); θ ← θ − stepSize · m / (√v · inverseSqrtCorrection2 + ε) − decay · θ.
    /// Each parameter's update is the same operations wherever the work is split.
    /// theta, g, m, v: [n]
    public static func adamW(theta: UnsafeMutablePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
                             firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                             count n: Int, _ c: AdamWCoefficients, isa: InstructionSet = .selected) {
        let step = ck_adamw_step(gradient_scale: c.gradientScale, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon,
                                 step_size: c.stepSize, inverse_sqrt_correction2: c.inverseSqrtCorrection2,
                                 decay: c.decay, flush_below: c.flushBelow, zero_gradients: c.zeroGradients ? 1 : 0)
        let level = Int32(isa.rawValue)
        withUnsafePointer(to: step) { step in   // read by every thread, written by none
            forEachChunk(n, costPerItem: 12) { start, count in
                ck_adamw(level, theta + start, g + start, m + start, v + start, count, step)
            }
        }
    }

    /// Σ x[i]² on the calling thread (for the gradient norm, which splits the work itself).
    /// x: [n]
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int, isa: InstructionSet = .selected) -> Float {
        var out: Float = 0
        ck_sum_of_squares(Int32(isa.rawValue), x, n, &out)
        return out
    }
}
