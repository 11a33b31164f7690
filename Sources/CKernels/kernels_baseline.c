// The kernels for the baseline instruction set (on x86-64: SSE2; 8 lanes = two registers).
#define CK_LANES 8
#define CK_LEVEL_SELF CK_LEVEL_BASELINE
#define CK_NAME(f) ck_baseline_##f
#include "kernels_body.h"
