// CImageCodecs: setjmp-safe wrappers over libpng and libjpeg.
//
// libpng and libjpeg report fatal errors by calling an error handler that must not
// return; these wrappers install handlers that longjmp back into the wrapper, free
// everything, and hand an error code plus a message to the caller. Nothing is ever
// printed (warnings are swallowed) and nothing aborts.
//
// Every decoder reads from a memory buffer and writes RGB, 8 bits per channel:
// pixels[(y * width + x) * 3 + c], i.e. shape [height, width, 3], row-major.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes shared by all decoders.
typedef enum siglip_codec_status {
    SIGLIP_CODEC_OK = 0,
    SIGLIP_CODEC_CORRUPT = 1,        ///< malformed, truncated or unreadable data
    SIGLIP_CODEC_TOO_LARGE = 2,      ///< dimensions exceed the caller's limits
    SIGLIP_CODEC_OUT_OF_MEMORY = 3,  ///< an allocation failed
    SIGLIP_CODEC_UNSUPPORTED = 4,    ///< valid but unsupported (e.g. a colour space)
    SIGLIP_CODEC_BAD_ARGUMENT = 5,   ///< NULL pointers or nonsense limits
} siglip_codec_status;

/// Limits checked after the header is read and before the pixel buffer is allocated.
typedef struct siglip_codec_limits {
    uint64_t max_pixels;      ///< width * height must not exceed this
    uint32_t max_side;        ///< neither width nor height may exceed this
    uint32_t max_jpeg_scans;  ///< a progressive JPEG with more scans is refused (0: no limit)
} siglip_codec_limits;

/// A decoded image, or an error message. Release with siglip_codec_image_free.
typedef struct siglip_codec_image {
    uint8_t *pixels;     ///< malloc'd RGB bytes, [height, width, 3]; NULL on failure
    int32_t width;
    int32_t height;
    int32_t source_width;   ///< dimensions stored in the file (before JPEG DCT scaling)
    int32_t source_height;
    int32_t scale_denom;    ///< JPEG DCT scaling used: 1, 2, 4 or 8 (PNG: 1)
    char message[256];      ///< NUL-terminated description when the status is not OK
} siglip_codec_image;

/// Decodes a PNG (any colour type, 1-16 bits, interlaced or not) to RGB.
/// 16-bit samples keep their high byte; alpha (including tRNS) is composited over
/// white as round((c * a + 255 * (255 - a)) / 255).
siglip_codec_status siglip_png_decode(const void *data, size_t size,
                                      const siglip_codec_limits *limits,
                                      siglip_codec_image *out);

/// Decodes a JPEG (baseline or progressive; grayscale, YCbCr, RGB, CMYK or YCCK) to RGB.
/// CMYK/YCCK data is taken as Adobe-inverted and converted as Pillow does.
/// When min_width and min_height are positive, the smallest DCT scale among 1/8, 1/4
/// and 1/2 whose output is at least min_width x min_height is used (else full size).
/// EXIF orientation is NOT applied here.
siglip_codec_status siglip_jpeg_decode(const void *data, size_t size,
                                       int32_t min_width, int32_t min_height,
                                       const siglip_codec_limits *limits,
                                       siglip_codec_image *out);

/// Frees the pixels of an image returned by a decoder (safe on failed results).
void siglip_codec_image_free(siglip_codec_image *image);

#ifdef __cplusplus
}
#endif
