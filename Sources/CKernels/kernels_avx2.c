// The kernels for AVX2 + FMA (8 lanes, one register). Only called when the CPU has them.
#if defined(__x86_64__)
#include <string.h>
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define CK_LANES 8
#define CK_LEVEL_SELF CK_LEVEL_AVX2
#define CK_NAME(f) ck_avx2_##f
#include "kernels_body.h"
#pragma clang attribute pop
#endif
