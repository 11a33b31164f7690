// Picks the kernels' instruction-set level: the CPU's best by default, or the caller's.
#include "vector_kernels.h"

// Every kernel once: name, parameters, arguments. The rest of this file is generated from it.
#define CK_KERNELS(X)                                                                               \
    X(compiled_level, (int *compiled), (compiled))                                                 \
    X(exp, (const float *x, float *y, long n), (x, y, n))                                          \
    X(gelu_forward, (const float *x, float *y, long n), (x, y, n))                                 \
    X(gelu_backward, (const float *dy, const float *x, const float *y, float *dx, long n, int accumulate), \
      (dy, x, y, dx, n, accumulate))                                                               \
    X(softmax_rows, (float *p, long rows, long columns), (p, rows, columns))                       \
    X(softmax_backward_rows, (float *dp, const float *p, long rows, long columns), (dp, p, rows, columns)) \
    X(layer_norm_forward,                                                                          \
      (const float *x, const float *gamma, const float *beta, float *out, float *mean, float *rstd, long rows, \
       long d, float epsilon),                                                                     \
      (x, gamma, beta, out, mean, rstd, rows, d, epsilon))                                         \
    X(layer_norm_backward_rows,                                                                    \
      (const float *dy, const float *x, const float *mean, const float *rstd, const float *gamma, float *dx, \
       const float *residual, int accumulate, long rows, long d),                                  \
      (dy, x, mean, rstd, gamma, dx, residual, accumulate, rows, d))                               \
    X(adamw, (float *theta, float *g, float *m, float *v, long n, const ck_adamw_step *step),       \
      (theta, g, m, v, n, step))                                                                   \
    X(column_sums, (const float *x, long rows, long columns, long ld, float *sums), (x, rows, columns, ld, sums)) \
    X(layer_norm_parameter_gradients,                                                              \
      (const float *dy, const float *x, const float *mean, const float *rstd, long rows, long columns, long ld, \
       float *dgamma, float *dbeta),                                                               \
      (dy, x, mean, rstd, rows, columns, ld, dgamma, dbeta))                                        \
    X(sum_of_squares, (const float *x, long n, float *out), (x, n, out))                             \
    X(fma_loop, (long iterations, float *out), (iterations, out))                                   \
    X(gemm_layout, (long k, long n, long *packed_floats, long *panel_flags, long *packed_a_floats,  \
                    long *tile_rows),                                                               \
      (k, n, packed_floats, panel_flags, packed_a_floats, tile_rows))                              \
    X(gemm_work, (const ck_gemm *g, long threads, long task), (g, threads, task))                  \
    X(gemm_tile_twins,                                                                             \
      (long kc, const float *a, long ld, int columns, const float *b, float *fast, float *plain, long *rows, \
       long *cols),                                                                                \
      (kc, a, ld, columns, b, fast, plain, rows, cols))                                            \
    X(attention_head_workspace, (long n, long dh, long *floats), (n, dh, floats))                  \
    X(attention_head_forward,                                                                      \
      (const float *q, const float *k, const float *v, long ld, long n, long dh, float scale, const float *mask, \
       float *p, float *o, long ldo, float *work, const float *next_q),                            \
      (q, k, v, ld, n, dh, scale, mask, p, o, ldo, work, next_q))                                  \
    X(attention_head_backward,                                                                     \
      (const float *q, const float *k, const float *v, long ld, long n, long dh, float scale, const float *p, \
       const float *dout, long ldo, float *dq, float *dk, float *dv, float *work),                   \
      (q, k, v, ld, n, dh, scale, p, dout, ldo, dq, dk, dv, work))

// The per-level implementations (kernels_<level>.c).
#define CK_DECLARE_BASELINE(name, params, args) void ck_baseline_##name params;
#define CK_DECLARE_AVX2(name, params, args) void ck_avx2_##name params;
#define CK_DECLARE_AVX512(name, params, args) void ck_avx512_##name params;
CK_KERNELS(CK_DECLARE_BASELINE)
#if defined(__x86_64__)
CK_KERNELS(CK_DECLARE_AVX2)
CK_KERNELS(CK_DECLARE_AVX512)
#endif

#define CK_FIELD(name, params, args) void(*name) params;
typedef struct {
    CK_KERNELS(CK_FIELD)
} ck_table;

#define CK_ENTRY_BASELINE(name, params, args) ck_baseline_##name,
#define CK_ENTRY_AVX2(name, params, args) ck_avx2_##name,
#define CK_ENTRY_AVX512(name, params, args) ck_avx512_##name,
static const ck_table tables[] = {
    {CK_KERNELS(CK_ENTRY_BASELINE)},
#if defined(__x86_64__)
    {CK_KERNELS(CK_ENTRY_AVX2)},
    {CK_KERNELS(CK_ENTRY_AVX512)},
#endif
};

int ck_supported_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return CK_LEVEL_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CK_LEVEL_AVX2;
#endif
    return CK_LEVEL_BASELINE;
}

// -1 until first used; every thread computes the same values, so a race is harmless.
static int supported = -1, selected = -1;

static int highest(void) {
    int level = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (level < 0) {
        level = ck_supported_level();
        __atomic_store_n(&supported, level, __ATOMIC_RELAXED);
    }
    return level;
}

static int clamp(int level) { return level < 0 ? 0 : level > highest() ? highest() : level; }

int ck_select_level(int level) {
    level = clamp(level);
    __atomic_store_n(&selected, level, __ATOMIC_RELAXED);
    return level;
}

int ck_selected_level(void) {
    int level = __atomic_load_n(&selected, __ATOMIC_RELAXED);
    return level >= 0 ? level : highest();
}

// The public entry points: the kernel of the (clamped) level asked for.
#define CK_DISPATCH(name, params, args) \
    void ck_##name(int level, CK_UNPAREN params) { tables[clamp(level)].name args; }
#define CK_UNPAREN(...) __VA_ARGS__
CK_KERNELS(CK_DISPATCH)
