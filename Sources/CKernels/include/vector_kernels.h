// CKernels: the element-wise kernels that gain most from wide vectors (GELU, softmax,
// LayerNorm, column sums, the AdamW update, the gradient norm) and the GEMM driver in C,
// compiled once per instruction set and chosen at run time.
//
// Swift compiles for the baseline x86-64 (SSE2: 4 lanes, no FMA) unless every user passes
// `-target-cpu`, which would also make the binaries refuse older CPUs. These kernels are
// written once (kernels_body.h, gemm_body.h) over a vector of CK_LANES floats and compiled three times:
// for the baseline, for AVX2 + FMA and for AVX-512; the first call picks the best level
// this CPU supports (`ck_select_level` overrides it, for tests and benchmarks).
//
// Each kernel takes the level to run at (`ck_selected_level()` for the default; a level above
// what the CPU supports runs at the highest supported one), so tests can hold every level
// against the plain twins while other code runs. Each works on the calling thread; the Swift
// side (Kernels) splits the work.
// Subnormal numbers, on which the CPU's arithmetic runs tens of times slower, are kept out
// where they would arise: exp gives exactly 0 below -80, GELU exactly 0 below x ≈ -9, so a
// softmax gives exact zeros for masked (-inf) or very low scores (rows wider than ~1,500
// columns could still give subnormal probabilities). A NaN in the input gives NaN in the
// output: it is never clamped away.
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
/// Writes the level of the compiled kernels that run when `level` is asked for (dispatched
/// as every kernel is; for tests).
void ck_compiled_level(int level, int *compiled);

/// y[i] = e^x[i] (relative error ≤ 2e-7 over [-80, 88.7]; exactly 0 below -80; clamped
/// above 88.7; NaN for NaN). x, y: [n]; y may be x.
void ck_exp(int level, const float *x, float *y, long n);

/// GELU (tanh approximation) as x·σ(2u), u = √(2/π)(x + 0.044715 x³); exactly 0 below x ≈ -9.
/// x, y: [n]
void ck_gelu_forward(int level, const float *x, float *y, long n);

/// dx[i] = (dx[i] if accumulate) + dy[i]·gelu'(x[i]), with σ(2u) read off the forward's
/// output as y/x (½ at x = 0). dy, x, y, dx: [n]; dx may be dy.
void ck_gelu_backward(int level, const float *dy, const float *x, const float *y, float *dx, long n, int accumulate);

/// Softmax of each row in place: p[r, :] = e^(p - max) / Σ e^(p - max). p: [rows, columns]
void ck_softmax_rows(int level, float *p, long rows, long columns);

/// Backward of a row softmax, in place: ds = p ∘ (dp − Σ dp ∘ p). dp, p: [rows, columns]; dp becomes ds.
void ck_softmax_backward_rows(int level, float *dp, const float *p, long rows, long columns);

/// LayerNorm over rows: out = (x − mean) · rstd · gamma + beta, rstd = 1/√(var + epsilon);
/// also writes mean and rstd. x, out: [rows, d]; gamma, beta: [d]; mean, rstd: [rows]
void ck_layer_norm_forward(int level, const float *x, const float *gamma, const float *beta, float *out, float *mean,
                           float *rstd, long rows, long d, float epsilon);

/// LayerNorm backward, input gradient: dx = (dx if accumulate) + (residual if not NULL) + ∂L/∂x.
/// dy, x, dx, residual: [rows, d]; gamma: [d]; mean, rstd: [rows]
void ck_layer_norm_backward_rows(int level, const float *dy, const float *x, const float *mean, const float *rstd,
                                 const float *gamma, float *dx, const float *residual, int accumulate, long rows, long d);

/// sums[c] += Σ_r x[r, c], each column summed in row order. x: [rows, columns] at row stride ld.
void ck_column_sums(int level, const float *x, long rows, long columns, long ld, float *sums);

/// LayerNorm's parameter gradients: dgamma[c] += Σ_r dy[r, c]·(x[r, c] − mean[r])·rstd[r],
/// dbeta[c] += Σ_r dy[r, c], in row order. dy, x: [rows, columns] at row stride ld; mean, rstd: [rows].
void ck_layer_norm_parameter_gradients(int level, const float *dy, const float *x, const float *mean, const float *rstd,
                                       long rows, long columns, long ld, float *dgamma, float *dbeta);

/// *out = Σ x[i]² (the same bits for the same x and level). x: [n]
void ck_sum_of_squares(int level, const float *x, long n, float *out);

/// The FMA peak probe: `iterations` rounds of 12 independent vector multiply-adds (24 · lanes
/// FLOPs a round: 384 at AVX-512, 192 at AVX2 and baseline); *out is their sum.
void ck_fma_loop(int level, long iterations, float *out);

/// The scalars of one AdamW step (see SigLIPTraining.AdamW).
typedef struct ck_adamw_step {
    float gradient_scale;            ///< clipping factor applied to g (g is stored scaled)
    float beta1, beta2, epsilon;
    float step_size;                 ///< lr · schedule / (1 − β1^t)
    float inverse_sqrt_correction2;  ///< 1 / √(1 − β2^t)
    float decay;                     ///< weight decay · schedule (0 for parameters without decay)
    float flush_below;               ///< moments smaller than this in magnitude are stored as 0
    int zero_gradients;              ///< store 0 in g (the gradients consumed) instead of g·scale
} ck_adamw_step;

