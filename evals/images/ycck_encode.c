/* Writes a YCCK JPEG (Adobe marker, transform 2) from raw CMYK bytes: Pillow cannot.
 * usage: ycck_encode WIDTH HEIGHT < cmyk.raw > out.jpg   (built by make_fixtures.py) */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    int width = atoi(argv[1]), height = atoi(argv[2]);
    size_t size = (size_t)width * height * 4;
    unsigned char *cmyk = malloc(size);
    if (cmyk == NULL || fread(cmyk, 1, size, stdin) != size) return 1;
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, stdout);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, JCS_YCCK);
    jpeg_set_quality(&cinfo, 90, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = cmyk + (size_t)cinfo.next_scanline * width * 4;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(cmyk);
    return 0;
}
