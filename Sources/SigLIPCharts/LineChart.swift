import SigLIPImage

/// A line chart drawn into an `RGBImage` without any graphics library: white background,
/// light grey grid at "nice" ticks, labelled axes (linear or log10), anti-aliased 2-px lines,
/// a legend placed in the emptiest corner, a title and axis labels.
///
/// Points that cannot be placed (NaN, ±inf, and values ≤ 0 on a log axis) are skipped;
/// an empty chart still draws its frame and says "no data".
public struct LineChart: Sendable {
    /// One named line.
    public struct Series: Sendable {
        public var name: String
        /// (x, y) in data units, drawn in the given order.
        public var points: [(Double, Double)]
        public var color: ChartColor
        /// Stroke width in pixels.
        public var lineWidth: Double
        /// Draws a dot at every point (always done for a series with a single point).
        public var showsMarkers: Bool

        public init(name: String, points: [(Double, Double)], color: ChartColor,
                    lineWidth: Double = 2, showsMarkers: Bool = false) {
            self.name = name
            self.points = points
            self.color = color
            self.lineWidth = lineWidth
            self.showsMarkers = showsMarkers
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var xScale: AxisScale
    public var yScale: AxisScale
    /// Size of one font pixel: 2 draws the 5×8 font at 10×16 pixels.
    public var textScale: Int

    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series] = [],
                xScale: AxisScale = .linear, yScale: AxisScale = .linear, textScale: Int = 2) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
        self.yScale = yScale
        self.textScale = textScale
    }

    /// The chart as a `width` × `height` image (sides below 1 give an empty image).
    public func render(width: Int, height: Int) -> RGBImage {
        var raster = Raster(width: width, height: height)
        draw(into: &raster, x: 0, y: 0, width: raster.width, height: raster.height)
        return raster.image
    }

    /// Draws the chart into the rectangle [x, x + width) × [y, y + height) of `raster`.
    func draw(into raster: inout Raster, x: Int, y: Int, width: Int, height: Int) {
        raster.fill(x: x, y: y, width: width, height: height, color: .white)
        let layout = ChartLayout(chart: self, x: x, y: y, width: width, height: height)
        guard layout.plotWidth >= 8, layout.plotHeight >= 8 else { return }
        drawGrid(into: &raster, layout)
        let polylines = series.map { layout.polyline($0.points) }
        for (line, polyline) in zip(series, polylines) {
            drawSeries(line, polyline: polyline, into: &raster, layout)
        }
        raster.strokeRectangle(x: layout.plotX, y: layout.plotY, width: layout.plotWidth, height: layout.plotHeight,
                               color: .frame)
        drawTickLabels(into: &raster, layout)
        if polylines.allSatisfy(\.isEmpty) {
            raster.drawText("no data", x: layout.plotX + layout.plotWidth / 2, y: layout.plotY + layout.plotHeight / 2,
                            scale: layout.scale, color: .frame, anchor: .center)
        }
        drawLegend(into: &raster, layout, polylines: polylines)
        drawTitles(into: &raster, layout, x: x, width: width)
    }
}
