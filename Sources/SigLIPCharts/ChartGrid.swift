import SigLIPImage

/// Several charts side by side in rows of `columns`, under an optional overall title.
public struct ChartGrid: Sendable {
    public var charts: [LineChart]
    public var columns: Int
    public var title: String
    /// Font pixel size of the overall title.
    public var titleScale: Int

    public init(charts: [LineChart], columns: Int = 2, title: String = "", titleScale: Int = 3) {
        self.charts = charts
        self.columns = columns
        self.title = title
        self.titleScale = titleScale
    }

    /// All charts in one `width` × `height` image; every cell gets an equal share.
    public func render(width: Int, height: Int) -> RGBImage {
        var raster = Raster(width: width, height: height)
        let columns = max(1, min(self.columns, max(1, charts.count)))
        let rows = max(1, (charts.count + columns - 1) / columns)
        var top = 0
        if !title.isEmpty {
            let scale = max(1, titleScale)
            raster.drawText(title, x: raster.width / 2, y: 4 * scale, scale: scale, color: .ink, anchor: .topCenter)
            top = BitmapFont.height(scale: scale) + 8 * scale
        }
        let cellWidth = raster.width / columns, cellHeight = max(0, raster.height - top) / rows
        for (index, chart) in charts.enumerated() {
            let x = (index % columns) * cellWidth, y = top + (index / columns) * cellHeight
            chart.draw(into: &raster, x: x, y: y, width: cellWidth, height: cellHeight)
        }
        return raster.image
    }
}
