/// The legend: a white box with a line sample and the name of every named series, put in
/// the plot corner that hides the fewest data points.
extension LineChart {
    func drawLegend(into raster: inout Raster, _ layout: ChartLayout, polylines: [[(x: Double, y: Double)]]) {
        let entries = series.indices.filter { !series[$0].name.isEmpty }
        guard !entries.isEmpty else { return }
        let s = layout.scale, inset = 3 * s, sample = 12 * s, rowHeight = layout.lineHeight + 3 * s
        let nameWidth = entries.map { BitmapFont.width(of: series[$0].name, scale: s) }.max() ?? 0
        let boxWidth = inset + sample + 2 * s + nameWidth + inset
        let boxHeight = inset + entries.count * rowHeight - 3 * s + inset
        let margin = 4 * s
        guard boxWidth + 2 * margin <= layout.plotWidth, boxHeight + 2 * margin <= layout.plotHeight else { return }

        let left = layout.plotX + margin, right = layout.plotX + layout.plotWidth - margin - boxWidth
        let top = layout.plotY + margin, bottom = layout.plotY + layout.plotHeight - margin - boxHeight
        let corners = [(right, top), (left, top), (right, bottom), (left, bottom)]
        let samples = polylines.flatMap(Self.samplePoints)
        let (bx, by) = corners.min { a, b in
            Self.count(samples, inX: a.0, a.0 + boxWidth, y: a.1, a.1 + boxHeight)
                < Self.count(samples, inX: b.0, b.0 + boxWidth, y: b.1, b.1 + boxHeight)
        }!

        raster.fill(x: bx, y: by, width: boxWidth, height: boxHeight, color: .white)
        raster.strokeRectangle(x: bx, y: by, width: boxWidth, height: boxHeight, color: .frame.lightened(0.5))
        for (row, index) in entries.enumerated() {
            let line = series[index]
            let centreY = by + inset + row * rowHeight + layout.lineHeight / 2
            var mask = CoverageMask(x: bx + inset, y: centreY - 3 * s, width: sample, height: 6 * s)
            let width = max(2, line.lineWidth.isFinite ? line.lineWidth : 2)
            mask.stroke(from: Double(bx + inset) + 1, Double(centreY), to: Double(bx + inset + sample) - 1, Double(centreY),
                        lineWidth: width)
            if line.showsMarkers {
                mask.disc(centerX: Double(bx + inset) + Double(sample) / 2, centerY: Double(centreY), radius: max(3, width * 1.6))
            }
            raster.paint(mask, color: line.color)
            raster.drawText(line.name, x: bx + inset + sample + 2 * s, y: centreY, scale: s, color: .ink, anchor: .centerLeft)
        }
    }

    /// The points of a polyline plus eight points along each segment.
    private static func samplePoints(_ polyline: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        var result = polyline
        for (a, b) in zip(polyline, polyline.dropFirst()) {
            for k in 1..<8 {
                let t = Double(k) / 8
                result.append((a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t))
            }
        }
        return result
    }

    private static func count(_ points: [(x: Double, y: Double)], inX x0: Int, _ x1: Int, y y0: Int, _ y1: Int) -> Int {
        points.reduce(0) { total, p in
            total + (p.x >= Double(x0) && p.x <= Double(x1) && p.y >= Double(y0) && p.y <= Double(y1) ? 1 : 0)
        }
    }
}
