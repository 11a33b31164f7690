/// The plain, obviously-correct twin of `Resampler`: every output value computed on its own
/// in Double, straight from Pillow's formulas (same pass order and clipping). Slow; for tests only.
public enum ResizeReference {
    /// `image` [h, w, 3] → [height, width, 3] values in 0...255 (clipped, not rounded).
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: ResizeFilter) -> [Double] {
        var result = [Double](repeating: 0, count: width * height * 3)
        let verticalFirst = width > image.width && height < image.height
        func clip(_ v: Double) -> Double { min(max(v, 0), 255) }
        for oy in 0..<height {
            let (rowStart, rowWeights) = taps(output: oy, inputSize: image.height, outputSize: height, filter: filter)
            for ox in 0..<width {
                let (columnStart, columnWeights) = taps(output: ox, inputSize: image.width, outputSize: width,
                                                        filter: filter)
                for c in 0..<3 {
                    func input(_ x: Int, _ y: Int) -> Double {
                        Double(image.pixels[((rowStart + y) * image.width + columnStart + x) * 3 + c])
                    }
                    var sum = 0.0
                    if verticalFirst {
                        for (i, wx) in columnWeights.enumerated() {
                            let down = rowWeights.enumerated().reduce(0.0) { $0 + $1.element * input(i, $1.offset) }
                            sum += wx * clip(down)  // Pillow's clipped intermediate
                        }
                    } else {
                        for (j, wy) in rowWeights.enumerated() {
                            let across = columnWeights.enumerated().reduce(0.0) { $0 + $1.element * input($1.offset, j) }
                            sum += wy * clip(across)
                        }
                    }
                    result[(oy * width + ox) * 3 + c] = clip(sum)
                }
            }
        }
        return result
    }

    /// First input index and normalised weights for one output position.
    static func taps(output: Int, inputSize: Int, outputSize: Int, filter: ResizeFilter) -> (Int, [Double]) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let center = (Double(output) + 0.5) * scale
        let lower = max(Int(center - support + 0.5), 0)
        let upper = min(Int(center + support + 0.5), inputSize)
        let raw = (lower..<max(upper, lower)).map { filter.weight((Double($0) - center + 0.5) / filterScale) }
        let total = raw.reduce(0, +)
        return (lower, raw.map { total != 0 ? $0 / total : $0 })
    }
}
