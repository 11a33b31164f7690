// The kernels of vector_kernels.h, written once. Each kernels_<level>.c defines
// CK_LANES (floats per vector), CK_LEVEL_SELF and CK_NAME(f) (the level's function names), for the
// preprocessor CK_ISA_AVX2 or CK_ISA_AVX512 (the x86 intrinsics the level may use), sets the
// instruction set with a `#pragma clang attribute`, then includes this file.
//
// Vectors are clang extended vectors; arithmetic on them compiles to the level's
// instructions (a vector wider than the registers becomes several instructions).

#include <string.h>
#include "vector_kernels.h"

// Vector arguments of the static helpers below never cross a file boundary (their ABI is
// this file's own), so the baseline file's "vector of 8 floats without AVX" note is moot.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float vf __attribute__((ext_vector_type(CK_LANES)));
typedef int vi __attribute__((ext_vector_type(CK_LANES)));

static inline vf ck_load(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void ck_store(float *p, vf v) { memcpy(p, &v, sizeof v); }

#if defined(CK_ISA_AVX2) || defined(CK_ISA_AVX512)
#include <immintrin.h>
#endif

// The tail of a row (n < CK_LANES floats) with the level's masked loads and stores, which never
// touch memory past the n floats: at AVX2 and AVX-512 one instruction, where a memcpy of a
// variable length is a library call (a softmax over 196-wide rows spent half its time in them).
#if defined(CK_ISA_AVX512)
static inline __mmask16 ck_first_lanes(long n) { return (__mmask16)((1u << n) - 1); }
#elif defined(CK_ISA_AVX2)
static inline __m256i ck_first_lanes(long n) {
    vi lane = {0, 1, 2, 3, 4, 5, 6, 7};
    return (__m256i)(lane < (vi)(int)n);
}
#endif

/// The first n (≤ CK_LANES) floats; the other lanes are `fill`.
static inline vf ck_load_partial(const float *p, long n, float fill) {
#if defined(CK_ISA_AVX512)
    return (vf)_mm512_mask_loadu_ps(_mm512_set1_ps(fill), ck_first_lanes(n), p);
#elif defined(CK_ISA_AVX2)
    __m256i mask = ck_first_lanes(n);
    return (vf)_mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, mask), (__m256)mask);
#else
    vf v = fill;
    memcpy(&v, p, (size_t)n * sizeof(float));
    return v;
#endif
}

static inline void ck_store_partial(float *p, vf v, long n) {
#if defined(CK_ISA_AVX512)
    _mm512_mask_storeu_ps(p, ck_first_lanes(n), (__m512)v);
#elif defined(CK_ISA_AVX2)
    _mm256_maskstore_ps(p, ck_first_lanes(n), (__m256)v);
#else
    memcpy(p, &v, (size_t)n * sizeof(float));
#endif
}

static inline float ck_sum(vf v) {
    float lanes[CK_LANES], s = 0;
    memcpy(lanes, &v, sizeof v);
    for (int i = 0; i < CK_LANES; i++) s += lanes[i];
    return s;
}

static inline float ck_max(vf v) {
    float lanes[CK_LANES];
    memcpy(lanes, &v, sizeof v);
    float m = lanes[0];
    for (int i = 1; i < CK_LANES; i++) m = lanes[i] > m ? lanes[i] : m;
    return m;
}

/// Vectors taken side by side by GELU in gelu_forward (which the GEMM driver's epilogue also
/// calls; CK_GELU_GROUP, by level; 2 unless set). One GELU is a chain of ~30 dependent operations
/// (the exp's polynomial, the division); with one vector at a time the out-of-order window holds
/// too few of them to keep the units busy. A group is one wider vector, so its operations come
/// interleaved: on a Zen 4, 0.62 → 0.49 ns a float at AVX2 with 4 vectors (0.53 with 2), 0.42 →
/// 0.39 at AVX-512 with 2 (0.45 with 4), the same bits. With the table exp (exp_gelu_body.h) the
/// choice holds: 0.44 at AVX2 with 4 (0.47 with 2), 0.32 at AVX-512 with 2 or 4.
#ifndef CK_GELU_GROUP
#define CK_GELU_GROUP 2
#endif
typedef float vg __attribute__((ext_vector_type(CK_LANES * CK_GELU_GROUP)));
typedef int vgi __attribute__((ext_vector_type(CK_LANES * CK_GELU_GROUP)));

