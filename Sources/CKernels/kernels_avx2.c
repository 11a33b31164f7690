// The kernels for AVX2 + FMA (8 lanes, one register). Only called when the CPU has them.
#if defined(__x86_64__)
#include <string.h>
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define CK_LANES 8
#define CK_LEVEL_SELF CK_LEVEL_AVX2
#define CK_NAME(f) ck_avx2_##f
#define CK_GEMM_MR 6  // GEMM register tile 6 × 16: 12 of the 16 vector registers hold C
#define CK_GEMM_NV 2
#include "kernels_body.h"
#include "gemm_body.h"
#pragma clang attribute pop
#endif
