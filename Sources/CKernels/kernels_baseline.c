// The kernels for the baseline instruction set (on x86-64: SSE2; 8 lanes = two registers).
#define CK_LANES 8
#define CK_LEVEL_SELF CK_LEVEL_BASELINE
#define CK_NAME(f) ck_baseline_##f
#define CK_GEMM_MR 4  // GEMM register tile 4 × 8: 8 of the 16 SSE registers hold C
#define CK_GEMM_NV 1
#define CK_GEMM_NC_TARGET 256L  // not measured against OpenBLAS (which computes every product at this level)
#include "kernels_body.h"
#include "gemm_body.h"