/// 2·2^(j/8) for each lane's j mod 8: the exp's table (exp_gelu_body.h), read by one permute,
/// which at AVX2 reads the low 3 bits of each index (at AVX-512 the low 4, of the 8 values twice).
static const float ck_exp2_eighths_table[16] = {2.0f, 2.18101549f, 2.37841415f, 2.59367919f, 2.82842708f, 3.08442163f,
                                                3.36358571f, 3.6680162f, 2.0f, 2.18101549f, 2.37841415f, 2.59367919f,
                                                2.82842708f, 3.08442163f, 3.36358571f, 3.6680162f};
static inline vf ck_exp2_eighths(vi j) {
#if defined(CK_ISA_AVX512)
    return (vf)_mm512_permutexvar_ps((__m512i)j, _mm512_loadu_ps(ck_exp2_eighths_table));
#elif defined(CK_ISA_AVX2)
    return (vf)_mm256_permutevar8x32_ps(_mm256_loadu_ps(ck_exp2_eighths_table), (__m256i)j);
#else
    vf out;
    for (int i = 0; i < CK_LANES; i++) out[i] = ck_exp2_eighths_table[j[i] & 7];
    return out;
#endif
}

static const float gelu_scale = 0.7978845608f;  // √(2/π)
static const float gelu_cubic = 0.044715f;

// ck_select, ck_vexp and ck_gelu for one vector (vf) and for a group of CK_GELU_GROUP vectors
// side by side (vg), written once.
#define CK_V vf
#define CK_VI vi
#include "exp_gelu_body.h"
#undef CK_V
#undef CK_VI
#define CK_V vg
#define CK_VI vgi
#include "exp_gelu_body.h"
#undef CK_V
#undef CK_VI

/// The level this file was compiled for (so tests can see that dispatch reaches it).
void CK_NAME(compiled_level)(int *compiled) { *compiled = CK_LEVEL_SELF; }

void CK_NAME(exp)(const float *x, float *y, long n) {
    long i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES) ck_store(y + i, ck_vexp(ck_load(x + i)));
    if (i < n) ck_store_partial(y + i, ck_vexp(ck_load_partial(x + i, n - i, 0)), n - i);
}

void CK_NAME(gelu_forward)(const float *x, float *y, long n) {
    long i = 0;
    for (; i + CK_LANES * CK_GELU_GROUP <= n; i += CK_LANES * CK_GELU_GROUP) {
        vg g;
        memcpy(&g, x + i, sizeof g);
        g = ck_gelu(g);
        memcpy(y + i, &g, sizeof g);
    }
    for (; i + CK_LANES <= n; i += CK_LANES) ck_store(y + i, ck_gelu(ck_load(x + i)));
    if (i < n) ck_store_partial(y + i, ck_gelu(ck_load_partial(x + i, n - i, 0)), n - i);
}

/// gelu'(x) = s + 2x·s(1 - s)·u', s = σ(2u) = y/x. Near 0, where y/x would lose its digits
/// (or y is 0 for a subnormal x), s is ½, its value there to float precision. u' is taken at x
/// clamped to ±10: beyond, s(1 - s) is exactly 0 in float, and x² could overflow to inf (0·inf).
static inline vf ck_gelu_slope(vf x, vf y) {
    vf s = ck_select(__builtin_elementwise_abs(x) < 1e-20f, (vf)0.5f, y / x);
    vf xc = ck_select(x > 10.0f, (vf)10.0f, ck_select(x < -10.0f, (vf)-10.0f, x));
    vf du = gelu_scale * (1.0f + 3.0f * gelu_cubic * xc * xc);
    return s + 2.0f * x * s * (1.0f - s) * du;
}

void CK_NAME(gelu_backward)(const float *dy, const float *x, const float *y, float *dx, long n, int accumulate) {
    long i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES) {
        vf g = ck_load(dy + i) * ck_gelu_slope(ck_load(x + i), ck_load(y + i));
        ck_store(dx + i, accumulate ? ck_load(dx + i) + g : g);
    }
    if (i < n) {
        long m = n - i;
        vf g = ck_load_partial(dy + i, m, 0) * ck_gelu_slope(ck_load_partial(x + i, m, 0), ck_load_partial(y + i, m, 0));
        ck_store_partial(dx + i, accumulate ? ck_load_partial(dx + i, m, 0) + g : g, m);
    }
}

