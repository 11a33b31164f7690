// libjpeg (Debian: libjpeg-dev, libjpeg-turbo). jpeglib.h needs stdio.h and size_t first.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
