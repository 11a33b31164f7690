/// Limits checked from the header, before any pixel memory is allocated.
public struct DecodeLimits: Sendable, Equatable {
    /// width * height of the stored image must not exceed this.
    public var maxPixels: Int
    /// Neither side of the stored image may exceed this.
    public var maxSide: Int
    /// Progressive JPEGs with more scans than this are refused (0: no limit).
    public var maxJPEGScans: Int
    /// An encoded image file (or tar member) larger than this is refused before it is read.
    public var maxFileBytes: Int

    public init(maxPixels: Int = 100_000_000, maxSide: Int = 65_535, maxJPEGScans: Int = 100,
                maxFileBytes: Int = 64 << 20) {
        self.maxPixels = maxPixels
        self.maxSide = maxSide
        self.maxJPEGScans = maxJPEGScans
        self.maxFileBytes = maxFileBytes
    }

    /// 100 megapixels, 65,535 pixels a side, 100 progressive scans (real files have about
    /// ten), 64 MiB per encoded file.
    public static let `default` = DecodeLimits()
}
