import Foundation

/// Tick positions and labels for one axis.
public struct AxisTicks: Sendable, Equatable {
    /// Tick positions in data units, increasing.
    public var values: [Double]
    /// One label per value, e.g. "0.5", "2.5e14", "1e15".
    public var labels: [String]

    public init(values: [Double], labels: [String]) {
        self.values = values
        self.labels = labels
    }
}

/// "Nice" tick values (1-2-5 steps, decades on log axes) and their labels.
public enum ChartTicks {
    /// The smallest of 1, 2, 5 × 10^k that is at least `rough` (1 for non-positive or non-finite input).
    public static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let decade = pow(10, decimalLog(rough).rounded(.down))
        let fraction = rough / decade
        let nice: Double = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10
        return nice * decade
    }

    /// Multiples of a 1-2-5 step inside [lower, upper], about `targetCount` of them.
    public static func linear(lower: Double, upper: Double, targetCount: Int = 5) -> AxisTicks {
        guard lower.isFinite, upper.isFinite, upper > lower else { return AxisTicks(values: [], labels: []) }
        let step = niceStep((upper - lower) / Double(max(1, targetCount)))
        let slack = step * 1e-9
        let first = ((lower - slack) / step).rounded(.up), last = ((upper + slack) / step).rounded(.down)
        guard first <= last else { return AxisTicks(values: [], labels: []) }
        let values = stride(from: first, through: last, by: 1).map { k -> Double in
            let v = k * step
            return v == 0 ? 0 : v  // no "-0"
        }
        return AxisTicks(values: values, labels: labels(values, resolution: step))
    }

    /// Ticks for a log10 axis over [lower, upper] (both > 0): powers of ten, every n-th decade
    /// when there are more than `maxCount`; with fewer than three decades, the 2× and 5×
    /// multiples as well; on a range narrower than that, linear 1-2-5 ticks.
    public static func log10(lower: Double, upper: Double, maxCount: Int = 7) -> AxisTicks {
        guard lower > 0, lower.isFinite, upper.isFinite, upper > lower else { return AxisTicks(values: [], labels: []) }
        let lowExponent = Int((decimalLog(lower) - 1e-9).rounded(.up))
        let highExponent = Int((decimalLog(upper) + 1e-9).rounded(.down))
        let decades = lowExponent <= highExponent ? Array(lowExponent...highExponent) : []
        if decades.count >= 3 {
            let stride = (decades.count + max(1, maxCount) - 1) / max(1, maxCount)
            let values = decades.filter { ($0 - decades[0]) % stride == 0 }.map { pow(10, Double($0)) }
            return AxisTicks(values: values, labels: labels(values, resolution: nil))
        }
        var values: [Double] = []
        for exponent in (lowExponent - 1)...highExponent {
            let decade: Double = pow(10, Double(exponent))
            for multiple: Double in [1, 2, 5] where multiple * decade >= lower * (1 - 1e-9)
                && multiple * decade <= upper * (1 + 1e-9) {
                values.append(multiple * decade)
            }
        }
        if values.count >= 2 && values.count <= max(2, maxCount) {
            return AxisTicks(values: values, labels: labels(values, resolution: nil))
        }
        if values.count > maxCount, decades.count >= 2 {
            let powers = decades.map { pow(10, Double($0)) }
            return AxisTicks(values: powers, labels: labels(powers, resolution: nil))
        }
        return linear(lower: lower, upper: upper, targetCount: max(2, min(maxCount, 5)))
    }

    /// Labels for `values` in one style: plain decimals, or scientific ("2.5e14") when the
    /// largest magnitude is ≥ 1e5 or < 1e-3. `resolution` is the spacing the labels must
    /// resolve (a linear step); nil means each value is shown to its own first digit.
    public static func labels(_ values: [Double], resolution: Double?) -> [String] {
        let largest = values.map(abs).max() ?? 0
        let scientific = largest >= 1e5 || (largest > 0 && largest < 1e-3)
        return values.map { value in
            let unit = resolution ?? (value == 0 ? 1 : pow(10, decimalLog(abs(value)).rounded(.down)))
            return scientific ? scientificLabel(value, resolution: unit) : decimalLabel(value, resolution: unit)
        }
    }

    /// "0.25", "3", "-1.5": enough decimals to show `resolution`.
    static func decimalLabel(_ value: Double, resolution: Double) -> String {
        let decimals = min(8, max(0, Int(-(decimalLog(resolution) + 1e-9).rounded(.down))))
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// "1e15", "2.5e14", "-3e-4": a mantissa with trailing zeros stripped.
    static func scientificLabel(_ value: Double, resolution: Double) -> String {
        guard value != 0 else { return "0" }
        var exponent = Int(decimalLog(abs(value)).rounded(.down))
        let digits = { (e: Int) in min(3, max(0, e - Int((decimalLog(resolution) + 1e-9).rounded(.down)))) }
        var mantissa = String(format: "%.\(digits(exponent))f", value / pow(10, Double(exponent)))
        if let m = Double(mantissa), abs(m) >= 10 {  // 9.99 rounded up to 10.0
            exponent += 1
            mantissa = String(format: "%.\(digits(exponent))f", value / pow(10, Double(exponent)))
        }
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        return "\(mantissa)e\(exponent)"
    }
}

/// log10 at file scope (inside `ChartTicks` the name means the tick function).
private func decimalLog(_ x: Double) -> Double { log10(x) }
