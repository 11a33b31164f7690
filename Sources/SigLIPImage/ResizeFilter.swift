/// Resampling filters, with Pillow's definitions (`Resample.c`).
public enum ResizeFilter: String, Sendable, CaseIterable, Codable {
    /// Triangle filter, support 1.
    case bilinear
    /// Keys cubic with a = -0.5, support 2.
    case bicubic

    /// Half-width of the filter in input pixels at scale 1.
    public var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    /// The filter's value at distance `x` (in filter units).
    @inline(__always)
    public func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

/// Normalised filter taps for resampling one axis from `inputSize` to `outputSize`,
/// for the output positions in `outputs` only (so a central crop costs no more than its pixels).
///
/// Output position `o` reads inputs `first[o - outputs.lowerBound] ..< + count[...]` with
/// weights `weights[(o - outputs.lowerBound) * taps + k]`. When shrinking, the filter is widened
/// by the scale factor (antialiasing), exactly as Pillow's `precompute_coeffs`.
struct AxisWeights {
    let outputs: Range<Int>
    let taps: Int
    private(set) var first: [Int]
    private(set) var count: [Int]
    private(set) var weights: [Float]

    /// The input positions any of the outputs reads.
    var inputSpan: Range<Int> {
        var low = Int.max, high = 0
        for i in first.indices where count[i] > 0 {
            low = min(low, first[i])
            high = max(high, first[i] + count[i])
        }
        return low < high ? low..<high : 0..<0
    }

    init(inputSize: Int, outputSize: Int, filter: ResizeFilter, outputs: Range<Int>? = nil) {
        precondition(inputSize > 0 && outputSize > 0, "AxisWeights: empty axis")
        let outputs = outputs ?? 0..<outputSize
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        self.outputs = outputs
        self.taps = taps
        first = [Int](repeating: 0, count: outputs.count)
        count = [Int](repeating: 0, count: outputs.count)
        weights = [Float](repeating: 0, count: outputs.count * taps)
        var window = [Double](repeating: 0, count: taps)
        for (row, o) in outputs.enumerated() {
            let center = (Double(o) + 0.5) * scale
            let lower = max(Int(center - support + 0.5), 0)
            let upper = min(Int(center + support + 0.5), inputSize)
            let n = min(max(upper - lower, 0), taps)
            var total = 0.0
            for k in 0..<n {
                window[k] = filter.weight((Double(k + lower) - center + 0.5) / filterScale)
                total += window[k]
            }
            for k in 0..<n { weights[row * taps + k] = Float(total != 0 ? window[k] / total : window[k]) }
            first[row] = lower
            count[row] = n
        }
    }
}
