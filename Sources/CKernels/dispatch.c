// Picks the kernels' instruction-set level once, from the CPU's features.
#include "vector_kernels.h"

#define CK_DECLARE(level)                                                                          \
    void ck_##level##_exp(const float *, float *, long);                                          \
    void ck_##level##_gelu_forward(const float *, float *, long);                                 \
    void ck_##level##_gelu_backward(const float *, const float *, const float *, float *, long, int); \
    void ck_##level##_softmax_rows(float *, long, long);

CK_DECLARE(baseline)
#if defined(__x86_64__)
CK_DECLARE(avx2)
CK_DECLARE(avx512)
#endif

typedef struct {
    void (*exp)(const float *, float *, long);
    void (*gelu_forward)(const float *, float *, long);
    void (*gelu_backward)(const float *, const float *, const float *, float *, long, int);
    void (*softmax_rows)(float *, long, long);
} ck_table;

#define CK_TABLE(level) \
    { ck_##level##_exp, ck_##level##_gelu_forward, ck_##level##_gelu_backward, ck_##level##_softmax_rows }

static const ck_table tables[] = {
    CK_TABLE(baseline),
#if defined(__x86_64__)
    CK_TABLE(avx2),
    CK_TABLE(avx512),
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

// -1 until the first call; every thread computes the same values, so a race is harmless.
static int selected = -1;

int ck_select_level(int level) {
    int supported = ck_supported_level();
    if (level > supported) level = supported;
    if (level < 0) level = 0;
    __atomic_store_n(&selected, level, __ATOMIC_RELAXED);
    return level;
}

int ck_selected_level(void) {
    int level = __atomic_load_n(&selected, __ATOMIC_RELAXED);
    return level >= 0 ? level : ck_select_level(CK_LEVEL_AVX512);
}

static int supported = -1;

static inline const ck_table *table(int level) {
    int highest = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (highest < 0) {
        highest = ck_supported_level();
        __atomic_store_n(&supported, highest, __ATOMIC_RELAXED);
    }
    return &tables[level < 0 ? 0 : level > highest ? highest : level];
}

void ck_exp(int level, const float *x, float *y, long n) { table(level)->exp(x, y, n); }
void ck_gelu_forward(int level, const float *x, float *y, long n) { table(level)->gelu_forward(x, y, n); }
void ck_gelu_backward(int level, const float *dy, const float *x, const float *y, float *dx, long n, int accumulate) {
    table(level)->gelu_backward(dy, x, y, dx, n, accumulate);
}
void ck_softmax_rows(int level, float *p, long rows, long columns) { table(level)->softmax_rows(p, rows, columns); }