/// Rows the softmax and its backward take side by side (CK_SOFTMAX_ROWS, by level; 4 unless
/// set). Each row's passes hang on chains of dependent operations (the running maximum, the
/// horizontal maximum and sum, the reciprocal) that leave the vector units idle; rows side by
/// side fill them. On a 196-wide row (Zen 4) one row at a time took 444 cycles at AVX-512 and
/// 463 at AVX2; 8 rows side by side at AVX-512 291, 4 at AVX2 407 (8 at AVX2 run short of its
/// 16 registers). Each row's values are the same, bit for bit, in any grouping.
#ifndef CK_SOFTMAX_ROWS
#define CK_SOFTMAX_ROWS 4
#endif

/// Softmax of R ≤ CK_SOFTMAX_ROWS rows in place (R a constant after inlining): rows p + r·ld, c
/// columns each.
static inline __attribute__((always_inline)) void ck_softmax_rows_of(float *p, long ld, long c, const int R) {
    vf mv[CK_SOFTMAX_ROWS], sums[CK_SOFTMAX_ROWS];   // sized by the constant, not R: no variable-length arrays
    float m[CK_SOFTMAX_ROWS], inv[CK_SOFTMAX_ROWS];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) mv[r] = (vf)(-__builtin_inff());
    long i = 0;
    for (; i + CK_LANES <= c; i += CK_LANES)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) mv[r] = __builtin_elementwise_max(mv[r], ck_load(p + r * ld + i));
    if (i < c)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
            mv[r] = __builtin_elementwise_max(mv[r], ck_load_partial(p + r * ld + i, c - i, -__builtin_inff()));
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
        m[r] = ck_max(mv[r]);
        sums[r] = 0;
    }
    for (i = 0; i + CK_LANES <= c; i += CK_LANES)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
            vf e = ck_vexp_at_most_88(ck_load(p + r * ld + i) - m[r]);   // x − max ≤ 0
            sums[r] += e;
            ck_store(p + r * ld + i, e);
        }
    if (i < c)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) {
            // Padding lanes are -inf, so their exponentials are 0 and add nothing.
            vf e = ck_vexp_at_most_88(ck_load_partial(p + r * ld + i, c - i, -__builtin_inff()) - m[r]);
            sums[r] += e;
            ck_store_partial(p + r * ld + i, e, c - i);
        }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) inv[r] = 1.0f / ck_sum(sums[r]);
    for (i = 0; i + CK_LANES <= c; i += CK_LANES)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) ck_store(p + r * ld + i, ck_load(p + r * ld + i) * inv[r]);
    if (i < c)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
            ck_store_partial(p + r * ld + i, ck_load_partial(p + r * ld + i, c - i, 0) * inv[r], c - i);
}

/// Backward of R ≤ CK_SOFTMAX_ROWS softmax rows in place (R a constant after inlining): ds = p ∘ (dp − Σ dp ∘ p)
/// over c columns, rows dp + r·ld and p + r·ld.
static inline __attribute__((always_inline)) void ck_softmax_backward_rows_of(float *dp, const float *p, long ld, long c,
                                                                             const int R) {
    vf acc[CK_SOFTMAX_ROWS];
    float d[CK_SOFTMAX_ROWS];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) acc[r] = 0;
    long i = 0;
    for (; i + CK_LANES <= c; i += CK_LANES)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) acc[r] += ck_load(p + r * ld + i) * ck_load(dp + r * ld + i);
    if (i < c)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
            acc[r] += ck_load_partial(p + r * ld + i, c - i, 0) * ck_load_partial(dp + r * ld + i, c - i, 0);
    _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++) d[r] = ck_sum(acc[r]);
    for (i = 0; i + CK_LANES <= c; i += CK_LANES)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
            ck_store(dp + r * ld + i, ck_load(p + r * ld + i) * (ck_load(dp + r * ld + i) - d[r]));
    if (i < c)
        _Pragma("clang loop unroll(full)") for (int r = 0; r < R; r++)
            ck_store_partial(dp + r * ld + i,
                             ck_load_partial(p + r * ld + i, c - i, 0) * (ck_load_partial(dp + r * ld + i, c - i, 0) - d[r]), c - i);
}

/// R ≤ CK_SOFTMAX_ROWS rows of the softmax (backward: its backward, dp ← ds, from the forward's
/// p), R and backward constants after inlining.
static inline __attribute__((always_inline)) void ck_softmax_rows_either(int backward, float *x, const float *p, long ld,
                                                                        long c, const int R) {
    if (backward) ck_softmax_backward_rows_of(x, p, ld, c, R);
    else ck_softmax_rows_of(x, ld, c, R);
}

