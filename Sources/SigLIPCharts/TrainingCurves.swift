import SigLIPImage

/// One training step for the curves: how far training has gone and the loss there.
public struct CurvePoint: Sendable, Equatable {
    /// Training examples (image–text pairs) seen so far.
    public var examples: Double
    /// Training FLOPs spent so far.
    public var flops: Double
    public var loss: Double

    public init(examples: Double, flops: Double, loss: Double) {
        self.examples = examples
        self.flops = flops
        self.loss = loss
    }
}

/// One zero-shot evaluation for the curves.
public struct EvalPoint: Sendable, Equatable {
    public var examples: Double
    public var flops: Double
    /// Top-1 accuracy as a fraction in [0, 1] (drawn as a percentage).
    public var top1: Double
    /// Recursion rounds the model was evaluated with; each value gets its own line.
    public var rounds: Int

    public init(examples: Double, flops: Double, top1: Double, rounds: Int) {
        self.examples = examples
        self.flops = flops
        self.top1 = top1
        self.rounds = rounds
    }
}

/// The standard 2×2 training report: loss and zero-shot top-1, each against examples seen
/// (linear) and against training FLOPs (log10).
public enum TrainingCurves {
    /// Renders the report as a `width` × `height` image.
    public static func render(steps: [CurvePoint], evaluations: [EvalPoint], title: String,
                              width: Int = 1600, height: Int = 1100) -> RGBImage {
        ChartGrid(charts: charts(steps: steps, evaluations: evaluations), columns: 2, title: title)
            .render(width: width, height: height)
    }

    /// The four charts: loss vs examples, loss vs FLOPs, top-1 vs examples, top-1 vs FLOPs.
    public static func charts(steps: [CurvePoint], evaluations: [EvalPoint]) -> [LineChart] {
        let lossScale = prefersLogScale(steps.map(\.loss)) ? AxisScale.log10 : .linear
        let evalSeries = { (x: (EvalPoint) -> Double) in accuracySeries(evaluations, x: x) }
        return [
            LineChart(title: "Training loss", xLabel: "examples seen", yLabel: "loss",
                      series: lossSeries(steps, x: \.examples), yScale: lossScale),
            LineChart(title: "Training loss vs compute", xLabel: "training FLOPs", yLabel: "loss",
                      series: lossSeries(steps, x: \.flops), xScale: .log10, yScale: lossScale),
            LineChart(title: "Zero-shot top-1", xLabel: "examples seen", yLabel: "top-1 (%)",
                      series: evalSeries(\.examples)),
            LineChart(title: "Zero-shot top-1 vs compute", xLabel: "training FLOPs", yLabel: "top-1 (%)",
                      series: evalSeries(\.flops), xScale: .log10),
        ]
    }

    /// The raw loss, faint, and (from 20 steps on) a smoothed loss on top of it.
    static func lossSeries(_ steps: [CurvePoint], x: KeyPath<CurvePoint, Double>) -> [LineChart.Series] {
        let color = ChartColor.series(0)
        let raw = steps.map { ($0[keyPath: x], $0.loss) }
        guard steps.count >= 20 else { return [LineChart.Series(name: "loss", points: raw, color: color)] }
        let smooth = zip(steps, smoothed(steps.map(\.loss))).map { ($0.0[keyPath: x], $0.1) }
        return [
            LineChart.Series(name: "loss", points: raw, color: color.lightened(0.65), lineWidth: 1.5),
            LineChart.Series(name: "loss (smoothed)", points: smooth, color: color, lineWidth: 2.5),
        ]
    }

    /// One series with markers per rounds value, in increasing rounds order.
    static func accuracySeries(_ evaluations: [EvalPoint], x: (EvalPoint) -> Double) -> [LineChart.Series] {
        let rounds = Set(evaluations.map(\.rounds)).sorted()
        return rounds.enumerated().map { index, r in
            let points = evaluations.filter { $0.rounds == r }.map { (x($0), $0.top1 * 100) }
            return LineChart.Series(name: r == 1 ? "1 round" : "\(r) rounds", points: points,
                                    color: ChartColor.series(index + 1), showsMarkers: true)
        }
    }

    /// A moving average that follows fast early changes: the window around step i reaches
    /// back min(i/4, n/40) steps and as far forward (centred, so no lag), except near the
    /// end, where it is cut at the last step. Non-finite values are passed through and do
    /// not enter any average.
    static func smoothed(_ values: [Double]) -> [Double] {
        let half = max(1, values.count / 40)
        var sums = [0.0], counts = [0]  // prefix sums over the finite values
        for value in values {
            sums.append(sums.last! + (value.isFinite ? value : 0))
            counts.append(counts.last! + (value.isFinite ? 1 : 0))
        }
        return values.indices.map { i in
            guard values[i].isFinite else { return values[i] }
            let back = min(half, i / 4), ahead = min(back, values.count - 1 - i)
            let low = i - back, high = i + ahead + 1
            return (sums[high] - sums[low]) / Double(counts[high] - counts[low])
        }
    }

    /// Log scale when all finite values are positive and span more than a factor of 20.
    static func prefersLogScale(_ values: [Double]) -> Bool {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max(), low > 0 else { return false }
        return high / low > 20
    }
}
