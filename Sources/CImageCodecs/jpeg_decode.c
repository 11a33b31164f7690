// JPEG → RGB through libjpeg(-turbo), with errors turned into status codes by setjmp/longjmp.
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "codec_common.h"

typedef struct jpeg_context {
    struct jpeg_error_mgr error;  // first, so the error manager pointer is the context
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    siglip_codec_status status;
    uint32_t max_scans;
    char *message;  // the caller's 256-byte buffer
} jpeg_context;

static void jpeg_context_fail(j_common_ptr cinfo) {
    jpeg_context *context = (jpeg_context *)cinfo->err;
    if (context->status == SIGLIP_CODEC_OK) context->status = SIGLIP_CODEC_CORRUPT;
    if (context->message[0] == '\0') {
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        siglip_codec_message(context->message, "%s", text);
    }
    longjmp(context->jump, 1);
}

/// Warnings are counted silently, except running out of data: a truncated file is an error
/// (libjpeg would otherwise pad it with grey and carry on).
static void jpeg_context_emit(j_common_ptr cinfo, int level) {
    if (level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_context_fail(cinfo);
        cinfo->err->num_warnings++;
    }
}

static void jpeg_context_output(j_common_ptr cinfo) { (void)cinfo; }  // never print

/// Refuses progressive files with absurdly many scans (a CPU-exhaustion attack).
static void jpeg_context_progress(j_common_ptr cinfo) {
    jpeg_context *context = (jpeg_context *)cinfo->err;
    j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
    if (context->max_scans > 0 && cinfo->is_decompressor &&
        decompress->input_scan_number > (int)context->max_scans) {
        context->status = SIGLIP_CODEC_TOO_LARGE;
        siglip_codec_message(context->message, "progressive JPEG has more than %u scans",
                             context->max_scans);
        longjmp(context->jump, 1);
    }
}

/// Picks the smallest DCT scale 1/8, 1/4 or 1/2 whose output still covers min_width x min_height.
static void jpeg_choose_scale(j_decompress_ptr cinfo, int32_t min_width, int32_t min_height) {
    cinfo->scale_num = 1;
    cinfo->scale_denom = 1;
    if (min_width <= 0 || min_height <= 0) return;
    for (unsigned denom = 8; denom >= 2; denom /= 2) {
        cinfo->scale_denom = denom;
        jpeg_calc_output_dimensions(cinfo);
        if (cinfo->output_width >= (JDIMENSION)min_width && cinfo->output_height >= (JDIMENSION)min_height) return;
    }
    cinfo->scale_denom = 1;
}

/// Pillow's CMYK JPEG conversion: samples are Adobe-inverted ("CMYK;I"), then
/// R = (255 - K) - (C * (255 - K)) / 255 with Pillow's rounding of the division.
static inline uint8_t jpeg_cmyk_channel(unsigned stored_c, unsigned stored_k) {
    unsigned c = 255u - stored_c, nk = stored_k;
    unsigned t = c * nk + 128u;
    unsigned product = ((t >> 8) + t) >> 8;
    return (uint8_t)(nk - product);
}

/// Converts one decoded scanline with `components` samples per pixel to RGB.
static void jpeg_row_to_rgb(const uint8_t *row, int components, JDIMENSION width, uint8_t *rgb) {
    if (components == 3) {
        memcpy(rgb, row, (size_t)width * 3);
    } else if (components == 1) {
        for (JDIMENSION x = 0; x < width; x++) rgb[x * 3] = rgb[x * 3 + 1] = rgb[x * 3 + 2] = row[x];
    } else {
        for (JDIMENSION x = 0; x < width; x++) {
            const uint8_t *p = row + (size_t)x * 4;
            rgb[x * 3] = jpeg_cmyk_channel(p[0], p[3]);
            rgb[x * 3 + 1] = jpeg_cmyk_channel(p[1], p[3]);
            rgb[x * 3 + 2] = jpeg_cmyk_channel(p[2], p[3]);
        }
    }
}

