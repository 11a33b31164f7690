#include "image_codecs.h"
int siglip_image_codecs_version(void) { return 0; }
