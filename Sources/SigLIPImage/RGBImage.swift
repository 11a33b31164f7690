/// An 8-bit RGB image.
///
/// `pixels` has shape [height, width, 3] (row-major, channel last):
/// the red value of pixel (x, y) is `pixels[(y * width + x) * 3]`.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// [height, width, 3]
    public var pixels: [UInt8]

    /// Wraps `pixels` ([height, width, 3]); the count must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
