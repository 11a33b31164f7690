// The AVX2 register tile of the GEMM driver in assembly: 4 rows × 24 columns (3 vectors) of C
// in 12 of the 16 YMM registers, the 3 vectors of B's row in 3 more and each broadcast of A in
// the last. Written in C (GEMM_ACCUMULATE), the compiler keeps two broadcasts in flight, runs
// out of registers and spills an accumulator to the stack inside the loop: the tile then ran at
// half speed in the driver. The 6 × 16 tile the compiler does keep in registers reaches 96-97%
// of a Zen 4 core's FMA loop with 768 products; this one 100% (99.8-100.6%, 98% with 64),
// with 7 loads per 12 multiply-adds against 8. The products are the same multiply-adds in the
// same order as GEMM_ACCUMULATE's (one FMA per product, kk ascending), so the same bits:
// ck_gemm_tile_twins holds the two together.
//
// Included by kernels_avx2.c after kernels_body.h (vf: 8 floats).

#define CK_GEMM_TILE_ASM 1

/// acc[i][v] = Σ_kk a[i·rs + kk·ks] · b[kk·24 + 8v .. 8v + 8) for i < 4, v < 3, kk < kc.
static inline __attribute__((always_inline)) void gemm_tile_asm(long kc, const float *a, long rs, long ks,
                                                                const float *b, vf acc[4][3]) {
    vf c00 = 0, c01 = 0, c02 = 0, c10 = 0, c11 = 0, c12 = 0, c20 = 0, c21 = 0, c22 = 0, c30 = 0, c31 = 0, c32 = 0;
    const float *a2 = a + 2 * rs;   // rows 2 and 3 at a2 and a2 + rs: rows 0 and 1 at a and a + rs
    long row_bytes = rs * (long)sizeof(float), step_bytes = ks * (long)sizeof(float);
    if (kc > 0)
        __asm__ volatile(
            "1:\n\t"
            "vmovups (%[b]), %%ymm12\n\t"
            "vmovups 32(%[b]), %%ymm13\n\t"
            "vmovups 64(%[b]), %%ymm14\n\t"
            "vbroadcastss (%[a]), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[c00]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[c01]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[c02]\n\t"
            "vbroadcastss (%[a], %[rs]), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[c10]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[c11]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[c12]\n\t"
            "vbroadcastss (%[a2]), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[c20]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[c21]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[c22]\n\t"
            "vbroadcastss (%[a2], %[rs]), %%ymm15\n\t"
            "vfmadd231ps %%ymm12, %%ymm15, %[c30]\n\t"
            "vfmadd231ps %%ymm13, %%ymm15, %[c31]\n\t"
            "vfmadd231ps %%ymm14, %%ymm15, %[c32]\n\t"
            "add %[ks], %[a]\n\t"
            "add %[ks], %[a2]\n\t"
            "add $96, %[b]\n\t"
            "dec %[kc]\n\t"
            "jnz 1b\n\t"
            : [c00] "+x"(c00), [c01] "+x"(c01), [c02] "+x"(c02), [c10] "+x"(c10), [c11] "+x"(c11), [c12] "+x"(c12),
              [c20] "+x"(c20), [c21] "+x"(c21), [c22] "+x"(c22), [c30] "+x"(c30), [c31] "+x"(c31), [c32] "+x"(c32),
              [a] "+r"(a), [a2] "+r"(a2), [b] "+r"(b), [kc] "+r"(kc)
            : [rs] "r"(row_bytes), [ks] "r"(step_bytes)
            : "ymm12", "ymm13", "ymm14", "ymm15", "memory", "cc");
    acc[0][0] = c00, acc[0][1] = c01, acc[0][2] = c02;
    acc[1][0] = c10, acc[1][1] = c11, acc[1][2] = c12;
    acc[2][0] = c20, acc[2][1] = c21, acc[2][2] = c22;
    acc[3][0] = c30, acc[3][1] = c31, acc[3][2] = c32;
}
