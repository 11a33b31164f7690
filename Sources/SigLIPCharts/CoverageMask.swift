/// Anti-aliased coverage (0...1 per pixel) over a rectangle of a raster.
///
/// Shapes are merged with max(), so joints between segments of one polyline are not
/// painted twice; the whole mask is then blended once in the series colour.
struct CoverageMask {
    let originX: Int
    let originY: Int
    let width: Int
    let height: Int
    /// [height, width]
    var values: [Float]

    /// A mask covering the raster rectangle [x, x + width) × [y, y + height).
    init(x: Int, y: Int, width: Int, height: Int) {
        originX = x
        originY = y
        self.width = max(0, width)
        self.height = max(0, height)
        values = [Float](repeating: 0, count: self.width * self.height)
    }

    /// A stroke of total width `lineWidth` from (x0, y0) to (x1, y1) in raster coordinates
    /// (pixel centres at +0.5); coverage falls off linearly over the last pixel.
    mutating func stroke(from x0: Double, _ y0: Double, to x1: Double, _ y1: Double, lineWidth: Double) {
        let half = lineWidth / 2
        let dx = x1 - x0, dy = y1 - y0, lengthSquared = dx * dx + dy * dy
        cover(minX: min(x0, x1) - half, maxX: max(x0, x1) + half, minY: min(y0, y1) - half, maxY: max(y0, y1) + half) { px, py in
            var t = lengthSquared > 0 ? ((px - x0) * dx + (py - y0) * dy) / lengthSquared : 0
            t = min(max(t, 0), 1)
            let ex = px - (x0 + t * dx), ey = py - (y0 + t * dy)
            return half + 0.5 - (ex * ex + ey * ey).squareRoot()
        }
    }

    /// A filled disc of `radius` centred on (cx, cy).
    mutating func disc(centerX cx: Double, centerY cy: Double, radius: Double) {
        cover(minX: cx - radius, maxX: cx + radius, minY: cy - radius, maxY: cy + radius) { px, py in
            radius + 0.5 - ((px - cx) * (px - cx) + (py - cy) * (py - cy)).squareRoot()
        }
    }

    /// Raises coverage to `coverage(px, py)` (clamped to 0...1) over the pixels of a box.
    private mutating func cover(minX: Double, maxX: Double, minY: Double, maxY: Double,
                                _ coverage: (Double, Double) -> Double) {
        guard minX.isFinite, maxX.isFinite, minY.isFinite, maxY.isFinite else { return }
        func pixel(_ v: Double) -> Int { Int(min(max(v, -1e7), 1e7)) }
        let left = max(0, pixel((minX - 1).rounded(.down)) - originX)
        let right = min(width - 1, pixel((maxX + 1).rounded(.up)) - originX)
        let top = max(0, pixel((minY - 1).rounded(.down)) - originY)
        let bottom = min(height - 1, pixel((maxY + 1).rounded(.up)) - originY)
        guard left <= right, top <= bottom else { return }
        for row in top...bottom {
            let py = Double(originY + row) + 0.5
            for column in left...right {
                let value = Float(min(1, coverage(Double(originX + column) + 0.5, py)))
                let i = row * width + column
                if value > values[i] { values[i] = value }
            }
        }
    }
}
