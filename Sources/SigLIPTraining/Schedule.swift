import Foundation

/// The learning-rate multiplier over training: linear warm-up from 0, then cosine decay to 0
/// (big_vision's `warmup_cosine`). `step` counts the updates done so far (0-based).
public struct WarmupCosineSchedule: Codable, Equatable, Sendable {
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(warmupSteps: Int, totalSteps: Int) {
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The multiplier in [0, 1] at `step`.
    public func multiplier(at step: Int) -> Float {
        if step < warmupSteps { return Float(step) / Float(warmupSteps) }
        let decaySteps = max(totalSteps - warmupSteps, 1)
        let progress = min(max(Double(step - warmupSteps) / Double(decaySteps), 0), 1)
        return Float(0.5 * (1 + cos(Double.pi * progress)))
    }
}
