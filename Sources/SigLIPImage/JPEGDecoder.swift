import CImageCodecs

/// JPEG decoding through the C shim, followed by the EXIF orientation.
enum JPEGDecoder {
    /// Decodes `bytes` (a whole JPEG file) to RGB [height, width, 3], oriented upright.
    ///
    /// `minimumSize` is for the oriented image; for orientations that swap the axes
    /// (5-8) it is swapped before choosing the DCT scale.
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String,
                       minimumSize: (width: Int, height: Int)?, limits: DecodeLimits) throws -> RGBImage {
        let orientation = EXIF.jpegOrientation(bytes)
        var minWidth = 0, minHeight = 0
        if let minimumSize {
            (minWidth, minHeight) = orientation.swapsAxes
                ? (minimumSize.height, minimumSize.width) : (minimumSize.width, minimumSize.height)
        }
        var result = siglip_codec_image()
        var cLimits = ImageDecoder.cLimits(limits)
        let status = siglip_jpeg_decode(bytes.baseAddress, bytes.count,
                                        Int32(clamping: max(0, minWidth)), Int32(clamping: max(0, minHeight)),
                                        &cLimits, &result)
        let image = try ImageDecoder.take(&result, status: status, format: .jpeg, name: name)
        return orientation.apply(to: image)
    }
}
