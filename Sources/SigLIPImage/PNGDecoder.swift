import CImageCodecs

/// PNG decoding through the C shim: every colour type and bit depth, interlaced or not;
/// 16-bit samples keep their high byte; alpha and tRNS are composited over white.
enum PNGDecoder {
    /// Decodes `bytes` (a whole PNG file) to RGB [height, width, 3].
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, limits: DecodeLimits) throws -> RGBImage {
        var result = siglip_codec_image()
        var cLimits = ImageDecoder.cLimits(limits)
        let status = siglip_png_decode(bytes.baseAddress, bytes.count, &cLimits, &result)
        return try ImageDecoder.take(&result, status: status, format: .png, name: name)
    }
}
