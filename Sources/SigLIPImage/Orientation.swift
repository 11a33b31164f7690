/// The eight EXIF orientations, and turning a stored image upright
/// (the transposes of Pillow's `ImageOps.exif_transpose`).
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored = 2, down = 3, downMirrored = 4
    case leftMirrored = 5, right = 6, rightMirrored = 7, left = 8

    /// Orientations 5-8 exchange width and height.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The upright image: `image` [h, w, 3] → [h, w, 3] or, when `swapsAxes`, [w, h, 3].
    public func apply(to image: RGBImage) -> RGBImage {
        if self == .up { return image }
        let w = image.width, h = image.height
        let (outWidth, outHeight) = swapsAxes ? (h, w) : (w, h)
        var pixels = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<h {
                    for x in 0..<w {
                        let (tx, ty) = destination(x: x, y: y, width: w, height: h)
                        let s = (y * w + x) * 3, t = (ty * outWidth + tx) * 3
                        target[t] = source[s]
                        target[t + 1] = source[s + 1]
                        target[t + 2] = source[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: pixels)
    }

    /// Where source pixel (x, y) of a w × h image lands in the upright image.
    @inline(__always)
    func destination(x: Int, y: Int, width w: Int, height h: Int) -> (Int, Int) {
        switch self {
        case .up: return (x, y)
        case .mirrored: return (w - 1 - x, y)                 // FLIP_LEFT_RIGHT
        case .down: return (w - 1 - x, h - 1 - y)             // ROTATE_180
        case .downMirrored: return (x, h - 1 - y)             // FLIP_TOP_BOTTOM
        case .leftMirrored: return (y, x)                     // TRANSPOSE
        case .right: return (h - 1 - y, x)                    // ROTATE_270 (90° clockwise)
        case .rightMirrored: return (h - 1 - y, w - 1 - x)    // TRANSVERSE
        case .left: return (y, w - 1 - x)                     // ROTATE_90 (90° counter-clockwise)
        }
    }
}