/// Sets the output colour space for the file's colour space; returns 0 if unsupported.
static int jpeg_choose_colorspace(j_decompress_ptr cinfo) {
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; return 1;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; return 1;
    case JCS_YCbCr:
    case JCS_RGB: cinfo->out_color_space = JCS_RGB; return 1;
    default: return 0;
    }
}

siglip_codec_status siglip_jpeg_decode(const void *data, size_t size,
                                       int32_t min_width, int32_t min_height,
                                       const siglip_codec_limits *limits,
                                       siglip_codec_image *out) {
    if (out == NULL) return SIGLIP_CODEC_BAD_ARGUMENT;
    siglip_codec_reset(out);
    if (data == NULL || limits == NULL) {
        siglip_codec_message(out->message, "bad argument");
        return SIGLIP_CODEC_BAD_ARGUMENT;
    }
    struct jpeg_decompress_struct cinfo;
    jpeg_context context;
    cinfo.err = jpeg_std_error(&context.error);
    context.error.error_exit = jpeg_context_fail;
    context.error.emit_message = jpeg_context_emit;
    context.error.output_message = jpeg_context_output;
    context.progress.progress_monitor = jpeg_context_progress;
    context.status = SIGLIP_CODEC_OK;
    context.max_scans = limits->max_jpeg_scans;
    context.message = out->message;

    uint8_t *volatile pixels = NULL;  // [height, width, 3]
    uint8_t *volatile row = NULL;     // one scanline, [width, components]
    if (setjmp(context.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return context.status;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &context.progress;
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    siglip_codec_status verdict =
        siglip_codec_check_limits(cinfo.image_width, cinfo.image_height, limits, out->message);
    if (verdict == SIGLIP_CODEC_OK)
        verdict = siglip_codec_check_density(cinfo.image_width, cinfo.image_height, size, 4096, out->message);
    if (verdict != SIGLIP_CODEC_OK) {
        context.status = verdict;
        jpeg_context_fail((j_common_ptr)&cinfo);
    }
    if (!jpeg_choose_colorspace(&cinfo)) {
        context.status = SIGLIP_CODEC_UNSUPPORTED;
        siglip_codec_message(out->message, "unsupported JPEG colour space %d with %d components",
                             (int)cinfo.jpeg_color_space, cinfo.num_components);
        jpeg_context_fail((j_common_ptr)&cinfo);
    }
    jpeg_choose_scale(&cinfo, min_width, min_height);
    jpeg_start_decompress(&cinfo);

    JDIMENSION width = cinfo.output_width, height = cinfo.output_height;
    int components = cinfo.output_components;
    if (components != 1 && components != 3 && components != 4) {
        context.status = SIGLIP_CODEC_UNSUPPORTED;
        siglip_codec_message(out->message, "unexpected %d output components", components);
        jpeg_context_fail((j_common_ptr)&cinfo);
    }
    pixels = (uint8_t *)malloc((size_t)width * height * 3);
    row = (uint8_t *)malloc((size_t)width * (size_t)components);
    if (pixels == NULL || row == NULL) {
        context.status = SIGLIP_CODEC_OUT_OF_MEMORY;
        siglip_codec_message(out->message, "out of memory (pixel buffer)");
        jpeg_context_fail((j_common_ptr)&cinfo);
    }
    while (cinfo.output_scanline < height) {
        JSAMPROW rows[1] = {row};
        JDIMENSION y = cinfo.output_scanline;
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
            context.status = SIGLIP_CODEC_CORRUPT;
            siglip_codec_message(out->message, "JPEG decoder stalled at scanline %u", (unsigned)y);
            jpeg_context_fail((j_common_ptr)&cinfo);
        }
        jpeg_row_to_rgb(row, components, width, pixels + (size_t)y * width * 3);
    }
    // The trailer after the last scanline is not read (lenient about a missing EOI).
    out->source_width = (int32_t)cinfo.image_width;
    out->source_height = (int32_t)cinfo.image_height;
    out->scale_denom = (int32_t)cinfo.scale_denom;
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->pixels = pixels;
    out->width = (int32_t)width;
    out->height = (int32_t)height;
    return SIGLIP_CODEC_OK;
}
