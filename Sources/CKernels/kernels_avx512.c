// The kernels for AVX-512 F (16 lanes, one register). Only called when the CPU has it.
#if defined(__x86_64__)
#include <string.h>
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#define CK_LANES 16
#define CK_LEVEL_SELF CK_LEVEL_AVX512
#define CK_NAME(f) ck_avx512_##f
#include "kernels_body.h"
#pragma clang attribute pop
#endif