/// One AdamW update of n parameters: g ← g·scale (or 0 with zero_gradients); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
/// θ ← θ − step_size · m / (√v · inverse_sqrt_correction2 + ε) − decay · θ.
/// theta, g, m, v: [n]
void ck_adamw(int level, float *theta, float *g, float *m, float *v, long n, const ck_adamw_step *step);

/// One product C = alpha·op(A)·op(B) + beta·C + bias + addend for ck_gemm_work (row-major, like
/// cblas_sgemm with the bias added once per row): op(A) is [m, k], op(B) is [k, n], C is
/// [m, n]; lda, ldb, ldc are the row strides as stored. beta 0 does not read C. bias: [n] or
/// NULL; addend: [m, n] at row stride ld_addend (a residual), or NULL.
typedef struct ck_gemm {
    int trans_a, trans_b;
    long m, n, k;
    float alpha, beta;
    const float *a;
    long lda;
    const float *b;
    long ldb;
    const float *bias;
    const float *addend;
    long ld_addend;
    float *c;
    long ldc;
    /// If not NULL: also writes GELU(C) here (row stride ld_gelu), with the same values as
    /// ck_gelu_forward on the finished C; may be c itself (ld_gelu = ldc): C then ends as GELU(C).
    float *gelu_out;
    long ld_gelu;
    /// If not NULL: C is multiplied by gelu'(gelu_x) read off gelu_y = GELU(gelu_x) (both at row
    /// stride ld_gelu_in), with the same values as ck_gelu_backward on the finished C.
    const float *gelu_x, *gelu_y;
    long ld_gelu_in;
    /// Workspace from ck_gemm_layout: packed_floats floats (64-byte aligned is best) and
    /// panel_flags ints set to 0; next_panel and next_block set to 0. Shared by the threads
    /// working on the call.
    float *packed_b;
    /// 1: packed_b already holds op(B) whole, packed by an earlier call with the same B, k and n
    /// at the same level (an inference weight kept packed); nothing is packed, panel_flags and
    /// next_panel are not used.
    int b_packed;
    int *panel_flags;
    long *next_panel, *next_block;
    /// threads × packed_a_floats floats (64-byte aligned is best): each calling task's packed
    /// block of A, task t's at packed_a + t·packed_a_floats.
    float *packed_a;
} ck_gemm;

/// The workspace a product with these k and n needs (packed B shared by the threads, and the
/// packed A of each one), and the rows of C one register tile covers.
void ck_gemm_layout(int level, long k, long n, long *packed_floats, long *panel_flags, long *packed_a_floats,
                    long *tile_rows);

/// Works on `g` until all of C is done; `threads` is the number of tasks that will call it on
/// the same g (any number may, at once, each with its own task number in [0, threads); each
/// block of C is computed by one of them, the same way whichever it is, so the result never
/// depends on the threads).
void ck_gemm_work(int level, const ck_gemm *g, long threads, long task);

/// The level's GEMM register tile as ck_gemm_work runs it (fast: in assembly at AVX2) and the
/// C loop it replaces (plain), on the same operands: kc products of a tile's rows of A (element
/// (i, kk) at a[i·ld + kk], or at a[i + kk·ld] with `columns`) and kc rows of packed B ([kc][NR]),
/// each into fast and plain as [MR][NR] (at most 8 × 48 floats); *rows, *cols: MR and NR. Same
/// bits expected. For tests.
void ck_gemm_tile_twins(int level, long kc, const float *a, long ld, int columns, const float *b, float *fast,
                        float *plain, long *rows, long *cols);

/// The floats of workspace ck_attention_head_forward and ck_attention_head_backward need for n
/// tokens of head width dh.
void ck_attention_head_workspace(int level, long n, long dh, long *floats);

/// One attention head's forward on the calling thread: p ([n, n]) = softmax(scale · Q·Kᵀ + mask)
/// row by row, o ([n, dh], row stride ldo) = P·V. q, k, v: [n, dh] at row stride ld; mask: [n]
/// added to every row of scores, or NULL; work: ck_attention_head_workspace floats. next_q: the
/// queries of the head the caller takes next (its keys and values at the same distances from
/// them as k and v from q), whose rows are asked of the cache while this head works, or NULL.
void ck_attention_head_forward(int level, const float *q, const float *k, const float *v, long ld, long n, long dh,
                               float scale, const float *mask, float *p, float *o, long ldo, float *work,
                               const float *next_q);

/// One attention head's backward on the calling thread, from the forward's p ([n, n]) and the
/// outputs' gradient dout ([n, dh], row stride ldo): dq = scale·dS·K, dk = scale·dSᵀ·Q and
/// dv = Pᵀ·dO (overwritten), dS = P ∘ (dO·Vᵀ − rowsum(P ∘ dO·Vᵀ)). q, k, v, dq, dk, dv: [n, dh] at
/// row stride ld; work: ck_attention_head_workspace floats.
void ck_attention_head_backward(int level, const float *q, const float *k, const float *v, long ld, long n, long dh,
                                float scale, const float *p, const float *dout, long ldo, float *dq, float *dk,
                                float *dv, float *work);

/// A hint to the CPU that the caller is spinning on a memory location (x86 `pause`): the
/// spinning thread yields execution resources to a sibling hardware thread and leaves the
/// loop without a memory-order mis-speculation when the location changes.
static inline void ck_spin_hint(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#ifdef __cplusplus
}
#endif
