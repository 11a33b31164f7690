import Foundation
import SigLIPBase
import SigLIPCore

/// Adam with decoupled weight decay, the paper's training recipe (DESIGN.md §4.8):
///
///     g ← g · min(1, clip / ‖g‖)                          (global-norm clipping)
///     m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²
///     θ ← θ − lr·s(t) · m̂ / (√v̂ + ε) − wd·s(t) · θ       (decay on weight matrices only)
///
/// where s(t) is the schedule multiplier and m̂, v̂ are bias-corrected. The decay is scaled by
/// the schedule but not by the learning rate (big_vision's convention). Only the store's
/// trainable parameters are updated (a locked tower's are not, DESIGN.md §5.4); the moments
/// hold those alone, in layout order.
public final class AdamW {
    public struct Settings: Codable, Equatable, Sendable {
        public var learningRate: Float = 1e-3
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        public var weightDecay: Float = 1e-4
        /// Global gradient-norm clip; nil disables clipping.
        public var gradientClipNorm: Float? = 1.0
        public init() {}
    }

    public let settings: Settings
    public let schedule: WarmupCosineSchedule
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer
    /// Moments smaller than this in magnitude are stored as 0 (see `update`).
    static let flushBelow: Float = 1e-30

    /// Updates done so far.
    public private(set) var step = 0
    /// The trainable parameters as runs that share a decay flag: their place in the layout and
    /// where their moments start.
    private let runs: [(range: Range<Int>, decayed: Bool, moments: Int)]
    /// The trainable ranges of the layout (the store's, when this optimiser was made).
    private let trainable: [Range<Int>]

    /// Made over the store's trainable parameters as they are now.
    public init(parameters: ParameterStore, settings: Settings = Settings(), schedule: WarmupCosineSchedule) {
        self.settings = settings
        self.schedule = schedule
        trainable = parameters.trainableRanges
        firstMoment = FloatBuffer(count: parameters.trainableCount)
        secondMoment = FloatBuffer(count: parameters.trainableCount)
        var runs: [(range: Range<Int>, decayed: Bool, moments: Int)] = []
        var moments = 0
        for spec in parameters.specs {
            for part in trainable {
                let (start, end) = (max(spec.offset, part.lowerBound), min(spec.offset + spec.count, part.upperBound))
                guard start < end else { continue }
                let range = start..<end
                if let last = runs.last, last.decayed == spec.role.isDecayed, last.range.upperBound == range.lowerBound {
                    runs[runs.count - 1].range = last.range.lowerBound..<range.upperBound
                } else {
                    runs.append((range, spec.role.isDecayed, moments))
                }
                moments += range.count
            }
        }
        self.runs = runs
    }

    /// What one update did.
    public struct Report: Sendable {
        public let gradientNorm: Float   // before clipping
        public let learningRate: Float   // lr · s(t)
    }

    /// ‖g‖ over all parameters: Float sums of squares over chunks of 4,096, summed in Double in
    /// chunk order (the same bits on any thread count).
    public static func globalNorm(_ gradients: FloatBuffer) -> Float {
        globalNorm(gradients.data, over: [0..<gradients.count])
    }

    /// ‖g‖ over the store's trainable parameters (the others have no gradient).
    public static func globalNorm(_ parameters: ParameterStore) -> Float {
        globalNorm(parameters.gradients.data, over: parameters.trainableRanges)
    }

    /// ‖g‖ over `ranges` of `gradients`, each cut into chunks of 4,096 from its start.
    static func globalNorm(_ gradients: UnsafeMutablePointer<Float>, over ranges: [Range<Int>]) -> Float {
        let chunk = 4096
        let chunks = ranges.flatMap { r in stride(from: r.lowerBound, to: r.upperBound, by: chunk).map { $0..<min($0 + chunk, r.upperBound) } }
        var partial = [Double](repeating: 0, count: chunks.count)
        partial.withUnsafeMutableBufferPointer { partial in
            parallelFor(chunks.count, costPerItem: 2 * chunk) { range in
                for c in range { partial[c] = Double(Kernels.sumOfSquares(gradients + chunks[c].lowerBound, count: chunks[c].count)) }
            }
        }
        return Float(partial.reduce(0, +).squareRoot())
    }

    /// Applies one update from the gradients in `parameters`, which are left clipped, or, with
    /// `consumingGradients`, set to zero in the same pass (ready for the next step's backward,
    /// without a separate zeroing pass). `gradientNorm` may pass ‖g‖ when the caller already
    /// computed it.
    @discardableResult
    public func update(_ parameters: ParameterStore, gradientNorm: Float? = nil, consumingGradients: Bool = false) -> Report {
        precondition(parameters.trainableRanges == trainable, "the trainable parameters changed after the optimiser was made")
        let norm = gradientNorm ?? Self.globalNorm(parameters)
        var gradScale: Float = 1
        if let clip = settings.gradientClipNorm, norm > clip { gradScale = clip / norm }
        let s = schedule.multiplier(at: step)
        step += 1
        let (b1, b2, eps) = (settings.beta1, settings.beta2, settings.epsilon)
        let correction1 = 1 - powf(b1, Float(step)), correction2 = 1 - powf(b2, Float(step))
        let stepSize = settings.learningRate * s / correction1
        let invSqrtCorrection2 = 1 / correction2.squareRoot()
        func apply(_ gradients: UnsafeMutablePointer<Float>) {
            for run in runs {
                // Moments that have decayed below 1e-30 (a parameter whose gradient stays zero, such
                // as an unused token's row) are set to 0 rather than left to become subnormal
                // numbers, which are far slower to compute with; at that size they cannot move a
                // parameter (ε = 1e-8 bounds the denominator).
                let coefficients = AdamWCoefficients(
                    gradientScale: gradScale, beta1: b1, beta2: b2, epsilon: eps, stepSize: stepSize,
                    inverseSqrtCorrection2: invSqrtCorrection2, decay: run.decayed ? settings.weightDecay * s : 0,
                    flushBelow: Self.flushBelow, zeroGradients: consumingGradients)
                let start = run.range.lowerBound
                Kernels.adamW(theta: parameters.values.data + start, gradients: gradients + start,
                              firstMoment: firstMoment.data + run.moments, secondMoment: secondMoment.data + run.moments,
                              count: run.range.count, coefficients)
            }
        }
        if consumingGradients {
            parameters.consumeGradients(apply)
        } else {
            apply(parameters.gradients.data)
        }
        return Report(gradientNorm: norm, learningRate: settings.learningRate * s)
    }

    // MARK: Saving and restoring (for resuming a run exactly)

    /// Writes the moments and the step count.
    public func write(to url: URL) throws {
        var writer = SafeTensorsWriter()
        writer.metadata = ["step": String(step), "format": "siglip-swift-adamw"]
        writer.add("first_moment", shape: [firstMoment.count], floats: UnsafeBufferPointer(firstMoment.buffer))
        writer.add("second_moment", shape: [secondMoment.count], floats: UnsafeBufferPointer(secondMoment.buffer))
        try writer.write(to: url)
    }

    /// Restores what `write(to:)` wrote; refuses a file made for another parameter layout.
    public func restore(from url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        guard let stepText = file.metadata["step"], let savedStep = Int(stepText), savedStep >= 0 else {
            throw SigLIPError(path: url.path, problem: "no optimiser step in the metadata")
        }
        try file.copyFloats("first_moment", into: firstMoment.data, count: firstMoment.count)
        try file.copyFloats("second_moment", into: secondMoment.data, count: secondMoment.count)
        step = savedStep
    }
}
