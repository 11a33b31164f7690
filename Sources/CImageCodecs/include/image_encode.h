// CImageCodecs: a setjmp-safe PNG encoder over libpng.
//
// libpng reports fatal errors through a handler that must not return; the encoder
// installs one that longjmps back, frees everything and hands back an error code
// plus a message. Nothing is printed and nothing aborts.
//
// Input pixels are 8 bits per channel, row-major, channel last:
// pixels[(y * width + x) * channels + c], i.e. shape [height, width, channels].
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "image_codecs.h"

#ifdef __cplusplus
extern "C" {
#endif

/// An encoded file in memory, or an error message. Release with siglip_png_buffer_free.
typedef struct siglip_png_buffer {
    uint8_t *data;       ///< malloc'd PNG file bytes; NULL on failure
    size_t size;         ///< number of valid bytes in `data`
    char message[256];   ///< NUL-terminated description when the status is not OK
} siglip_png_buffer;

/// Encodes [height, width, channels] 8-bit pixels (channels 3: RGB, 4: RGBA) as a
/// non-interlaced PNG. `compression_level` is zlib's 0 (none) ... 9 (smallest), or
/// -1 for libpng's default. On failure `out->data` is NULL and `out->message` says why.
siglip_codec_status siglip_png_encode(const uint8_t *pixels, int32_t width, int32_t height,
                                      int32_t channels, int32_t compression_level,
                                      siglip_png_buffer *out);

/// Frees the bytes of a buffer returned by siglip_png_encode (safe on failed results).
void siglip_png_buffer_free(siglip_png_buffer *buffer);

#ifdef __cplusplus
}
#endif
