#include "codec_common.h"

void siglip_codec_image_free(siglip_codec_image *image) {
    if (image == NULL) return;
    free(image->pixels);
    image->pixels = NULL;
}
