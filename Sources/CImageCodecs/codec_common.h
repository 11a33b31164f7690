// Internal helpers shared by the PNG and JPEG wrappers (not part of the public header).
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "image_codecs.h"

/// Clears `out` so that a failure leaves it freeable and message-bearing.
static inline void siglip_codec_reset(siglip_codec_image *out) {
    out->pixels = NULL;
    out->width = out->height = 0;
    out->source_width = out->source_height = 0;
    out->scale_denom = 1;
    out->message[0] = '\0';
}

/// Writes a formatted message into `out->message` (always NUL-terminated).
static inline void siglip_codec_message(char message[256], const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(message, 256, format, args);
    va_end(args);
}

/// Returns a non-OK status describing why `width` x `height` breaks `limits`, or OK.
static inline siglip_codec_status siglip_codec_check_limits(uint64_t width, uint64_t height,
                                                            const siglip_codec_limits *limits,
                                                            char message[256]) {
    if (width == 0 || height == 0) {
        siglip_codec_message(message, "image has zero size (%llux%llu)",
                             (unsigned long long)width, (unsigned long long)height);
        return SIGLIP_CODEC_CORRUPT;
    }
    if (width > limits->max_side || height > limits->max_side) {
        siglip_codec_message(message, "image is %llux%llu, a side exceeds the limit of %u pixels",
                             (unsigned long long)width, (unsigned long long)height, limits->max_side);
        return SIGLIP_CODEC_TOO_LARGE;
    }
    if (width * height > limits->max_pixels) {
        siglip_codec_message(message, "image is %llux%llu, more than the limit of %llu pixels",
                             (unsigned long long)width, (unsigned long long)height,
                             (unsigned long long)limits->max_pixels);
        return SIGLIP_CODEC_TOO_LARGE;
    }
    return SIGLIP_CODEC_OK;
}

/// A file that declares far more pixels than its bytes could encode (a decompression bomb:
/// the pixel buffer is allocated and filled from almost nothing). Deflate expands at most
/// 1032:1, which bounds a 1-bit PNG at about 8,300 pixels per byte, and a Huffman-coded JPEG
/// needs at least one bit per 8x8 block; `pixels_per_byte` is set above both, with a megapixel
/// of slack for small files.
static inline siglip_codec_status siglip_codec_check_density(uint64_t width, uint64_t height, size_t size,
                                                             uint64_t pixels_per_byte, char message[256]) {
    if (width * height > (uint64_t)size * pixels_per_byte + (1u << 20)) {
        siglip_codec_message(message, "declares %llux%llu pixels but holds only %llu bytes (a decompression bomb?)",
                             (unsigned long long)width, (unsigned long long)height, (unsigned long long)size);
        return SIGLIP_CODEC_TOO_LARGE;
    }
    return SIGLIP_CODEC_OK;
}

/// round((c * a + 255 * (255 - a)) / 255): colour `c` with alpha `a` over white.
static inline uint8_t siglip_over_white(unsigned c, unsigned a) {
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}
