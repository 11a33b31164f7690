/// Text drawing with the built-in bitmap font.
extension Raster {
    /// How text is placed relative to the anchor point.
    enum TextAnchor { case topLeft, topCenter, topRight, centerLeft, centerRight, center }

    /// Draws `text` with font pixels `scale`×`scale`; the anchor refers to the text's box
    /// (width `BitmapFont.width`, height `BitmapFont.height`).
    mutating func drawText(_ text: String, x: Int, y: Int, scale: Int, color: ChartColor, anchor: TextAnchor = .topLeft) {
        let w = BitmapFont.width(of: text, scale: scale), h = BitmapFont.height(scale: scale)
        var left = x, top = y
        switch anchor {
        case .topLeft: break
        case .topCenter: left -= w / 2
        case .topRight: left -= w
        case .centerLeft: top -= h / 2
        case .centerRight: left -= w; top -= h / 2
        case .center: left -= w / 2; top -= h / 2
        }
        forEachTextPixel(text, scale: scale) { u, v in
            fill(x: left + u, y: top + v, width: scale, height: scale, color: color)
        }
    }

    /// Draws `text` turned 90° counter-clockwise (read bottom to top), centred on (x, y).
    mutating func drawVerticalText(_ text: String, centerX x: Int, centerY y: Int, scale: Int, color: ChartColor) {
        let w = BitmapFont.width(of: text, scale: scale), h = BitmapFont.height(scale: scale)
        let left = x - h / 2, top = y - w / 2
        // Text pixel (u, v) (u along the text, v down) lands at (left + v, top + w - 1 - u).
        forEachTextPixel(text, scale: scale) { u, v in
            fill(x: left + v, y: top + w - u - scale, width: scale, height: scale, color: color)
        }
    }

    /// Calls `body(u, v)` for the top-left device offset of every set font pixel of `text`.
    private func forEachTextPixel(_ text: String, scale: Int, _ body: (Int, Int) -> Void) {
        for (index, scalar) in text.unicodeScalars.enumerated() {
            let rows = BitmapFont.rows(of: scalar)
            let originU = index * BitmapFont.advance * scale
            for (row, bits) in rows.enumerated() where bits != 0 {
                for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    body(originU + column * scale, row * scale)
                }
            }
        }
    }
}
