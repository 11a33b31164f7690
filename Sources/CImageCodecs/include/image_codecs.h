// Placeholder: the setjmp-safe libpng/libjpeg wrappers arrive with the decoding issue.
#pragma once
int siglip_image_codecs_version(void);