/// `rows` rows (row stride ld, c columns) of the softmax or its backward, as
/// ck_softmax_rows_either: CK_SOFTMAX_ROWS at a time, then halves of that for the rest.
static inline __attribute__((always_inline)) void ck_softmax_groups(int backward, float *x, const float *p, long ld,
                                                                   long rows, long c) {
    long r = 0;
    for (; r + CK_SOFTMAX_ROWS <= rows; r += CK_SOFTMAX_ROWS)
        ck_softmax_rows_either(backward, x + r * ld, p + r * ld, ld, c, CK_SOFTMAX_ROWS);
#if CK_SOFTMAX_ROWS > 4
    if (r + 4 <= rows) { ck_softmax_rows_either(backward, x + r * ld, p + r * ld, ld, c, 4); r += 4; }
#endif
    if (r + 2 <= rows) { ck_softmax_rows_either(backward, x + r * ld, p + r * ld, ld, c, 2); r += 2; }
    if (r < rows) ck_softmax_rows_either(backward, x + r * ld, p + r * ld, ld, c, 1);
}

/// Softmax of `rows` rows in place (row stride ld, c columns).
static void ck_softmax_block(float *p, long ld, long rows, long c) { ck_softmax_groups(0, p, p, ld, rows, c); }

/// Backward of `rows` softmax rows in place: dp ← p ∘ (dp − Σ dp ∘ p).
static void ck_softmax_backward_block(float *dp, const float *p, long ld, long rows, long c) {
    ck_softmax_groups(1, dp, p, ld, rows, c);
}

void CK_NAME(softmax_rows)(float *p, long rows, long columns) { ck_softmax_block(p, columns, rows, columns); }

void CK_NAME(softmax_backward_rows)(float *dp, const float *p, long rows, long c) { ck_softmax_backward_block(dp, p, c, rows, c); }

void CK_NAME(layer_norm_forward)(const float *x, const float *gamma, const float *beta, float *out, float *mean,
                                 float *rstd, long rows, long d, float epsilon) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * d;
        float *yr = out + r * d;
        vf acc = 0;
        long i = 0;
        for (; i + CK_LANES <= d; i += CK_LANES) acc += ck_load(xr + i);
        if (i < d) acc += ck_load_partial(xr + i, d - i, 0);
        float m = ck_sum(acc) / (float)d;
        acc = 0;
        for (i = 0; i + CK_LANES <= d; i += CK_LANES) {
            vf t = ck_load(xr + i) - m;
            acc += t * t;
        }
        if (i < d) {
            vf t = ck_load_partial(xr + i, d - i, m) - m;   // padding lanes give 0
            acc += t * t;
        }
        float s = 1.0f / __builtin_sqrtf(ck_sum(acc) / (float)d + epsilon);
        for (i = 0; i + CK_LANES <= d; i += CK_LANES)
            ck_store(yr + i, (ck_load(xr + i) - m) * s * ck_load(gamma + i) + ck_load(beta + i));
        if (i < d) {
            long n = d - i;
            vf y = (ck_load_partial(xr + i, n, 0) - m) * s * ck_load_partial(gamma + i, n, 0) + ck_load_partial(beta + i, n, 0);
            ck_store_partial(yr + i, y, n);
        }
        mean[r] = m;
        rstd[r] = s;
    }
}

/// One row block of the LayerNorm backward's dx: with g = dy ∘ gamma and n the normalised
/// input, ∂L/∂x = (g − mean(g) − n · mean(g ∘ n)) · rstd; plus `residual` when given, plus dx
/// when accumulating. g is rounded on its own (its own statement: the compiler fuses
/// multiply-adds only within one), as in the pass that summed it, so g − mean(g) cancels
/// exactly where it should (a row of width 1 gives dx = 0 at every level).
static inline vf ck_layer_norm_dx(vf dy, vf x, vf gamma, float m, float s, float mean_g, float mean_gn) {
    vf g = dy * gamma;
    return (g - mean_g - (x - m) * s * mean_gn) * s;
}

