// The kernels for AVX2 + FMA (8 lanes, one register). Only called when the CPU has them.
#if defined(__x86_64__)
#include <string.h>
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define CK_LANES 8
#define CK_ISA_AVX2 1
#define CK_LEVEL_SELF CK_LEVEL_AVX2
#define CK_NAME(f) ck_avx2_##f
#define CK_GEMM_MR 4  // GEMM register tile 4 × 24: 12 of the 16 vector registers hold C
#define CK_GEMM_NV 3
#define CK_GELU_GROUP 4  // GELU on 4 vectors side by side (kernels_body.h)
// Blocks of packed B of 768 × 96 floats (288 KB) beside 48 rows × 768 of A (144 KB) in a Zen 3's
// 512 KB L2. Against 256 × 1,008 (1 MB, the AVX-512 choice) the S/16 and B/16 block GEMMs went
// from 100-107 to 156-173 GFLOP/s on 2 cores (384 × 192, OpenBLAS's Zen kernels: 164-176); K in
// blocks of 768 rather than 384 (C read back half as often) then took the S/16 products from
// 0.94-1.00 of OpenBLAS's speed to 1.02-1.07 on 2 cores, with the B/16 ones at 0.97-1.04.
// With the 4 × 24 tile (a Zen 4, B/16's products with B kept packed, 2 threads), blocks of
// 24-96 rows × 96-192 columns and K in blocks of 384-768 all ran at 208-222 GFLOP/s: no
// reason to move from these.
#define CK_GEMM_KC 768L
#define CK_GEMM_MC 48L
#define CK_GEMM_NC_TARGET 96L
#include "kernels_body.h"
#include "gemm_tile_avx2.h"
#include "gemm_body.h"
#pragma clang attribute pop
#endif
