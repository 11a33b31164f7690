// CKernels: the exp-heavy element-wise kernels (GELU, softmax) in C, compiled once per
// instruction set and chosen at run time.
//
// Swift compiles for the baseline x86-64 (SSE2: 4 lanes, no FMA) unless every user passes
// `-target-cpu`, which would also make the binaries refuse older CPUs. These kernels are
// written once (kernels_body.h) over a vector of CK_LANES floats and compiled three times:
// for the baseline, for AVX2 + FMA and for AVX-512; the first call picks the best level
// this CPU supports (`ck_select_level` overrides it, for tests and benchmarks).
//
// Each kernel takes the level to run at (`ck_selected_level()` for the default; a level above
// what the CPU supports runs at the highest supported one), so tests can hold every level
// against the plain twins while other code runs. Each works on the calling thread; the Swift
// side (Kernels) splits the work.
// All functions return exact zeros instead of subnormal numbers (see ck_exp).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels, in increasing order.
enum {
    CK_LEVEL_BASELINE = 0,  ///< x86-64 baseline (SSE2), or any other architecture
    CK_LEVEL_AVX2 = 1,      ///< AVX2 + FMA (Haswell and later)
    CK_LEVEL_AVX512 = 2,    ///< AVX-512 F (Skylake-X and later)
};

/// The highest level this CPU (and its operating system) supports.
int ck_supported_level(void);
/// The default level: the highest supported, unless `ck_select_level` chose another.
int ck_selected_level(void);
/// Makes `level` (clamped to what the CPU supports) the default; returns the level chosen.
int ck_select_level(int level);

/// y[i] = e^x[i] (relative error ≤ 2e-7 over [-80, 88.7]; exactly 0 below -80; clamped
/// above 88.7). x, y: [n]; y may be x.
void ck_exp(int level, const float *x, float *y, long n);

/// GELU (tanh approximation) as x·σ(2u), u = √(2/π)(x + 0.044715 x³); exactly 0 below x ≈ -9.
/// x, y: [n]
void ck_gelu_forward(int level, const float *x, float *y, long n);

/// dx[i] = (dx[i] if accumulate) + dy[i]·gelu'(x[i]), with σ(2u) read off the forward's
/// output as y/x (½ at x = 0). dy, x, y, dx: [n]; dx may be dy.
void ck_gelu_backward(int level, const float *dy, const float *x, const float *y, float *dx, long n, int accumulate);

/// Softmax of each row in place: p[r, :] = e^(p - max) / Σ e^(p - max). p: [rows, columns]
void ck_softmax_rows(int level, float *p, long rows, long columns);

#ifdef __cplusplus
}
#endif
