/// The image recipe for the model: resize (antialiased), optional central crop, optional
/// horizontal flip, and scaling to [-1, 1] as `x / 255 * 2 - 1`.
///
/// Output layout: Float32 [height, width, 3] (HWC, channel last), so a batch buffer
/// [B, height, width, 3] is filled image by image at offsets `b * outputCount`.
public struct Preprocess: Sendable, Equatable, Codable {
    /// How the image is brought to the target size.
    public enum Crop: String, Sendable, Equatable, Codable, CaseIterable {
        /// Resize the whole image to the target, ignoring aspect ratio (big_vision's `resize(224)`).
        case none
        /// Resize so the image covers the target (short side first), then take the central window.
        case central
    }

    /// Output width and height in pixels.
    public var width: Int
    public var height: Int
    public var filter: ResizeFilter
    public var crop: Crop
    /// Whether training should draw a random horizontal flip per image (the caller draws it).
    public var randomFlip: Bool

    public init(width: Int, height: Int, filter: ResizeFilter = .bilinear, crop: Crop = .none,
                randomFlip: Bool = false) {
        precondition(width > 0 && height > 0, "Preprocess: size must be positive")
        self.width = width
        self.height = height
        self.filter = filter
        self.crop = crop
        self.randomFlip = randomFlip
    }

    /// A square target: `Preprocess(size: 224)` is big_vision's `resize(224)|value_range(-1, 1)`.
    public init(size: Int, filter: ResizeFilter = .bilinear, crop: Crop = .none, randomFlip: Bool = false) {
        self.init(width: size, height: size, filter: filter, crop: crop, randomFlip: randomFlip)
    }

    /// Floats written per image: height * width * 3.
    public var outputCount: Int { width * height * 3 }

    /// The smallest decoded size that needs no upsampling; pass it to `ImageDecoder` as
    /// `minimumSize` to allow reduced-size JPEG decoding.
    public var minimumDecodeSize: (width: Int, height: Int) { (width, height) }

    /// The size the whole image is resized to before cropping, for an input of `w` × `h`.
    /// With `.central`, the scale is max(width / w, height / h) and the resized sides are rounded.
    public func resizedSize(width w: Int, height h: Int) -> (width: Int, height: Int) {
        switch crop {
        case .none:
            return (width, height)
        case .central:
            let scale = max(Double(width) / Double(w), Double(height) / Double(h))
            return (max(width, Int((Double(w) * scale).rounded())), max(height, Int((Double(h) * scale).rounded())))
        }
    }

    /// Writes `image` [h, w, 3] bytes as [height, width, 3] floats in [-1, 1] to `output`,
    /// mirrored left-right when `flip`. `output` must hold `outputCount` floats.
    public func apply(_ image: RGBImage, flip: Bool = false, into output: UnsafeMutablePointer<Float>) {
        let resized = resizedSize(width: image.width, height: image.height)
        let left = (resized.width - width) / 2, top = (resized.height - height) / 2
        Resampler.resample(image, resizedWidth: resized.width, resizedHeight: resized.height,
                           columns: left..<(left + width), rows: top..<(top + height), filter: filter,
                           scale: 2 / 255, offset: -1, flip: flip, output: output)
    }

    /// `image` [h, w, 3] → [height, width, 3] floats in [-1, 1].
    public func apply(_ image: RGBImage, flip: Bool = false) -> [Float] {
        [Float](unsafeUninitializedCapacity: outputCount) { buffer, initialized in
            apply(image, flip: flip, into: buffer.baseAddress!)
            initialized = outputCount
        }
    }
}
