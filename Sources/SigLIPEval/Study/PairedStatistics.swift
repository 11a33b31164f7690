import Foundation
import SigLIPCore

/// McNemar's test on paired binary outcomes of the same items: b = items A hits and B misses,
/// c = items A misses and B hits. With b + c ≤ 25 the exact two-sided binomial p-value,
/// p = min(1, 2 · Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c)); above, the chi-square with continuity
/// correction, x = (|b − c| − 1)² / (b + c), p = P(χ²₁ > x) = erfc(√(x/2)).
public struct McNemar: Codable, Equatable, Sendable {
    public var b: Int
    public var c: Int
    public var p: Double
    public var exact: Bool

    public init(_ a: [Bool], _ bOutcomes: [Bool]) {
        precondition(a.count == bOutcomes.count, "McNemar: outcomes of different items")
        var b = 0, c = 0
        for (x, y) in zip(a, bOutcomes) where x != y { if x { b += 1 } else { c += 1 } }
        self.init(b: b, c: c)
    }

    public init(b: Int, c: Int) {
        (self.b, self.c) = (b, c)
        let n = b + c
        if n == 0 {
            (p, exact) = (1, true)
        } else if n <= 25 {
            var tail = 0.0, term = 1.0   // C(n, 0)
            for i in 0...min(b, c) {
                if i > 0 { term *= Double(n - i + 1) / Double(i) }
                tail += term
            }
            (p, exact) = (min(1, 2 * tail / pow(2, Double(n))), true)
        } else {
            let x = pow(Double(abs(b - c) - 1), 2) / Double(n)
            (p, exact) = (erfc((x / 2).squareRoot()), false)
        }
    }
}

/// A 95% confidence interval.
public struct Interval: Codable, Equatable, Sendable {
    public var low: Double
    public var high: Double
    public init(low: Double, high: Double) { (self.low, self.high) = (low, high) }
    public func contains(_ x: Double) -> Bool { low <= x && x <= high }
}

/// The statistics behind a paired comparison.
public enum PairedStatistics {
    /// Mean and sample standard deviation (n − 1; 0 for one value).
    public static func meanAndDeviation(_ x: [Double]) -> (mean: Double, sd: Double) {
        guard !x.isEmpty else { return (.nan, .nan) }
        let mean = x.reduce(0, +) / Double(x.count)
        guard x.count > 1 else { return (mean, 0) }
        return (mean, (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot())
    }

    /// The 0.975 quantile of Student's t with `df` degrees of freedom: exact to 3 decimals from
    /// a table for df 1…30, the normal's 1.960 above.
    public static func t975(df: Int) -> Double {
        let table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                     2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        precondition(df >= 1, "t975: df must be at least 1")
        return df <= table.count ? table[df - 1] : 1.960
    }

    /// The seed-level interval: mean ± t(0.975, n−1) · sd / √n over per-seed differences (nil
    /// for fewer than 2 seeds).
    public static func seedInterval(_ differences: [Double]) -> Interval? {
        guard differences.count >= 2 else { return nil }
        let (mean, sd) = meanAndDeviation(differences)
        let half = t975(df: differences.count - 1) * sd / Double(differences.count).squareRoot()
        return Interval(low: mean - half, high: mean + half)
    }

    /// The two-level paired bootstrap of the mean difference A − B: each replicate resamples
    /// the seed pairs with replacement and, within each drawn pair, the items with replacement
    /// (the same items for A and B), then averages the pairs' mean differences; the interval is
    /// the 2.5th and 97.5th percentiles of `replicates` replicates. Items: per pair, A's and
    /// B's outcomes over the same items in the same order.
    public static func bootstrapInterval(_ pairs: [(a: [Bool], b: [Bool])], replicates: Int,
                                         generator: inout SeededGenerator) -> Interval {
        precondition(!pairs.isEmpty && replicates >= 1, "bootstrap: no pairs or replicates")
        // Per item, the difference of outcomes: +1, 0 or −1.
        let differences: [[Int8]] = pairs.map { pair in zip(pair.a, pair.b).map { Int8($0 ? 1 : 0) - Int8($1 ? 1 : 0) } }
        var values = [Double](repeating: 0, count: replicates)
        for r in 0..<replicates {
            var sum = 0.0
            for _ in pairs.indices {
                let d = differences[Int(generator.next() % UInt64(pairs.count))]
                guard !d.isEmpty else { continue }
                var total = 0
                for _ in d.indices { total += Int(d[Int(generator.next() % UInt64(d.count))]) }
                sum += Double(total) / Double(d.count)
            }
            values[r] = sum / Double(pairs.count)
        }
        values.sort()
        func percentile(_ q: Double) -> Double { values[min(values.count - 1, max(0, Int((q * Double(values.count - 1)).rounded())))] }
        return Interval(low: percentile(0.025), high: percentile(0.975))
    }
}
