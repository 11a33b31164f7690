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
// Blocks of packed B of 768 × 144 floats (432 KB) beside 96 rows × 768 of A (288 KB) in a 1-2 MB
// L2, each tile's 8 × 768 of A (24 KB) in L1: on a Zen 4 the B/16 products went from 103-107 to
// 108-111 GFLOP/s on one core against 256 × 1,008 (1 MB, which filled its L2), C written once
// per product where K ≤ 768 rather than read back per block of 256, and the B/16 inference
// step from 1,464 to 1,410 ms (docs/SPEED.md, Zen 4 sitting 4). Not measured on a Xeon since.
#define CK_SOFTMAX_ROWS 8  // the rows of a register tile side by side
#define CK_GEMM_KC 768L
#define CK_GEMM_MC 96L
#define CK_GEMM_NC_TARGET 144L
#include "kernels_body.h"
#include "gemm_body.h"
#pragma clang attribute pop
#endif
