/// Where the parts of a chart go: the plot rectangle inside the chart's rectangle, and the
/// axes with ticks chosen so that labels do not collide.
struct ChartLayout {
    let scale: Int
    /// Plot area [plotX, plotX + plotWidth) × [plotY, plotY + plotHeight) in raster pixels.
    let plotX: Int, plotY: Int, plotWidth: Int, plotHeight: Int
    let xAxis: ChartAxis
    let yAxis: ChartAxis
    /// Gaps and sizes derived from the text scale.
    var lineHeight: Int { BitmapFont.height(scale: scale) }
    var padding: Int { 5 * scale }
    var tickLength: Int { 3 * scale }
    var gap: Int { 3 * scale }

    init(chart: LineChart, x: Int, y: Int, width: Int, height: Int) {
        let s = max(1, chart.textScale)
        scale = s
        let lineHeight = BitmapFont.height(scale: s), padding = 5 * s, tickLength = 3 * s, gap = 3 * s
        let points = chart.series.flatMap(\.points).filter { x, y in  // only points that will be drawn
            ChartAxis.isPlottable(x, on: chart.xScale) && ChartAxis.isPlottable(y, on: chart.yScale)
        }
        var xAxis = ChartAxis(fitting: points.map(\.0), scale: chart.xScale)
        var yAxis = ChartAxis(fitting: points.map(\.1), scale: chart.yScale)

        let top = padding + (chart.title.isEmpty ? 0 : lineHeight + 2 * gap) + lineHeight / 2
        let bottom = tickLength + gap + lineHeight + (chart.xLabel.isEmpty ? 0 : gap + lineHeight) + padding
        let plotHeight = height - top - bottom
        yAxis.chooseTicks(targetCount: min(8, max(2, plotHeight / (lineHeight * 3))))

        let labelWidth = yAxis.ticks.labels.map { BitmapFont.width(of: $0, scale: s) }.max() ?? 0
        let left = padding + (chart.yLabel.isEmpty ? 0 : lineHeight + 2 * gap) + labelWidth + gap + tickLength
        let right = padding + 3 * BitmapFont.advance * s
        let plotWidth = width - left - right
        xAxis.chooseTicks(targetCount: Self.xTickCount(for: xAxis, plotWidth: plotWidth, scale: s))

        plotX = x + left
        plotY = y + top
        self.plotWidth = plotWidth
        self.plotHeight = plotHeight
        self.xAxis = xAxis
        self.yAxis = yAxis
    }

    /// The largest tick count (8 down to 2) whose x labels keep two characters apart.
    private static func xTickCount(for axis: ChartAxis, plotWidth: Int, scale: Int) -> Int {
        var trial = axis
        for count in stride(from: 8, through: 2, by: -1) {
            trial.chooseTicks(targetCount: count)
            let centres = trial.ticks.values.compactMap { trial.fraction($0) }.map { $0 * Double(plotWidth) }
            let widths = trial.ticks.labels.map { Double(BitmapFont.width(of: $0, scale: scale)) }
            let fits = zip(centres.indices.dropFirst(), centres.indices).allSatisfy { i, previous in
                centres[i] - centres[previous] >= (widths[i] + widths[previous]) / 2 + Double(2 * BitmapFont.advance * scale)
            }
            if fits { return count }
        }
        return 2
    }

    /// Raster x of a data x, or nil when it cannot be placed (or the axis range overflowed).
    func pixelX(_ value: Double) -> Double? {
        xAxis.fraction(value).map { Double(plotX) + $0 * Double(plotWidth) }.flatMap { $0.isFinite ? $0 : nil }
    }

    /// Raster y of a data y (up is larger), or nil when it cannot be placed.
    func pixelY(_ value: Double) -> Double? {
        yAxis.fraction(value).map { Double(plotY + plotHeight) - $0 * Double(plotHeight) }.flatMap { $0.isFinite ? $0 : nil }
    }

    /// The plottable points of a series in raster coordinates, in order.
    func polyline(_ points: [(Double, Double)]) -> [(x: Double, y: Double)] {
        points.compactMap { point in
            guard let px = pixelX(point.0), let py = pixelY(point.1) else { return nil }
            return (px, py)
        }
    }
}
