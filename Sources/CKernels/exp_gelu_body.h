// ck_select, ck_vexp and ck_gelu over the vector type CK_V (CK_VI: its lanes as ints), written
// once: kernels_body.h includes this file for one vector (vf) and for a group of vectors side by
// side (vg), each function overloaded on the type. Every lane gets the same operations in the
// same order either way, so the same bits.

/// Lanes of `a` where `mask` is set (-1), of `b` elsewhere.
static inline __attribute__((overloadable)) CK_V ck_select(CK_VI mask, CK_V a, CK_V b) {
    return (CK_V)((mask & (CK_VI)a) | (~mask & (CK_VI)b));
}

/// 2·2^(j/8) for each lane's j mod 8 (ck_exp2_eighths, one vector of the group at a time).
static inline __attribute__((overloadable)) CK_V ck_exp2_eighths_of(CK_VI j) {
    CK_V out;
    for (unsigned c = 0; c < sizeof(CK_V) / sizeof(vf); c++) {
        vi part;
        memcpy(&part, (const char *)&j + c * sizeof(vi), sizeof part);
        vf t = ck_exp2_eighths(part);
        memcpy((char *)&out + c * sizeof(vf), &t, sizeof t);
    }
    return out;
}

/// e^x: x = (8n + j)·ln2/8 + f with |f| ≤ ln2/16, e^f by a degree-4 polynomial, 2^(j/8) from an
/// 8-entry table in one register (one permute), 2^n from exponent bits. The table's entries are
/// doubled and the scale is 2^(n−1), so every factor is a normal float up to n = 128 (2^128 is not
/// one); doubling is exact. Against the earlier e^r on |r| ≤ ln2/2 by a degree-7 polynomial, two
/// multiply-adds fewer, a chain of 4 rather than 7 in the polynomial, for a relative error of
/// 1.4e-7 rather than 0.8-1.0e-7 (≤ 3e-7 either way): on a Zen 4, GELU from 0.51 to 0.44 ns a float at
/// AVX2 (0.38 to 0.32 at AVX-512, both with the argument as ck_gelu now forms it) and a 196-wide
/// softmax from 0.54 to 0.48 (0.37 to 0.34). Below -80 the result is exactly 0 (e^-80 ≈ 1.8e-35),
/// never a subnormal number, on which the CPU's arithmetic (sgemm's included) runs tens of times
/// slower.
/// e^NaN is NaN: the arguments are clamped by compare-and-select, not min/max (which would turn
/// NaN into a bound), so that a NaN anywhere still reaches the loss and stops training.
///
/// This is ck_vexp for arguments known to be ≤ 88.7 (or NaN), as the softmax's x − max ≤ 0:
/// ck_vexp's upper clamp would leave them as they are, so they get the same bits two operations
/// sooner.
static inline __attribute__((overloadable)) CK_V ck_vexp_at_most_88(CK_V x) {
    const float eighths_per_ln = 11.5415602f;                                   // 8·log2(e)
    const float ln2_8_hi = 0.086639404296875f, ln2_8_lo = 3.99327291e-6f;  // ln2/8: 12 bits (m·hi exact) + the rest
    const float magic = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer in the low mantissa bits
    CK_VI underflow = x < -80.0f;
    x = ck_select(underflow, (CK_V)-80.0f, x);
    CK_V t = x * eighths_per_ln + magic;
    CK_V m = t - magic;                                // 8n + j, -923 to 1,024
    CK_V f = x - m * ln2_8_hi - m * ln2_8_lo;
    CK_V p = (CK_V)(1.0f / 24);                        // e^f: 1/24, 1/6, 1/2, 1, 1
    p = p * f + 1.0f / 6;
    p = p * f + 0.5f;
    p = p * f + 1.0f;
    p = p * f + 1.0f;
    CK_VI eighths = (CK_VI)t - (CK_VI)(CK_V)magic;
    CK_V scale = (CK_V)(((eighths >> 3) + 126) << 23);  // 2^(n−1)
    return ck_select(underflow, (CK_V)0.0f, p * ck_exp2_eighths_of(eighths) * scale);
}

/// e^x for any x (above 88.7 as at 88.7, a finite maximum).
static inline __attribute__((overloadable)) CK_V ck_vexp(CK_V x) { return ck_vexp_at_most_88(ck_select(x > 88.7f, (CK_V)88.7f, x)); }

/// GELU (tanh approximation) as x·σ(2u), u = √(2/π)(x + 0.044715 x³).
static inline __attribute__((overloadable)) CK_V ck_gelu(CK_V x) {
    // -2u = x·(-2√(2/π) − 2√(2/π)·0.044715·x²): a multiply fewer than -2√(2/π)·(x + 0.044715·x³).
    CK_V e = ck_vexp(x * ((-2.0f * gelu_scale * gelu_cubic) * (x * x) + -2.0f * gelu_scale));
    // Below x ≈ -9, σ(2u) < 1e-30: the output is 0 (not a tiny number whose products in the
    // next GEMM would be subnormal), and so is the gradient read off it.
    return ck_select(e > 1e30f, (CK_V)0.0f, x / (1.0f + e));
}
