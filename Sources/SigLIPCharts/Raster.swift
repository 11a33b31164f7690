import SigLIPImage

/// An RGB drawing surface ([height, width, 3]) with clipping and alpha blending.
struct Raster {
    let width: Int
    let height: Int
    /// [height, width, 3]
    var pixels: [UInt8]

    init(width: Int, height: Int, background: ChartColor = .white) {
        self.width = max(0, width)
        self.height = max(0, height)
        let count = self.width * self.height
        var pixels = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            pixels[i * 3] = background.red
            pixels[i * 3 + 1] = background.green
            pixels[i * 3 + 2] = background.blue
        }
        self.pixels = pixels
    }

    var image: RGBImage { RGBImage(width: width, height: height, pixels: pixels) }

    /// Mixes `color` into pixel (x, y) with opacity `alpha` in 0...1; outside pixels are ignored.
    mutating func blend(x: Int, y: Int, color: ChartColor, alpha: Float = 1) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let i = (y * width + x) * 3
        if alpha >= 1 {
            pixels[i] = color.red
            pixels[i + 1] = color.green
            pixels[i + 2] = color.blue
            return
        }
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Float(old) + (Float(new) - Float(old)) * alpha).rounded())
        }
        pixels[i] = mix(pixels[i], color.red)
        pixels[i + 1] = mix(pixels[i + 1], color.green)
        pixels[i + 2] = mix(pixels[i + 2], color.blue)
    }

    /// Fills the rectangle [x, x + w) × [y, y + h), clipped to the raster.
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: ChartColor) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for column in x0..<x1 { blend(x: column, y: row, color: color) }
        }
    }

    /// A 1-pixel-wide outline of [x, x + w) × [y, y + h).
    mutating func strokeRectangle(x: Int, y: Int, width w: Int, height h: Int, color: ChartColor) {
        fill(x: x, y: y, width: w, height: 1, color: color)
        fill(x: x, y: y + h - 1, width: w, height: 1, color: color)
        fill(x: x, y: y, width: 1, height: h, color: color)
        fill(x: x + w - 1, y: y, width: 1, height: h, color: color)
    }

    /// Paints `mask` (coverage 0...1 per pixel, placed at the mask's origin) in `color`.
    mutating func paint(_ mask: CoverageMask, color: ChartColor) {
        for row in 0..<mask.height {
            for column in 0..<mask.width {
                let coverage = mask.values[row * mask.width + column]
                if coverage > 0 { blend(x: mask.originX + column, y: mask.originY + row, color: color, alpha: coverage) }
            }
        }
    }

    /// Copies `image` with its top-left corner at (x, y), clipped to the raster.
    mutating func copy(_ image: RGBImage, x: Int, y: Int) {
        for row in 0..<image.height where y + row >= 0 && y + row < height {
            for column in 0..<image.width where x + column >= 0 && x + column < width {
                let source = (row * image.width + column) * 3, target = ((y + row) * width + x + column) * 3
                pixels[target] = image.pixels[source]
                pixels[target + 1] = image.pixels[source + 1]
                pixels[target + 2] = image.pixels[source + 2]
            }
        }
    }
}