void CK_NAME(layer_norm_backward_rows)(const float *dy, const float *x, const float *mean, const float *rstd,
                                       const float *gamma, float *dx, const float *residual, int accumulate,
                                       long rows, long d) {
    for (long r = 0; r < rows; r++) {
        const float *dyr = dy + r * d, *xr = x + r * d, *res = residual ? residual + r * d : 0;
        float *dxr = dx + r * d;
        float m = mean[r], s = rstd[r];
        vf sum_g = 0, sum_gn = 0;
        long i = 0;
        for (; i + CK_LANES <= d; i += CK_LANES) {
            vf g = ck_load(dyr + i) * ck_load(gamma + i);
            sum_g += g;
            sum_gn += g * ((ck_load(xr + i) - m) * s);
        }
        if (i < d) {
            long n = d - i;
            vf g = ck_load_partial(dyr + i, n, 0) * ck_load_partial(gamma + i, n, 0);
            sum_g += g;
            sum_gn += g * ((ck_load_partial(xr + i, n, 0) - m) * s);
        }
        float mean_g = ck_sum(sum_g) / (float)d, mean_gn = ck_sum(sum_gn) / (float)d;
        for (i = 0; i + CK_LANES <= d; i += CK_LANES) {
            vf v = ck_layer_norm_dx(ck_load(dyr + i), ck_load(xr + i), ck_load(gamma + i), m, s, mean_g, mean_gn);
            if (res) v += ck_load(res + i);
            if (accumulate) v += ck_load(dxr + i);
            ck_store(dxr + i, v);
        }
        if (i < d) {
            long n = d - i;
            vf v = ck_layer_norm_dx(ck_load_partial(dyr + i, n, 0), ck_load_partial(xr + i, n, 0),
                                    ck_load_partial(gamma + i, n, 0), m, s, mean_g, mean_gn);
            if (res) v += ck_load_partial(res + i, n, 0);
            if (accumulate) v += ck_load_partial(dxr + i, n, 0);
            ck_store_partial(dxr + i, v, n);
        }
    }
}

static inline void ck_adamw_block(float *theta, float *g, float *m, float *v, const ck_adamw_step *k, long n) {
    int full = n == CK_LANES;
    vf gi = (full ? ck_load(g) : ck_load_partial(g, n, 0)) * k->gradient_scale;
    vf m_new = k->beta1 * (full ? ck_load(m) : ck_load_partial(m, n, 0)) + (1.0f - k->beta1) * gi;
    vf v_new = k->beta2 * (full ? ck_load(v) : ck_load_partial(v, n, 0)) + (1.0f - k->beta2) * gi * gi;
    m_new = ck_select(__builtin_elementwise_abs(m_new) < k->flush_below, (vf)0.0f, m_new);
    v_new = ck_select(v_new < k->flush_below, (vf)0.0f, v_new);
    vf ti = full ? ck_load(theta) : ck_load_partial(theta, n, 0);
    ti = ti - (k->step_size * m_new / (__builtin_elementwise_sqrt(v_new) * k->inverse_sqrt_correction2 + k->epsilon) + k->decay * ti);
    if (k->zero_gradients) gi = 0;   // consumed: the next step's gradients start from zero
    if (full) {
        ck_store(g, gi);
        ck_store(m, m_new);
        ck_store(v, v_new);
        ck_store(theta, ti);
    } else {
        ck_store_partial(g, gi, n);
        ck_store_partial(m, m_new, n);
        ck_store_partial(v, v_new, n);
        ck_store_partial(theta, ti, n);
    }
}

void CK_NAME(adamw)(float *theta, float *g, float *m, float *v, long n, const ck_adamw_step *step) {
    long i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES) ck_adamw_block(theta + i, g + i, m + i, v + i, step, CK_LANES);
    if (i < n) ck_adamw_block(theta + i, g + i, m + i, v + i, step, n - i);
}

// Column sums, row by row: each column's sum is accumulated in row order (the same bits however
// the columns are split between threads). Columns are taken four vectors at a time, their
// partial sums kept in registers over all rows.

/// The vectors of columns [c, c + w) of row r (w ≤ 4·CK_LANES), with zeros past w.
#define CK_COLUMN_VECTORS(base, w, out)                                                        \
    for (int q = 0; q < 4; q++) {                                                               \
        long from = q * CK_LANES, n = (w) - from;                                                \
        out[q] = n >= CK_LANES ? ck_load((base) + from) : n > 0 ? ck_load_partial((base) + from, n, 0) : (vf)0; \
    }

