/// The parts of a line chart, drawn in order: grid, series, frame, ticks, legend, titles.
extension LineChart {
    func drawGrid(into raster: inout Raster, _ layout: ChartLayout) {
        for value in layout.xAxis.ticks.values {
            guard let px = layout.pixelX(value) else { continue }
            let column = Int(px.rounded(.down))
            if column > layout.plotX, column < layout.plotX + layout.plotWidth - 1 {
                raster.fill(x: column, y: layout.plotY, width: 1, height: layout.plotHeight, color: .grid)
            }
        }
        for value in layout.yAxis.ticks.values {
            guard let py = layout.pixelY(value) else { continue }
            let row = Int(py.rounded(.down))
            if row > layout.plotY, row < layout.plotY + layout.plotHeight - 1 {
                raster.fill(x: layout.plotX, y: row, width: layout.plotWidth, height: 1, color: .grid)
            }
        }
    }

    /// Strokes the polyline (clipped to the plot) and its markers in one coverage pass.
    func drawSeries(_ line: Series, polyline: [(x: Double, y: Double)], into raster: inout Raster, _ layout: ChartLayout) {
        guard !polyline.isEmpty else { return }
        var mask = CoverageMask(x: layout.plotX + 1, y: layout.plotY + 1,
                                width: layout.plotWidth - 2, height: layout.plotHeight - 2)
        let width = max(0.5, line.lineWidth.isFinite ? line.lineWidth : 2)
        for (a, b) in zip(polyline, polyline.dropFirst()) {
            mask.stroke(from: a.x, a.y, to: b.x, b.y, lineWidth: width)
        }
        if line.showsMarkers || polyline.count == 1 {
            for point in polyline { mask.disc(centerX: point.x, centerY: point.y, radius: max(3, width * 1.6)) }
        }
        raster.paint(mask, color: line.color)
    }

    func drawTickLabels(into raster: inout Raster, _ layout: ChartLayout) {
        let bottom = layout.plotY + layout.plotHeight
        for (value, label) in zip(layout.xAxis.ticks.values, layout.xAxis.ticks.labels) {
            guard let px = layout.pixelX(value) else { continue }
            let column = min(max(Int(px.rounded(.down)), layout.plotX), layout.plotX + layout.plotWidth - 1)
            raster.fill(x: column, y: bottom, width: 1, height: layout.tickLength, color: .frame)
            raster.drawText(label, x: column + 1, y: bottom + layout.tickLength + layout.gap,
                            scale: layout.scale, color: .ink, anchor: .topCenter)
        }
        for (value, label) in zip(layout.yAxis.ticks.values, layout.yAxis.ticks.labels) {
            guard let py = layout.pixelY(value) else { continue }
            let row = min(max(Int(py.rounded(.down)), layout.plotY), bottom - 1)
            raster.fill(x: layout.plotX - layout.tickLength, y: row, width: layout.tickLength, height: 1, color: .frame)
            raster.drawText(label, x: layout.plotX - layout.tickLength - layout.gap, y: row + 1,
                            scale: layout.scale, color: .ink, anchor: .centerRight)
        }
    }

    /// Title above the plot, x label below the tick labels, y label turned along the left edge.
    func drawTitles(into raster: inout Raster, _ layout: ChartLayout, x: Int, width: Int) {
        let centreX = layout.plotX + layout.plotWidth / 2
        if !title.isEmpty {
            raster.drawText(title, x: centreX, y: layout.plotY - layout.lineHeight / 2 - layout.gap - layout.lineHeight,
                            scale: layout.scale, color: .ink, anchor: .topCenter)
        }
        if !xLabel.isEmpty {
            let top = layout.plotY + layout.plotHeight + layout.tickLength + 2 * layout.gap + layout.lineHeight
            raster.drawText(xLabel, x: centreX, y: top, scale: layout.scale, color: .ink, anchor: .topCenter)
        }
        if !yLabel.isEmpty {
            raster.drawVerticalText(yLabel, centerX: x + layout.padding + layout.lineHeight / 2,
                                    centerY: layout.plotY + layout.plotHeight / 2, scale: layout.scale, color: .ink)
        }
    }
}
