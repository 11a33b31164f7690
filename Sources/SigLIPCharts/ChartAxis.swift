import Foundation

/// How data values map to positions along an axis.
public enum AxisScale: Sendable, Equatable {
    case linear
    /// Logarithmic; values ≤ 0 cannot be shown and are skipped.
    case log10
}

/// One axis of a chart: its scale, visible range and ticks.
struct ChartAxis {
    let scale: AxisScale
    /// Visible range in data units (lower < upper; both > 0 on a log axis).
    let lower: Double
    let upper: Double
    var ticks: AxisTicks

    /// Whether `value` can be placed on this axis (finite, and positive on a log axis).
    static func isPlottable(_ value: Double, on scale: AxisScale) -> Bool {
        value.isFinite && (scale == .linear || value > 0)
    }

    /// An axis covering the plottable `values` with a small margin on both sides: an empty
    /// set gives [0, 1] (log: [1, 10]); a constant is padded to a visible range.
    init(fitting values: [Double], scale: AxisScale, margin: Double = 0.04) {
        let usable = values.filter { Self.isPlottable($0, on: scale) }
        let low = usable.min(), high = usable.max()
        self.scale = scale
        switch scale {
        case .linear:
            var (a, b) = (low ?? 0, high ?? 1)
            if b - a <= max(abs(a), abs(b)) * 1e-12 {  // constant (or nearly): pad by 10%, at least ±1 around 0
                let pad = a == 0 ? 1 : abs(a) * 0.1
                (a, b) = (a - pad, b + pad)
            }
            let pad = (b - a) * margin
            lower = a - pad
            upper = b + pad
        case .log10:
            var (a, b) = (low.map { log10($0) } ?? 0, high.map { log10($0) } ?? 1)
            if b - a < 1e-9 { (a, b) = (a - 0.5, b + 0.5) }
            let pad = (b - a) * margin
            lower = pow(10, a - pad)
            upper = pow(10, b + pad)
        }
        ticks = AxisTicks(values: [], labels: [])
    }

    /// Chooses ticks: about `targetCount` on a linear axis, at most that many decades on a log axis.
    mutating func chooseTicks(targetCount: Int) {
        switch scale {
        case .linear: ticks = ChartTicks.linear(lower: lower, upper: upper, targetCount: targetCount)
        case .log10: ticks = ChartTicks.log10(lower: lower, upper: upper, maxCount: targetCount)
        }
    }

    /// Position of `value` as a fraction of the axis (0 at `lower`, 1 at `upper`), or nil if not plottable.
    func fraction(_ value: Double) -> Double? {
        guard Self.isPlottable(value, on: scale) else { return nil }
        switch scale {
        case .linear: return (value - lower) / (upper - lower)
        case .log10: return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }
}
