import Foundation
import CImageCodecs
import SigLIPBase

/// Decodes PNG and JPEG files to `RGBImage`, applying EXIF orientation and
/// compositing transparency over white.
public enum ImageDecoder {
    /// The container formats recognised from their first bytes.
    public enum Format: String, Sendable { case png = "PNG", jpeg = "JPEG" }

    /// Reads and decodes the file at `url` (a regular file of at most `limits.maxFileBytes`).
    /// Errors name `url.path`.
    ///
    /// - Parameter minimumSize: when given, a JPEG may be decoded at 1/2, 1/4 or 1/8
    ///   scale as long as the (oriented) result is at least this big in both sides.
    public static func decode(contentsOf url: URL,
                              minimumSize: (width: Int, height: Int)? = nil,
                              limits: DecodeLimits = .default) throws -> RGBImage {
        let data = try RegularFile.contents(of: url, limit: limits.maxFileBytes)
        return try decode(data: data, name: url.path, minimumSize: minimumSize, limits: limits)
    }

    /// Decodes an in-memory PNG or JPEG; the format is sniffed from the magic bytes.
    /// `name` is only used in error messages.
    public static func decode(data: Data, name: String,
                              minimumSize: (width: Int, height: Int)? = nil,
                              limits: DecodeLimits = .default) throws -> RGBImage {
        try data.withUnsafeBytes { bytes in
            try decode(bytes: bytes, name: name, minimumSize: minimumSize, limits: limits)
        }
    }

    /// Decodes an in-memory PNG or JPEG; the format is sniffed from the magic bytes.
    public static func decode(bytes: UnsafeRawBufferPointer, name: String,
                              minimumSize: (width: Int, height: Int)? = nil,
                              limits: DecodeLimits = .default) throws -> RGBImage {
        switch try sniff(bytes, name: name) {
        case .png:
            return try PNGDecoder.decode(bytes, name: name, limits: limits)
        case .jpeg:
            return try JPEGDecoder.decode(bytes, name: name, minimumSize: minimumSize, limits: limits)
        }
    }

    /// The format announced by the first bytes, or an error for empty and unknown files.
    public static func sniff(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Format {
        if bytes.isEmpty {
            throw SigLIPError(path: name, problem: "empty file", kind: .unknownFormat)
        }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8 && bytes.prefix(8).elementsEqual(png) { return .png }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF { return .jpeg }
        let head = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw SigLIPError(path: name, problem: "unknown image format (not PNG or JPEG; starts with \(head))",
                               kind: .unknownFormat)
    }

    /// Converts C limits, clamping to what the shim's integer types hold.
    static func cLimits(_ limits: DecodeLimits) -> siglip_codec_limits {
        siglip_codec_limits(max_pixels: UInt64(max(0, limits.maxPixels)),
                            max_side: UInt32(clamping: max(0, limits.maxSide)),
                            max_jpeg_scans: UInt32(clamping: max(0, limits.maxJPEGScans)))
    }

    /// Moves a successful C result into an `RGBImage`, or throws its message.
    static func take(_ result: inout siglip_codec_image, status: siglip_codec_status,
                     format: Format, name: String) throws -> RGBImage {
        defer { siglip_codec_image_free(&result) }
        guard status == SIGLIP_CODEC_OK, let source = result.pixels else {
            let message = withUnsafeBytes(of: result.message) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw SigLIPError(path: name, problem: "\(format.rawValue): \(message)", kind: kind(of: status))
        }
        let width = Int(result.width), height = Int(result.height)
        let pixels = [UInt8](UnsafeBufferPointer(start: source, count: width * height * 3))
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func kind(of status: siglip_codec_status) -> SigLIPError.Kind {
        switch status {
        case SIGLIP_CODEC_TOO_LARGE: return .tooLarge
        case SIGLIP_CODEC_OUT_OF_MEMORY: return .outOfMemory
        case SIGLIP_CODEC_UNSUPPORTED: return .unsupported
        default: return .corrupt
        }
    }
}
