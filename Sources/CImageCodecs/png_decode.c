// PNG → RGB through libpng, with errors turned into status codes by setjmp/longjmp.
#include <png.h>
#include <setjmp.h>
#include <string.h>
#include "codec_common.h"

typedef struct png_context {
    jmp_buf jump;
    const uint8_t *data;
    size_t size;
    size_t position;
    siglip_codec_status status;  // returned after a longjmp
    char *message;               // the caller's 256-byte message buffer
} png_context;

static void png_context_error(png_structp png, png_const_charp text) {
    png_context *context = (png_context *)png_get_error_ptr(png);
    if (context->status == SIGLIP_CODEC_OK) context->status = SIGLIP_CODEC_CORRUPT;
    // A message already written (e.g. by a limit check) wins over libpng's text.
    if (context->message[0] == '\0') siglip_codec_message(context->message, "%s", text);
    longjmp(context->jump, 1);
}

static void png_context_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;  // warnings (bad ancillary CRCs, unknown chunks) are not fatal and never printed
}

static void png_context_read(png_structp png, png_bytep destination, size_t count) {
    png_context *context = (png_context *)png_get_io_ptr(png);
    if (count > context->size - context->position) png_error(png, "unexpected end of file (truncated PNG)");
    memcpy(destination, context->data + context->position, count);
    context->position += count;
}

/// Chooses libpng transforms so that rows come out as 8-bit RGB or RGBA; returns channels.
static int png_request_rgb8(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);
        has_alpha = 1;
    }
    if (bit_depth == 16) png_set_strip_16(png);  // keeps the high byte, as Pillow does
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    return has_alpha ? 4 : 3;
}

/// Bounds on what ancillary chunks may cost (README, "Limits").
#define SIGLIP_PNG_MAX_CHUNKS 128
#define SIGLIP_PNG_MAX_CHUNK_BYTES (8 * 1024 * 1024)

siglip_codec_status siglip_png_decode(const void *data, size_t size,
                                      const siglip_codec_limits *limits,
                                      siglip_codec_image *out) {
    if (out == NULL) return SIGLIP_CODEC_BAD_ARGUMENT;
    siglip_codec_reset(out);
    if (data == NULL || limits == NULL) {
        siglip_codec_message(out->message, "bad argument");
        return SIGLIP_CODEC_BAD_ARGUMENT;
    }
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        siglip_codec_message(out->message, "not a PNG file (bad signature)");
        return SIGLIP_CODEC_CORRUPT;
    }
    png_context context;
    context.data = (const uint8_t *)data;
    context.size = size;
    context.position = 0;
    context.status = SIGLIP_CODEC_OK;
    context.message = out->message;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context,
                                             png_context_error, png_context_warning);
    if (png == NULL) {
        siglip_codec_message(out->message, "out of memory (png_create_read_struct)");
        return SIGLIP_CODEC_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        siglip_codec_message(out->message, "out of memory (png_create_info_struct)");
        return SIGLIP_CODEC_OUT_OF_MEMORY;
    }
    uint8_t *volatile pixels = NULL;   // [height, width, channels]
    png_bytep *volatile rows = NULL;
    if (setjmp(context.jump)) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return context.status;
    }
    png_set_read_fn(png, &context, png_context_read);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);  // our own limits below give clearer errors
    // Memory bombs in ancillary chunks: we use none of the text, ICC, palette-suggestion, time,
    // physical-size or EXIF chunks, so they are skipped unread (never decompressed or stored);
    // at most SIGLIP_PNG_MAX_CHUNKS ancillary chunks are cached, none over SIGLIP_PNG_MAX_CHUNK_BYTES.
    static const png_byte ignored[] = {
        'i', 'C', 'C', 'P', '\0', 't', 'E', 'X', 't', '\0', 'z', 'T', 'X', 't', '\0', 'i', 'T', 'X', 't', '\0',
        's', 'P', 'L', 'T', '\0', 'h', 'I', 'S', 'T', '\0', 't', 'I', 'M', 'E', '\0', 'p', 'H', 'Y', 's', '\0',
        'e', 'X', 'I', 'f', '\0', 'b', 'K', 'G', 'D', '\0', 's', 'B', 'I', 'T', '\0', 'o', 'F', 'F', 's', '\0',
        'p', 'C', 'A', 'L', '\0', 's', 'C', 'A', 'L', '\0', 'g', 'A', 'M', 'A', '\0', 'c', 'H', 'R', 'M', '\0',
        's', 'R', 'G', 'B', '\0',
    };
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);  // unknown chunks: skipped
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored, (int)(sizeof(ignored) / 5));
    png_set_chunk_cache_max(png, SIGLIP_PNG_MAX_CHUNKS);
    png_set_chunk_malloc_max(png, SIGLIP_PNG_MAX_CHUNK_BYTES);
#ifdef SIGLIP_FUZZING
    // Fuzz builds only (fuzz/run.sh): ignore CRCs so mutations reach the decoder.
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#endif
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    siglip_codec_status verdict = siglip_codec_check_limits(width, height, limits, out->message);
    if (verdict == SIGLIP_CODEC_OK) verdict = siglip_codec_check_density(width, height, size, 16384, out->message);
    if (verdict != SIGLIP_CODEC_OK) {
        context.status = verdict;
        png_error(png, out->message);
    }
    int channels = png_request_rgb8(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * (size_t)channels) {
        context.status = SIGLIP_CODEC_UNSUPPORTED;
        png_error(png, "unexpected row layout after transforms");
    }
    pixels = (uint8_t *)malloc((size_t)width * height * (size_t)channels);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) {
        context.status = SIGLIP_CODEC_OUT_OF_MEMORY;
        png_error(png, "out of memory (pixel buffer)");
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * (size_t)channels;
    png_read_image(png, rows);  // the trailer after the image data is not read (lenient, like Pillow)

    if (channels == 4) {  // composite over white, compacting RGBA → RGB in place
        size_t count = (size_t)width * height;
        uint8_t *p = pixels;
        for (size_t i = 0; i < count; i++) {
            unsigned a = p[i * 4 + 3];
            uint8_t r = siglip_over_white(p[i * 4], a);
            uint8_t g = siglip_over_white(p[i * 4 + 1], a);
            uint8_t b = siglip_over_white(p[i * 4 + 2], a);
            p[i * 3] = r;
            p[i * 3 + 1] = g;
            p[i * 3 + 2] = b;
        }
    }
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->pixels = pixels;
    out->width = out->source_width = (int32_t)width;
    out->height = out->source_height = (int32_t)height;
    return SIGLIP_CODEC_OK;
}
