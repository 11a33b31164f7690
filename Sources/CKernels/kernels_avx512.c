// The kernels for AVX-512 F (16 lanes, one register). Only called when the CPU has it.
#if defined(__x86_64__)
#include <string.h>
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#define CK_LANES 16
#define CK_ISA_AVX512 1
#define CK_LEVEL_SELF CK_LEVEL_AVX512
#define CK_NAME(f) ck_avx512_##f
#define CK_GEMM_MR 8  // GEMM register tile 8 × 48: 24 of the 32 vector registers hold C
#define CK_GEMM_NV 3
#define CK_GEMM_NC_TARGET 1024L  // blocks of packed B of 256 × 1,008 floats (1 MB): the L2 of the Xeon and Zen 4 measured
#include "kernels_body.h"
#include "gemm_body.h"
#pragma clang attribute pop
#endif
