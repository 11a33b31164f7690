import CImageCodecs
import Foundation
import SigLIPBase
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An image that could not be encoded or written; `description` names the file when there is one.
public struct ImageEncodeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        /// Zero size, a wrong pixel count or channel count.
        case invalidImage
        /// A side beyond what PNG encoders accept.
        case tooLarge
        case outOfMemory
        /// libpng refused for another reason.
        case encoderFailed
    }

    public let kind: Kind
    /// A human-readable explanation, e.g. "cannot encode an image of zero size (0x5)".
    public let problem: String

    public init(kind: Kind, problem: String) {
        self.kind = kind
        self.problem = problem
    }

    public var description: String { "PNG: \(problem)" }
}

/// Lossless PNG encoding through libpng (via the C shim, which turns libpng's errors into codes).
public enum PNGEncoder {
    /// zlib level used by default: a good size for charts at a fraction of level 9's time.
    public static let defaultCompressionLevel = 6

    /// Encodes an RGB image ([height, width, 3]) as an 8-bit RGB PNG file.
    public static func encode(_ image: RGBImage, compressionLevel: Int = defaultCompressionLevel) throws -> Data {
        try encode(pixels: image.pixels, width: image.width, height: image.height, channels: 3,
                   compressionLevel: compressionLevel)
    }

    /// Encodes 8-bit RGBA pixels ([height, width, 4], straight alpha) as an RGBA PNG file.
    public static func encode(rgba pixels: [UInt8], width: Int, height: Int,
                              compressionLevel: Int = defaultCompressionLevel) throws -> Data {
        try encode(pixels: pixels, width: width, height: height, channels: 4, compressionLevel: compressionLevel)
    }

    /// Encodes `image` and replaces the file at `url` atomically (`AtomicFile`; a failure to write
    /// throws `SigLIPError` of kind `.unwritable`).
    public static func write(_ image: RGBImage, to url: URL,
                             compressionLevel: Int = defaultCompressionLevel) throws {
        let data = try encode(image, compressionLevel: compressionLevel)
        try AtomicFile.write(data, to: url)
    }

    /// [height, width, channels] → PNG bytes, checking the buffer size before calling C.
    private static func encode(pixels: [UInt8], width: Int, height: Int, channels: Int,
                               compressionLevel: Int) throws -> Data {
        guard width > 0, height > 0 else {
            throw ImageEncodeError(kind: .invalidImage, problem: "cannot encode an image of zero size (\(width)x\(height))")
        }
        guard width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw ImageEncodeError(kind: .tooLarge, problem: "image is \(width)x\(height), too large for PNG")
        }
        let (expected, overflow) = width.multipliedReportingOverflow(by: height * channels)
        guard !overflow, pixels.count == expected else {
            throw ImageEncodeError(kind: .invalidImage,
                                   problem: "\(pixels.count) bytes for a \(width)x\(height)x\(channels) image")
        }
        var buffer = siglip_png_buffer()
        defer { siglip_png_buffer_free(&buffer) }
        let status = pixels.withUnsafeBufferPointer { source in
            siglip_png_encode(source.baseAddress, Int32(width), Int32(height), Int32(channels),
                              Int32(clamping: compressionLevel), &buffer)
        }
        guard status == SIGLIP_CODEC_OK, let bytes = buffer.data else {
            let message = withUnsafeBytes(of: buffer.message) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw ImageEncodeError(kind: kind(of: status), problem: message)
        }
        return Data(bytes: bytes, count: buffer.size)
    }

    private static func kind(of status: siglip_codec_status) -> ImageEncodeError.Kind {
        switch status {
        case SIGLIP_CODEC_BAD_ARGUMENT: return .invalidImage
        case SIGLIP_CODEC_TOO_LARGE: return .tooLarge
        case SIGLIP_CODEC_OUT_OF_MEMORY: return .outOfMemory
        default: return .encoderFailed
        }
    }
}