static inline void ck_store_columns(float *p, const vf v[4], long w) {
    for (int q = 0; q < 4; q++) {
        long from = q * CK_LANES, n = w - from;
        if (n >= CK_LANES) ck_store(p + from, v[q]);
        else if (n > 0) ck_store_partial(p + from, v[q], n);
    }
}

void CK_NAME(column_sums)(const float *x, long rows, long columns, long ld, float *sums) {
    for (long c = 0; c < columns; c += 4 * CK_LANES) {
        long w = columns - c < 4 * CK_LANES ? columns - c : 4 * CK_LANES;
        vf s[4], row[4];
        CK_COLUMN_VECTORS(sums + c, w, s)
        if (w == 4 * CK_LANES) {
            for (long r = 0; r < rows; r++) {
                const float *p = x + r * ld + c;
                for (int q = 0; q < 4; q++) s[q] += ck_load(p + q * CK_LANES);
            }
        } else {
            for (long r = 0; r < rows; r++) {
                CK_COLUMN_VECTORS(x + r * ld + c, w, row)
                for (int q = 0; q < 4; q++) s[q] += row[q];
            }
        }
        ck_store_columns(sums + c, s, w);
    }
}

void CK_NAME(layer_norm_parameter_gradients)(const float *dy, const float *x, const float *mean, const float *rstd,
                                             long rows, long columns, long ld, float *dgamma, float *dbeta) {
    for (long c = 0; c < columns; c += 4 * CK_LANES) {
        long w = columns - c < 4 * CK_LANES ? columns - c : 4 * CK_LANES;
        vf g[4], b[4], d[4], v[4];
        CK_COLUMN_VECTORS(dgamma + c, w, g)
        CK_COLUMN_VECTORS(dbeta + c, w, b)
        for (long r = 0; r < rows; r++) {
            CK_COLUMN_VECTORS(dy + r * ld + c, w, d)
            CK_COLUMN_VECTORS(x + r * ld + c, w, v)
            vf m = mean[r], s = rstd[r];
            for (int q = 0; q < 4; q++) {
                vf n = (v[q] - m) * s;   // the normalised input
                g[q] += d[q] * n;
                b[q] += d[q];
            }
        }
        ck_store_columns(dgamma + c, g, w);
        ck_store_columns(dbeta + c, b, w);
    }
}

void CK_NAME(sum_of_squares)(const float *x, long n, float *out) {
    vf a0 = 0, a1 = 0, a2 = 0, a3 = 0;   // four sums in flight
    long i = 0;
    for (; i + 4 * CK_LANES <= n; i += 4 * CK_LANES) {
        vf v0 = ck_load(x + i), v1 = ck_load(x + i + CK_LANES), v2 = ck_load(x + i + 2 * CK_LANES), v3 = ck_load(x + i + 3 * CK_LANES);
        a0 += v0 * v0;
        a1 += v1 * v1;
        a2 += v2 * v2;
        a3 += v3 * v3;
    }
    for (; i < n; i += CK_LANES) {
        long m = n - i < CK_LANES ? n - i : CK_LANES;
        vf v = m == CK_LANES ? ck_load(x + i) : ck_load_partial(x + i, m, 0);
        a0 += v * v;
    }
    *out = ck_sum((a0 + a1) + (a2 + a3));
}

/// The machine's FMA peak, measured: `iterations` rounds of CK_FMA_CHAINS independent
/// multiply-adds on vectors (2 · CK_LANES · CK_FMA_CHAINS FLOPs per round), enough chains in
/// flight to cover the FMA latency on both pipes of current x86 cores (a float recurrence
/// cannot be folded; *out keeps the result alive). The baseline level has no FMA: its figure
/// is a multiply and an add.
#ifndef CK_FMA_CHAINS
#define CK_FMA_CHAINS 12
#endif
void CK_NAME(fma_loop)(long iterations, float *out) {
    vf acc[CK_FMA_CHAINS];
    for (int c = 0; c < CK_FMA_CHAINS; c++) acc[c] = (float)c * 1e-3f;
    const vf a = 0.999999f, b = 1e-7f;
    for (long i = 0; i < iterations; i++) {
        _Pragma("clang loop unroll(full)") for (int c = 0; c < CK_FMA_CHAINS; c++) acc[c] = acc[c] * a + b;   // one FMA each
    }
    vf total = 0;
    for (int c = 0; c < CK_FMA_CHAINS; c++) total += acc[c];
    *out = ck_sum(total);
}
