// RGB/RGBA → PNG in memory through libpng, with errors turned into status codes by setjmp/longjmp.
#include <png.h>
#include <setjmp.h>
#include <string.h>
#include "codec_common.h"
#include "image_encode.h"

/// The largest side accepted: libpng's own limit for PNG_USER_WIDTH_MAX is 1,000,000.
#define SIGLIP_PNG_MAX_SIDE 1000000

typedef struct encode_writer {
    jmp_buf jump;
    uint8_t *data;     // growable output buffer; lives in memory, so it survives the longjmp
    size_t size;
    size_t capacity;
    siglip_codec_status status;  // returned after a longjmp
    char *message;               // the caller's 256-byte message buffer
} encode_writer;

static void encode_on_error(png_structp png, png_const_charp text) {
    encode_writer *writer = (encode_writer *)png_get_error_ptr(png);
    if (writer->status == SIGLIP_CODEC_OK) writer->status = SIGLIP_CODEC_BAD_ARGUMENT;
    if (writer->message[0] == '\0') siglip_codec_message(writer->message, "%s", text);
    longjmp(writer->jump, 1);
}

static void encode_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;  // never printed
}

/// Appends `count` bytes, doubling the capacity when needed.
static void encode_on_write(png_structp png, png_bytep source, size_t count) {
    encode_writer *writer = (encode_writer *)png_get_io_ptr(png);
    if (count > SIZE_MAX - writer->size) {
        writer->status = SIGLIP_CODEC_OUT_OF_MEMORY;
        png_error(png, "out of memory (PNG output exceeds the address space)");
    }
    size_t needed = writer->size + count;
    if (needed > writer->capacity) {
        size_t capacity = writer->capacity < 4096 ? 4096 : writer->capacity;
        while (capacity < needed) capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        uint8_t *grown = (uint8_t *)realloc(writer->data, capacity);
        if (grown == NULL) {
            writer->status = SIGLIP_CODEC_OUT_OF_MEMORY;
            png_error(png, "out of memory (PNG output buffer)");
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, source, count);
    writer->size = needed;
}

static void encode_on_flush(png_structp png) {
    (void)png;  // memory output: nothing to flush
}

/// Checks the arguments before libpng sees them; returns OK or a status with a message.
static siglip_codec_status encode_check_arguments(const uint8_t *pixels, int32_t width, int32_t height,
                                               int32_t channels, int32_t level, char message[256]) {
    if (pixels == NULL) {
        siglip_codec_message(message, "bad argument (no pixels)");
        return SIGLIP_CODEC_BAD_ARGUMENT;
    }
    if (width <= 0 || height <= 0) {
        siglip_codec_message(message, "cannot encode an image of zero size (%dx%d)", width, height);
        return SIGLIP_CODEC_BAD_ARGUMENT;
    }
    if (width > SIGLIP_PNG_MAX_SIDE || height > SIGLIP_PNG_MAX_SIDE) {
        siglip_codec_message(message, "image is %dx%d, a side exceeds the limit of %d pixels",
                             width, height, SIGLIP_PNG_MAX_SIDE);
        return SIGLIP_CODEC_TOO_LARGE;
    }
    if (channels != 3 && channels != 4) {
        siglip_codec_message(message, "unsupported channel count %d (expected 3 or 4)", channels);
        return SIGLIP_CODEC_BAD_ARGUMENT;
    }
    if (level < -1 || level > 9) {
        siglip_codec_message(message, "compression level %d is outside -1...9", level);
        return SIGLIP_CODEC_BAD_ARGUMENT;
    }
    return SIGLIP_CODEC_OK;
}

siglip_codec_status siglip_png_encode(const uint8_t *pixels, int32_t width, int32_t height,
                                      int32_t channels, int32_t compression_level,
                                      siglip_png_buffer *out) {
    if (out == NULL) return SIGLIP_CODEC_BAD_ARGUMENT;
    out->data = NULL;
    out->size = 0;
    out->message[0] = '\0';
    siglip_codec_status verdict = encode_check_arguments(pixels, width, height, channels,
                                                      compression_level, out->message);
    if (verdict != SIGLIP_CODEC_OK) return verdict;

    encode_writer writer;
    writer.data = NULL;
    writer.size = writer.capacity = 0;
    writer.status = SIGLIP_CODEC_OK;
    writer.message = out->message;

    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &writer,
                                              encode_on_error, encode_on_warning);
    if (png == NULL) {
        siglip_codec_message(out->message, "out of memory (png_create_write_struct)");
        return SIGLIP_CODEC_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        siglip_codec_message(out->message, "out of memory (png_create_info_struct)");
        return SIGLIP_CODEC_OUT_OF_MEMORY;
    }
    png_bytep *volatile rows = NULL;
    if (setjmp(writer.jump)) {
        free(rows);
        free(writer.data);
        png_destroy_write_struct(&png, &info);
        return writer.status;
    }
    png_set_write_fn(png, &writer, encode_on_write, encode_on_flush);
    if (compression_level >= 0) png_set_compression_level(png, compression_level);
    int color_type = channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB;
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);

    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (rows == NULL) {
        writer.status = SIGLIP_CODEC_OUT_OF_MEMORY;
        png_error(png, "out of memory (row pointers)");
    }
    size_t stride = (size_t)width * (size_t)channels;
    for (int32_t y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * stride);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);

    free(rows);
    png_destroy_write_struct(&png, &info);
    out->data = writer.data;
    out->size = writer.size;
    return SIGLIP_CODEC_OK;
}

void siglip_png_buffer_free(siglip_png_buffer *buffer) {
    if (buffer == NULL) return;
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
}
