// ck_select, ck_vexp and ck_gelu over the vector type CK_V (CK_VI: its lanes as ints), written
// once: kernels_body.h includes this file for one vector (vf) and for a group of vectors side by
// side (vg), each function overloaded on the type. Every lane gets the same operations in the
// same order either way, so the same bits.

/// Lanes of `a` where `mask` is set (-1), of `b` elsewhere.
static inline __attribute__((overloadable)) CK_V ck_select(CK_VI mask, CK_V a, CK_V b) {
    return (CK_V)((mask & (CK_VI)a) | (~mask & (CK_VI)b));
}

/// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, 2^n from exponent bits.
/// The polynomial's coefficients are doubled, so it sums 2·e^r exactly doubled (doubling is exact
/// in float), then scaled by 2^(n−1), a normal float for every n here (−115 to 128; 2^128 is not
/// one): the same bits as e^r·2^h·2^(n−h) with two normal factors, in 4 fewer vector operations
/// (the exp 28% faster on a Zen 3). Below -80 the result is exactly 0 (e^-80 ≈ 1.8e-35), never a
/// subnormal number, on which the CPU's arithmetic (sgemm's included) runs tens of times slower.
/// e^NaN is NaN: the arguments are clamped by compare-and-select, not min/max (which would turn
/// NaN into a bound), so that a NaN anywhere still reaches the loss and stops training.
///
/// This is ck_vexp for arguments known to be ≤ 88.7 (or NaN), as the softmax's x − max ≤ 0:
/// ck_vexp's upper clamp would leave them as they are, so they get the same bits two operations
/// sooner (a 196-wide softmax row on a Zen 4: 348 → 302 cycles at AVX2, 279 → 261 at AVX-512).
static inline __attribute__((overloadable)) CK_V ck_vexp_at_most_88(CK_V x) {
    const float log2e = 1.44269504f, ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187e-6f;
    const float magic = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer in the low mantissa bits
    CK_VI underflow = x < -80.0f;
    x = ck_select(underflow, (CK_V)-80.0f, x);
    CK_V t = x * log2e + magic;
    CK_V n = t - magic;
    CK_V r = x - n * ln2_hi - n * ln2_lo;
    CK_V p = (CK_V)(2.0f / 5040);   // 2·(1/5040, 1/720, 1/120, 1/24, 1/6, 1/2, 1, 1)
    p = p * r + 2.0f / 720;
    p = p * r + 2.0f / 120;
    p = p * r + 2.0f / 24;
    p = p * r + 2.0f / 6;
    p = p * r + 1.0f;
    p = p * r + 2.0f;
    p = p * r + 2.0f;
    CK_V scale = (CK_V)(((CK_VI)t - (CK_VI)(CK_V)magic + 126) << 23);   // 2^(n−1)
    return ck_select(underflow, (CK_V)0.0f, p * scale);
}

/// e^x for any x (above 88.7 as at 88.7, a finite maximum).
static inline __attribute__((overloadable)) CK_V ck_vexp(CK_V x) { return ck_vexp_at_most_88(ck_select(x > 88.7f, (CK_V)88.7f, x)); }

/// GELU (tanh approximation) as x·σ(2u), u = √(2/π)(x + 0.044715 x³).
static inline __attribute__((overloadable)) CK_V ck_gelu(CK_V x) {
    CK_V e = ck_vexp(-2.0f * gelu_scale * (x + gelu_cubic * x * x * x));
    // Below x ≈ -9, σ(2u) < 1e-30: the output is 0 (not a tiny number whose products in the
    // next GEMM would be subnormal), and so is the gradient read off it.
    return ck_select(e > 1e30f, (CK_V)0.0f, x / (1.0f + e));
}
