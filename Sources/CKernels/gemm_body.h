// The GEMM driver of vector_kernels.h (ck_gemm_*), written once. Included by each
// kernels_<level>.c after kernels_body.h (which gives vf, ck_load, ck_store, CK_LANES, CK_NAME),
// with the level's register tile: CK_GEMM_MR rows × CK_GEMM_NV vectors of C.
//
// C[m, n] is computed in tiles of MR rows × NR = NV·CK_LANES columns: the tile lives in
// registers for a whole block of KC products, each step adding one column of op(A)'s rows
// (MR scalars, broadcast) times one row of packed B (NV vectors). B is packed once per call
// (or not at all: a constant B the caller keeps packed, b_packed), in panels of NR columns;
// C's rows are taken MC at a time (per block of K) and swept across the block's columns,
// op(A)'s rows read where they lie, a transposed A (and a partial last tile) packed into the
// thread's own buffer first. Threads claim blocks of C from
// one counter: blocks of rows when C is taller than wide or has rows enough for every thread
// (the threads first pack B's panels between them and share them; the blocks shrink toward the
// end, gemm_claim_rows), else blocks of columns (each thread packs the panels of its own blocks).
//
// The epilogue writes C once: alpha·AB + beta·C + bias + addend in the first block of K (C is not read
// when beta is 0, so NaN in C is ignored as BLAS does), C + alpha·AB in the others; after the
// last block, optionally C multiplied by GELU's slope at a forward input (gelu_backward) or
// GELU(C) into a second matrix (gelu_forward), over each block of rows once its last block of K is
// done: the MLP's activation and its gradient fused into the products next to them.

#define GEMM_MR CK_GEMM_MR
#define GEMM_NV CK_GEMM_NV
#define GEMM_NR (CK_GEMM_NV * CK_LANES)

/// Products per block of K (CK_GEMM_KC, by level; 256 unless set): one block of packed B
/// (KC × NC floats) stays in the L2 cache, one row panel of A (MR × KC) in L1.
#ifndef CK_GEMM_KC
#define CK_GEMM_KC 256L
#endif
#define GEMM_KC CK_GEMM_KC
/// Columns per block of N: KC × NC floats of packed B, the block every row tile sweeps, sized
/// by the level to its CPUs' L2 (CK_GEMM_NC_TARGET columns).
#define GEMM_NC ((CK_GEMM_NC_TARGET / GEMM_NR) * GEMM_NR)

static inline long gemm_min(long a, long b) { return a < b ? a : b; }

static inline long gemm_panels(long n) { return (n + GEMM_NR - 1) / GEMM_NR; }

/// Rows of C taken at a time (CK_GEMM_MC, by level; 96 unless set): their MC × KC floats of A
/// stay in the L2 cache beside the block of B while every block of NC columns of C is swept.
#ifndef CK_GEMM_MC
#define CK_GEMM_MC 96L
#endif
#define GEMM_MC ((CK_GEMM_MC / GEMM_MR) * GEMM_MR)

/// Floats between two threads' packed blocks of A: MC rows × KC, the CK_LANES − MR spare lanes
/// the last column's store writes past them (gemm_pack_a), rounded up to whole cache lines.
static inline long gemm_packed_a_stride(void) { return (GEMM_MC * GEMM_KC + CK_LANES + 15) / 16 * 16; }

void CK_NAME(gemm_layout)(long k, long n, long *packed_floats, long *panel_flags, long *packed_a_floats,
                          long *tile_rows) {
    long kblocks = (k + GEMM_KC - 1) / GEMM_KC;
    *packed_floats = k * gemm_panels(n) * GEMM_NR;
    *panel_flags = kblocks * gemm_panels(n);
    *packed_a_floats = gemm_packed_a_stride();
    *tile_rows = GEMM_MR;
}

/// x[r][c] ← x[c][r] for CK_LANES vectors: log2(lanes) rounds of pairing row i with row
/// i + lanes/2 lane by lane (zip); each round rotates the bits of (row, column) by one, so after
/// them rows have become columns.
#if CK_LANES == 16
#define GEMM_ZIP_LOW 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define GEMM_ZIP_HIGH 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#elif CK_LANES == 8
#define GEMM_ZIP_LOW 0, 8, 1, 9, 2, 10, 3, 11
#define GEMM_ZIP_HIGH 4, 12, 5, 13, 6, 14, 7, 15
#endif
static inline void gemm_transpose_registers(vf x[CK_LANES]) {
    enum { half = CK_LANES / 2 };
    vf y[CK_LANES];
    for (int width = 1; width < CK_LANES; width *= 2) {
        for (int i = 0; i < half; i++) {
            y[2 * i] = __builtin_shufflevector(x[i], x[i + half], GEMM_ZIP_LOW);
            y[2 * i + 1] = __builtin_shufflevector(x[i], x[i + half], GEMM_ZIP_HIGH);
        }
        for (int i = 0; i < CK_LANES; i++) x[i] = y[i];
    }
}

/// dst[r][c] = src[c][r] for a CK_LANES × CK_LANES block (row strides ld_src, ld_dst).
static inline void gemm_transpose_block(const float *src, long ld_src, float *dst, long ld_dst) {
    vf x[CK_LANES];
    for (int i = 0; i < CK_LANES; i++) x[i] = ck_load(src + i * ld_src);
    gemm_transpose_registers(x);
    for (int i = 0; i < CK_LANES; i++) ck_store(dst + i * ld_dst, x[i]);
}

/// op(B)[k0 + kk, j0 + j] for kk < kc, j < NR (zeros past column n) into dst[kk][NR].
static void gemm_pack_b(const ck_gemm *g, long k0, long kc, long j0, float *restrict dst) {
    long cols = gemm_min(GEMM_NR, g->n - j0);
    if (!g->trans_b && cols == GEMM_NR) {
        for (long kk = 0; kk < kc; kk++) memcpy(dst + kk * GEMM_NR, g->b + (k0 + kk) * g->ldb + j0, sizeof(float) * GEMM_NR);
        return;
    }
    if (cols < GEMM_NR) memset(dst, 0, sizeof(float) * (size_t)(kc * GEMM_NR));
    if (g->trans_b) {
        // Whole lanes × lanes blocks transposed in registers (a head's 16 keys in a panel of 24
        // at AVX2: 0.4 → 0.1 µs for Kᵀ and V), the rest one float at a time.
        long kdone = 0, whole = cols / CK_LANES * CK_LANES;
        if (whole > 0) {
            for (; kdone + CK_LANES <= kc; kdone += CK_LANES)
                for (long jb = 0; jb < whole; jb += CK_LANES)
                    gemm_transpose_block(g->b + (j0 + jb) * g->ldb + k0 + kdone, g->ldb, dst + kdone * GEMM_NR + jb, GEMM_NR);
        }
        for (long j = 0; j < cols; j++) {
            const float *src = g->b + (j0 + j) * g->ldb + k0;
            for (long kk = j < whole ? kdone : 0; kk < kc; kk++) dst[kk * GEMM_NR + j] = src[kk];
        }
    } else {
        for (long kk = 0; kk < kc; kk++) memcpy(dst + kk * GEMM_NR, g->b + (k0 + kk) * g->ldb + j0, sizeof(float) * (size_t)cols);
    }
}

/// Where the panel of columns [j0, j0 + NR) of the block of K at k0 is packed.
static float *gemm_panel_at(const ck_gemm *g, long k0, long j0) {
    long kc = gemm_min(GEMM_KC, g->k - k0);
    return g->packed_b + k0 * gemm_panels(g->n) * GEMM_NR + (j0 / GEMM_NR) * kc * GEMM_NR;
}

/// Packs panels (block of K, block of NR columns) that no thread has claimed yet, until none
/// is left: every thread that starts on the call packs its share before computing, so the
/// packing is split between them. panel_flags: 0 unclaimed, 1 being packed, 2 ready.
static void gemm_pack_unclaimed(const ck_gemm *g) {
    long panels = gemm_panels(g->n), total = ((g->k + GEMM_KC - 1) / GEMM_KC) * panels;
    for (;;) {
        long p = __atomic_fetch_add(g->next_panel, 1, __ATOMIC_RELAXED);
        if (p >= total) return;
        long k0 = (p / panels) * GEMM_KC, j0 = (p % panels) * GEMM_NR;
        __atomic_store_n(g->panel_flags + p, 1, __ATOMIC_RELAXED);
        gemm_pack_b(g, k0, gemm_min(GEMM_KC, g->k - k0), j0, gemm_panel_at(g, k0, j0));
        __atomic_store_n(g->panel_flags + p, 2, __ATOMIC_RELEASE);
    }
}

/// The packed panel, once ready (all panels are claimed before any thread computes, so a
/// panel not yet ready is being packed by a running thread: the wait is short).
static const float *gemm_panel(const ck_gemm *g, long k0, long j0) {
    if (g->b_packed) return gemm_panel_at(g, k0, j0);
    int *flag = g->panel_flags + (k0 / GEMM_KC) * gemm_panels(g->n) + j0 / GEMM_NR;
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != 2) ck_spin_hint();
    return gemm_panel_at(g, k0, j0);
}

/// acc = Σ_kk a[i·rs + kk·ks] · b[kk][:] for a full MR × NR tile. The sums are kept in a
/// local array that never escapes (so in registers) and copied out once at the end.
#define GEMM_ACCUMULATE(rs, ks) GEMM_ACCUMULATE_NV(rs, ks, GEMM_NV)

/// As GEMM_ACCUMULATE for the first nv (a constant) vectors of the panel's NR columns only.
#define GEMM_ACCUMULATE_NV(rs, ks, nv)                                                   \
    vf sums[GEMM_MR][nv];                                                                \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < GEMM_MR; i++)                \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < (nv); v++) sums[i][v] = 0; \
    for (long kk = 0; kk < kc; kk++) {                                                   \
        vf bv[nv];                                                                       \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < (nv); v++)                \
            bv[v] = ck_load(b + v * CK_LANES);                                           \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < GEMM_MR; i++) {          \
            vf ai = a[i * (rs)];                                                         \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < (nv); v++)            \
                sums[i][v] += ai * bv[v];                                                \
        }                                                                                \
        a += (ks);                                                                       \
        b += GEMM_NR;                                                                    \
    }                                                                                    \
    _Pragma("clang loop unroll(full)") for (int i = 0; i < GEMM_MR; i++)                \
        _Pragma("clang loop unroll(full)") for (int v = 0; v < (nv); v++) acc[i][v] = sums[i][v];

/// The tile's MR × NR products, A's rows contiguous (element (i, kk) at a[i·rs + kk]).
static inline __attribute__((always_inline)) void gemm_tile_rows(long kc, const float *restrict a, long rs,
                                                                  const float *restrict b, vf acc[GEMM_MR][GEMM_NV]) {
#ifdef CK_GEMM_TILE_ASM
    gemm_tile_asm(kc, a, rs, 1, b, acc);
#else
    GEMM_ACCUMULATE(rs, 1)
#endif
}

/// The tile's MR × NR products, A's columns contiguous (element (i, kk) at a[i + kk·ks]).
static inline __attribute__((always_inline)) void gemm_tile_columns(long kc, const float *restrict a, long ks,
                                                                     const float *restrict b, vf acc[GEMM_MR][GEMM_NV]) {
#ifdef CK_GEMM_TILE_ASM
    gemm_tile_asm(kc, a, 1, ks, b, acc);
#else
    GEMM_ACCUMULATE(1, ks)
#endif
}

/// The C loop of the register tile (GEMM_ACCUMULATE) on a full tile, element (i, kk) of A at
/// a[i·rs + kk·ks]: the twin of a level's assembly tile (CK_GEMM_TILE_ASM).
static void gemm_tile_plain(long kc, const float *restrict a, long rs, long ks, const float *restrict b,
                            vf acc[GEMM_MR][GEMM_NV]) {
    GEMM_ACCUMULATE(rs, ks)
}

/// The level's register tile as the driver runs it (fast) and its C loop (plain) on the same
/// MR × kc of A (element (i, kk) at a[i·ld + kk], or at a[i + kk·ld] with `columns`) and kc × NR
/// of packed B, each into [MR][NR] floats (at most 8 × 48); *rows, *cols: MR and NR.
void CK_NAME(gemm_tile_twins)(long kc, const float *a, long ld, int columns, const float *b, float *fast, float *plain,
                              long *rows, long *cols) {
    vf x[GEMM_MR][GEMM_NV], y[GEMM_MR][GEMM_NV];
    if (columns) gemm_tile_columns(kc, a, ld, b, x);
    else gemm_tile_rows(kc, a, ld, b, x);
    gemm_tile_plain(kc, a, columns ? 1 : ld, columns ? ld : 1, b, y);
    for (int i = 0; i < GEMM_MR; i++)
        for (int v = 0; v < GEMM_NV; v++) {
            ck_store(fast + i * GEMM_NR + v * CK_LANES, x[i][v]);
            ck_store(plain + i * GEMM_NR + v * CK_LANES, y[i][v]);
        }
    *rows = GEMM_MR;
    *cols = GEMM_NR;
}

/// One value of C (row i, column j) from its product: the epilogue of the file comment.
static inline float gemm_finish(const ck_gemm *g, float product, float old, long i, long j, int first) {
    if (!first) return old + g->alpha * product;
    float x = g->alpha * product;
    if (g->beta != 0) x += g->beta * old;
    if (g->bias) x += g->bias[j];
    if (g->addend) x += g->addend[i * g->ld_addend + j];
    return x;
}

/// On C's finished rows [r0, r1), columns [c0, c1): C · gelu'(x) in place, as gelu_backward does
/// it, or GELU(C) into gelu_out, as gelu_forward does (the same bits). Once per block of MC rows,
/// while they are still in L2, rather than on each tile as it is stored: in the tile's epilogue,
/// GELU's ~30 dependent operations a vector (the exp, a division) ran beside nothing and crowded
/// the registers, and a B/16 fc1 product
/// (1,568 × 3,072 × 768, B kept packed, 2 Zen 4 threads) took 35.4 ms at AVX2 and 34.2 at
/// AVX-512 against 35.1 and 33.7 this way (means of 12 alternating bests; in a busier minute
/// 36.4 and 34.4 against 35.7 and 34.0); without GELU, 33.6 and 32.7. The slope the same way:
/// S/16's input gradient through GELU (6,272 × 1,536 × 384, 12 a step, AVX2) from 442 to 434 ms
/// a step, and without the slope's branch in the tile's store its forward product from 453 to 443.
static void gemm_finish_gelu(const ck_gemm *g, long r0, long r1, long c0, long c1) {
    for (long i = r0; i < r1; i++) {
        float *row = g->c + i * g->ldc + c0;
        if (g->gelu_x) {
            long at = i * g->ld_gelu_in + c0;
            CK_NAME(gelu_backward)(row, g->gelu_x + at, g->gelu_y + at, row, c1 - c0, 0);
        }
        if (g->gelu_out) CK_NAME(gelu_forward)(row, g->gelu_out + i * g->ld_gelu + c0, c1 - c0);
    }
}

/// Asks for the lines the tile's store will touch besides its products, so that they arrive
/// while the products run: C's (written, and read after the first block of K or with beta) and
/// the residual's (each row at its own stride, too many streams for the hardware's prefetchers).
static inline void gemm_prefetch_epilogue(const ck_gemm *g, long i0, long rows, long j0, long cols, int first) {
    for (long i = i0; i < i0 + rows; i++)
        for (long j = j0; j < j0 + cols; j += 16) {   // one 64-byte line per 16 floats
            __builtin_prefetch(g->c + i * g->ldc + j, 1);
            if (first && g->addend) __builtin_prefetch(g->addend + i * g->ld_addend + j);
        }
}

/// Writes the tile at rows [i0, i0 + rows), columns [j0, j0 + cols) of C.
static void gemm_store(const ck_gemm *g, vf acc[GEMM_MR][GEMM_NV], long i0, long rows, long j0, long cols, int first) {
    float *c = g->c + i0 * g->ldc + j0;
    if (rows == GEMM_MR && cols == GEMM_NR) {
        vf alpha = g->alpha, beta = g->beta;
        for (int i = 0; i < GEMM_MR; i++)
            for (int v = 0; v < GEMM_NV; v++) {
                float *p = c + i * g->ldc + v * CK_LANES;
                vf x = acc[i][v];
                if (!first) {
                    x = ck_load(p) + alpha * x;
                } else {
                    x = alpha * x;
                    if (g->beta != 0) x += beta * ck_load(p);
                    if (g->bias) x += ck_load(g->bias + j0 + v * CK_LANES);
                    if (g->addend) x += ck_load(g->addend + (i0 + i) * g->ld_addend + j0 + v * CK_LANES);
                }
                ck_store(p, x);
            }
        return;
    }
    float tile[GEMM_MR][GEMM_NR];
    for (int i = 0; i < GEMM_MR; i++)
        for (int v = 0; v < GEMM_NV; v++) ck_store(&tile[i][v * CK_LANES], acc[i][v]);
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) c[i * g->ldc + j] = gemm_finish(g, tile[i][j], c[i * g->ldc + j], i0 + i, j0 + j, first);
}

/// The tiles of op(A)'s rows [ic, iend) × columns [k0, k0 + kc) that the kernel cannot read in
/// place, into pa as [kc][MR] each (rows past iend zero), the tile at row i0 at pa + (i0 − ic)·kc:
/// every tile of a transposed A (in place its column kk would be MR floats of stored row kk, one
/// cache line per product; packed, the 0.67 of OpenBLAS's speed on the weight-gradient shapes
/// became 0.91-0.93 on one Zen 3 core) and a partial last tile. A whole tile of an A that is not
/// transposed is read where it lies: its rows are contiguous, and packing them cost 5% on K = 192.
/// Each column of a tile is written with one full-vector store at kk·MR, in order, so that the
/// next column (or the next tile's first) overwrites its CK_LANES − MR spare lanes; only the last
/// store's spare lanes land past the block (gemm_packed_a_stride counts them).
static void gemm_pack_a(const ck_gemm *g, long ic, long iend, long k0, long kc, float *restrict pa) {
    if (g->trans_a) {   // a column of a tile is MR consecutive floats of a stored row
        for (long i0 = ic; i0 < iend; i0 += GEMM_MR) {
            long rows = gemm_min(GEMM_MR, iend - i0);
            const float *src = g->a + k0 * g->lda + i0;
            float *dst = pa + (i0 - ic) * kc;
            if (rows == GEMM_MR && i0 + CK_LANES <= g->m)   // the spare lanes' loads stay inside A
                for (long kk = 0; kk < kc; kk++) ck_store(dst + kk * GEMM_MR, ck_load(src + kk * g->lda));
            else
                for (long kk = 0; kk < kc; kk++) ck_store(dst + kk * GEMM_MR, ck_load_partial(src + kk * g->lda, rows, 0));
        }
        return;
    }
    // Not transposed: only a partial last tile, in blocks of lanes × lanes transposed in registers.
    long i0 = ic + (iend - ic - 1) / GEMM_MR * GEMM_MR, rows = iend - i0;
    if (rows == GEMM_MR) return;
    const float *src = g->a + i0 * g->lda + k0;
    float *dst = pa + (i0 - ic) * kc;
    long kk = 0;
    for (; kk + CK_LANES <= kc; kk += CK_LANES) {
        vf x[CK_LANES];
        for (int i = 0; i < CK_LANES; i++) x[i] = i < rows ? ck_load(src + i * g->lda + kk) : (vf)0;
        gemm_transpose_registers(x);
        for (int j = 0; j < CK_LANES; j++) ck_store(dst + (kk + j) * GEMM_MR, x[j]);
    }
    for (; kk < kc; kk++)
        for (long i = 0; i < GEMM_MR; i++) dst[kk * GEMM_MR + i] = i < rows ? src[i * g->lda + kk] : 0;
}

/// The block of C at rows [r0, r1), columns [c0, c1) (c0 a multiple of NR), block of K after
/// block of K: its rows MC at a time (those gemm_pack_a packs, into this thread's pa), each
/// swept against every block of NC columns of packed B. With `own_panels` this thread packs the
/// block's panels of B itself (no other thread uses them; none with b_packed); otherwise they
/// are the shared panels packed by gemm_pack_unclaimed.
static void gemm_block(const ck_gemm *g, long r0, long r1, long c0, long c1, int own_panels, float *pa) {
    if (g->k == 0) {   // no products: C = beta·C + bias + addend, then the GELU slope or GELU
        for (long i = r0; i < r1; i++)
            for (long j = c0; j < c1; j++) g->c[i * g->ldc + j] = gemm_finish(g, 0, g->c[i * g->ldc + j], i, j, 1);
        gemm_finish_gelu(g, r0, r1, c0, c1);
        return;
    }
    for (long k0 = 0; k0 < g->k; k0 += GEMM_KC) {
        long kc = gemm_min(GEMM_KC, g->k - k0);
        int first = k0 == 0, last = k0 + kc >= g->k;
        if (own_panels && !g->b_packed)
            for (long j0 = c0; j0 < c1; j0 += GEMM_NR) gemm_pack_b(g, k0, kc, j0, gemm_panel_at(g, k0, j0));
        for (long ic = r0; ic < r1; ic += GEMM_MC) {
            long iend = gemm_min(r1, ic + GEMM_MC);
            gemm_pack_a(g, ic, iend, k0, kc, pa);
            for (long jc = c0; jc < c1; jc += GEMM_NC) {
                long jend = gemm_min(c1, jc + GEMM_NC);
                for (long i0 = ic; i0 < iend; i0 += GEMM_MR) {
                    long rows = gemm_min(GEMM_MR, iend - i0);
                    for (long j0 = jc; j0 < jend; j0 += GEMM_NR) {
                        const float *b = own_panels ? gemm_panel_at(g, k0, j0) : gemm_panel(g, k0, j0);
                        gemm_prefetch_epilogue(g, i0, rows, j0, gemm_min(GEMM_NR, g->n - j0), first);
                        vf acc[GEMM_MR][GEMM_NV];
                        if (g->trans_a || rows < GEMM_MR) gemm_tile_columns(kc, pa + (i0 - ic) * kc, GEMM_MR, b, acc);
                        else gemm_tile_rows(kc, g->a + i0 * g->lda + k0, g->lda, b, acc);
                        gemm_store(g, acc, i0, rows, j0, gemm_min(GEMM_NR, g->n - j0), first);
                    }
                }
            }
            if (last) gemm_finish_gelu(g, ic, iend, c0, c1);
        }
    }
}

/// Claimed blocks of columns per thread, on average: enough to even out a late thread, few
/// enough that A, which every block of columns reads in full, is not streamed too often.
#define GEMM_BLOCKS_PER_THREAD 4

/// Tiles of rows per thread and block of columns there would be, from which C is taken in
/// blocks of rows even when it is wider than tall: blocks of columns stream all of A once per
/// block (and per block of K), and the ViT-B/16 inference step's 1,568 × 3,072 × 768 (fc1) and
/// 1,568 × 2,304 × 768 (qkv) products took 42.2 and 31.0 ms that way against 38.1 and 27.2 ms in
/// blocks of rows (196 tiles of 8 rows) with B packed once and shared (a Zen 4 at AVX-512).
#define GEMM_ROW_BLOCK_TILES 16

/// Columns per claimed block: a panel's columns times the panels per block, out of `panels`.
static long gemm_column_chunk(long panels, long threads) {
    long per_block = panels / (threads * GEMM_BLOCKS_PER_THREAD);
    return GEMM_NR * (per_block > 1 ? per_block : 1);
}

/// Claims the next block of rows of C, [*r0, *r1), or returns 0 when none is left: a
/// 1/(2·threads) share of the tiles still unclaimed, at least one, so that blocks shrink toward
/// the end and the threads finish within a tile of each other. Fixed blocks of 24 tiles left
/// ViT-B/16's 1,568 rows (196 tiles) as 8 blocks and one of 4 tiles, which one thread took
/// after its 4 others: a 2% wait, and its products went from 217-223 to 220-227 GFLOP/s on 2
/// Zen 4 cores at AVX-512. Any block of rows costs no more streaming of B than its MC-row steps
/// (gemm_block reads the block of B again for each), so the large first claims cost nothing.
static int gemm_claim_rows(const ck_gemm *g, long threads, long *r0, long *r1) {
    long start = __atomic_load_n(g->next_block, __ATOMIC_RELAXED);
    for (;;) {
        if (start >= g->m) return 0;
        long left = (g->m - start + GEMM_MR - 1) / GEMM_MR, take = (left + 2 * threads - 1) / (2 * threads);
        long end = gemm_min(g->m, start + take * GEMM_MR);
        if (__atomic_compare_exchange_n(g->next_block, &start, end, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            *r0 = start;
            *r1 = end;
            return 1;
        }
    }
}

void CK_NAME(gemm_work)(const ck_gemm *g, long threads, long task) {
    if (threads < 1) threads = 1;
    float *pa = g->packed_a + task * gemm_packed_a_stride();
    long panels = gemm_panels(g->n), tiles = (g->m + GEMM_MR - 1) / GEMM_MR;
    if (g->m >= g->n || tiles >= threads * GEMM_BLOCKS_PER_THREAD * GEMM_ROW_BLOCK_TILES) {
        // Blocks of rows, all columns: B is packed once, between the threads, and shared.
        if (!g->b_packed) gemm_pack_unclaimed(g);
        long r0, r1;
        while (gemm_claim_rows(g, threads, &r0, &r1)) gemm_block(g, r0, r1, 0, g->n, 0, pa);
    } else {
        // Blocks of columns, all rows: each thread packs the panels of B of its own blocks.
        long chunk = gemm_column_chunk(panels, threads);
        for (;;) {
            long j0 = __atomic_fetch_add(g->next_block, chunk, __ATOMIC_RELAXED);
            if (j0 >= g->n) return;
            gemm_block(g, 0, g->m, j0, gemm_min(g->n, j0 + chunk), 1, pa);
        }
    }
}

/// The first nv vectors of a tile's products, nv < NV (the last panel of a head whose columns
/// are not a multiple of NR, e.g. 64 = 48 + 16 at AVX-512): one unrolled loop per width. As
/// gemm_tile_rows (A's rows contiguous) and gemm_tile_columns (A's columns contiguous).
_Static_assert(GEMM_NV <= 3, "the narrow tiles cover widths of 1 and 2 vectors");
static void gemm_tile_narrow_rows(long kc, const float *restrict a, long rs, const float *restrict b,
                                  vf acc[GEMM_MR][GEMM_NV], int nv) {
#if GEMM_NV > 2
    if (nv == 2) { GEMM_ACCUMULATE_NV(rs, 1, 2) return; }
#endif
    GEMM_ACCUMULATE_NV(rs, 1, 1)
}
static void gemm_tile_narrow_columns(long kc, const float *restrict a, long ks, const float *restrict b,
                                     vf acc[GEMM_MR][GEMM_NV], int nv) {
#if GEMM_NV > 2
    if (nv == 2) { GEMM_ACCUMULATE_NV(1, ks, 2) return; }
#endif
    GEMM_ACCUMULATE_NV(1, ks, 1)
}

/// acc = op(A) · B for one tile of up to MR rows of op(A) ([rows, k]; op(A)[i, kk] at a[i·lda + kk],
/// or at a[i + kk·lda] when `trans`: a transposed A's columns) and one packed panel b ([k][NR]), in
/// blocks of KC; of the panel only its first nv vectors (nv < NV: the last panel of a head
/// whose columns are not a multiple of NR, e.g. 64 = 48 + 16 at AVX-512). A whole tile's rows
/// are read in place, a partial one copied zero-padded into pa.
static inline __attribute__((always_inline)) void gemm_head_tile(const float *a, long lda, int trans, long rows, long k,
                                                                  const float *b, float *pa, int nv, vf acc[GEMM_MR][GEMM_NV]) {
    for (long k0 = 0; k0 < k; k0 += GEMM_KC) {
        long kc = gemm_min(GEMM_KC, k - k0);
        vf part[GEMM_MR][GEMM_NV];
        if (rows < GEMM_MR) {
            for (long kk = 0; kk < kc; kk++)
                for (long i = 0; i < GEMM_MR; i++)
                    pa[kk * GEMM_MR + i] = i >= rows ? 0 : trans ? a[(k0 + kk) * lda + i] : a[i * lda + k0 + kk];
            if (nv < GEMM_NV) gemm_tile_narrow_columns(kc, pa, GEMM_MR, b + k0 * GEMM_NR, part, nv);
            else gemm_tile_columns(kc, pa, GEMM_MR, b + k0 * GEMM_NR, part);
        } else if (nv < GEMM_NV) {
            if (trans) gemm_tile_narrow_columns(kc, a + k0 * lda, lda, b + k0 * GEMM_NR, part, nv);
            else gemm_tile_narrow_rows(kc, a + k0, lda, b + k0 * GEMM_NR, part, nv);
        } else if (trans) {
            gemm_tile_columns(kc, a + k0 * lda, lda, b + k0 * GEMM_NR, part);
        } else {
            gemm_tile_rows(kc, a + k0, lda, b + k0 * GEMM_NR, part);
        }
        for (int i = 0; i < GEMM_MR; i++)
            for (int w = 0; w < nv; w++) acc[i][w] = k0 == 0 ? part[i][w] : acc[i][w] + part[i][w];
    }
}

/// Floats of a head's operand packed as op(B) panels: [k, n] in panels of NR columns.
static inline long gemm_head_packed(long k, long n) { return k * gemm_panels(n) * GEMM_NR; }

/// op(B) ([k, n]: B at row stride ldb, or Bᵀ when trans_b) packed whole into dst, panel after panel.
static void gemm_head_pack(const float *b, long ldb, int trans_b, long k, long n, float *dst) {
    const ck_gemm g = {.trans_b = trans_b, .n = n, .b = b, .ldb = ldb};
    for (long jp = 0; jp < gemm_panels(n); jp++) gemm_pack_b(&g, 0, k, jp * GEMM_NR, dst + jp * k * GEMM_NR);
}

/// The workspace of attention_head_forward and attention_head_backward: the backward's four
/// packed operands (Vᵀ, K, Q, dO) and one head's dS, [n, n]; the forward uses the first two.
void CK_NAME(attention_head_workspace)(long n, long dh, long *floats) {
    *floats = gemm_head_packed(dh, n) + 3 * gemm_head_packed(n, dh) + n * n;
}

/// dst[i][j0 + j] = scale · acc[i][j] (+ add[j0 + j]) for the tile's first `rows` rows and
/// `cols` columns, dst at row stride ld; add may be NULL. Whole vectors are stored as vectors
/// (all NV of them on a full panel), the columns of a last partial vector one by one.
static inline __attribute__((always_inline)) void gemm_head_store(vf acc[GEMM_MR][GEMM_NV], float scale, const float *add, float *dst, long ld, long rows,
                                   long j0, long cols) {
    if (cols == GEMM_NR) {
        for (long i = 0; i < rows; i++)
            for (int w = 0; w < GEMM_NV; w++) {
                vf x = acc[i][w] * scale;
                if (add) x += ck_load(add + j0 + w * CK_LANES);
                ck_store(dst + i * ld + j0 + w * CK_LANES, x);
            }
        return;
    }
    long whole = cols / CK_LANES, tail = cols % CK_LANES;
    for (long i = 0; i < rows; i++) {
        for (long w = 0; w < whole; w++) {
            vf x = acc[i][w] * scale;
            if (add) x += ck_load(add + j0 + w * CK_LANES);
            ck_store(dst + i * ld + j0 + w * CK_LANES, x);
        }
        if (tail) {
            float lanes[CK_LANES];
            ck_store(lanes, acc[i][whole] * scale);
            for (long j = 0, c = j0 + whole * CK_LANES; j < tail; j++, c++) dst[i * ld + c] = add ? lanes[j] + add[c] : lanes[j];
        }
    }
}

/// dst = scale · op(A)·B (+ add) for one tile of up to MR rows of op(A) (as gemm_head_tile) and
/// every panel of B ([k, n], packed by gemm_head_pack), dst at row stride ld. A whole tile with
/// K in one block (every head of the models here: K is its width or its tokens) takes its whole panels straight
/// from the register tile to dst: through gemm_head_tile and gemm_head_store, whose widths
/// and blocks of K are known only at run time, the compiler sent each tile's 12-24 sums
/// through the stack twice. The same operations, so the same bits; on a Zen 4, 48 B/16 heads
/// forward on one thread in 6.02 rather than 6.24 ms at AVX2, 6.03 rather than 6.11 at
/// AVX-512 (medians of 15 alternating bests).
static inline __attribute__((always_inline)) void gemm_head_rows(const float *a, long lda, int trans, long rows, long k,
                                                                  const float *packed, long n, float scale, const float *add,
                                                                  float *dst, long ld, float *pa) {
    long j0 = 0;
    if (rows == GEMM_MR && k <= GEMM_KC)
        for (; j0 + GEMM_NR <= n; j0 += GEMM_NR) {
            vf acc[GEMM_MR][GEMM_NV];
            if (trans) gemm_tile_columns(k, a, lda, packed + j0 * k, acc);
            else gemm_tile_rows(k, a, lda, packed + j0 * k, acc);
            gemm_head_store(acc, scale, add, dst, ld, GEMM_MR, j0, GEMM_NR);   // inlined: its whole-panel branch
        }
    for (; j0 < n; j0 += GEMM_NR) {
        vf acc[GEMM_MR][GEMM_NV];
        long cols = gemm_min(GEMM_NR, n - j0);
        gemm_head_tile(a, lda, trans, rows, k, packed + j0 * k, pa, (int)((cols + CK_LANES - 1) / CK_LANES), acc);
        gemm_head_store(acc, scale, add, dst, ld, rows, j0, cols);
    }
}

/// Asks the L2 cache for rows [r0, r1) of the next head's q, k and v (next_q, and k and v at the
/// same distances from it as from q), dh floats at row stride ld each.
static inline void gemm_head_prefetch(const float *next_q, long dk, long dv, long ld, long dh, long r0, long r1) {
    for (long r = r0; r < r1; r++)
        for (long c = 0; c < dh; c += 16) {   // one 64-byte line per 16 floats
            const float *x = next_q + r * ld + c;
            __builtin_prefetch(x, 0, 2);
            __builtin_prefetch(x + dk, 0, 2);
            __builtin_prefetch(x + dv, 0, 2);
        }
}

/// One attention head's forward, on the calling thread: P = softmax(scale · Q·Kᵀ + mask) into p
/// ([n, n]) and O = P·V into o ([n, dh] at row stride ldo). q, k, v: [n, dh] at row stride ld
/// (the head's columns inside the [N, 3D] block); mask: [n] added to every row of scores, or
/// NULL. Kᵀ and V are packed once into `work` (attention_head_workspace floats) as the driver
/// packs op(B); each tile of MR queries then takes its scores, their softmax (while the rows
/// are in L1) and its outputs with the driver's register tile. next_q, if not NULL, is the
/// queries of the head the thread takes next (its keys and values at the same distances from
/// them as k and v from q): their rows are asked of the cache a few per tile, so that the
/// next head's packing finds them there (on a Zen 4, a B/16 head from 139 to 130 µs).
void CK_NAME(attention_head_forward)(const float *q, const float *k, const float *v, long ld, long n, long dh,
                                     float scale, const float *mask, float *p, float *o, long ldo, float *work,
                                     const float *next_q) {
    float *kt = work, *vp = work + gemm_head_packed(dh, n);
    gemm_head_pack(k, ld, 1, dh, n, kt);   // Kᵀ: [dh, n]
    gemm_head_pack(v, ld, 0, n, dh, vp);   // V: [n, dh]
    float pa[GEMM_MR * GEMM_KC];   // a partial tile's rows, zero-padded: [kk][MR]
    for (long i0 = 0; i0 < n; i0 += GEMM_MR) {
        long rows = gemm_min(GEMM_MR, n - i0);
        if (next_q) gemm_head_prefetch(next_q, k - q, v - q, ld, dh, i0, i0 + rows);
        gemm_head_rows(q + i0 * ld, ld, 0, rows, dh, kt, n, scale, mask, p + i0 * n, n, pa);   // scores, scaled and masked
        ck_softmax_block(p + i0 * n, n, rows, n);
        gemm_head_rows(p + i0 * n, n, 0, rows, n, vp, dh, 1, NULL, o + i0 * ldo, ldo, pa);   // outputs: P·V
    }
}

/// One attention head's backward, on the calling thread, from the forward's probabilities p
/// ([n, n]) and the outputs' gradient dO ([n, dh] at row stride ldo): dP = dO·Vᵀ and dS = P ∘ (dP −
/// rowsum(P ∘ dP)) tile by tile of MR queries into the workspace, with dQ = scale·dS·K while the
/// tile's rows are in L1; then dV = Pᵀ·dO and dK = scale·dSᵀ·Q, reading P's and dS's columns as
/// the rows of their transposes. q, k, v, dq, dk, dv: [n, dh] at row stride ld (the head's
/// columns inside the [N, 3D] blocks of the input and of its gradient); the gradients are
/// overwritten. work: attention_head_workspace floats.
void CK_NAME(attention_head_backward)(const float *q, const float *k, const float *v, long ld, long n, long dh,
                                      float scale, const float *p, const float *dout, long ldo, float *dq, float *dk,
                                      float *dv, float *work) {
    long operand = gemm_head_packed(n, dh);
    float *vt = work, *kp = vt + gemm_head_packed(dh, n), *qp = kp + operand, *dop = qp + operand, *ds = dop + operand;
    gemm_head_pack(v, ld, 1, dh, n, vt);     // Vᵀ: [dh, n]
    gemm_head_pack(k, ld, 0, n, dh, kp);     // K, Q, dO: [n, dh]
    gemm_head_pack(q, ld, 0, n, dh, qp);
    gemm_head_pack(dout, ldo, 0, n, dh, dop);
    float pa[GEMM_MR * GEMM_KC];   // a partial tile's rows, zero-padded: [kk][MR]
    for (long i0 = 0; i0 < n; i0 += GEMM_MR) {
        long rows = gemm_min(GEMM_MR, n - i0);
        gemm_head_rows(dout + i0 * ldo, ldo, 0, rows, dh, vt, n, 1, NULL, ds + i0 * n, n, pa);   // dP = dO·Vᵀ
        ck_softmax_backward_block(ds + i0 * n, p + i0 * n, n, rows, n);
        gemm_head_rows(ds + i0 * n, n, 0, rows, n, kp, dh, scale, NULL, dq + i0 * ld, ld, pa);   // dQ = scale·dS·K
    }
    for (long i0 = 0; i0 < n; i0 += GEMM_MR) {   // tiles of keys: rows of Pᵀ and dSᵀ
        long rows = gemm_min(GEMM_MR, n - i0);
        gemm_head_rows(p + i0, n, 1, rows, n, dop, dh, 1, NULL, dv + i0 * ld, ld, pa);        // dV = Pᵀ·dO
        gemm_head_rows(ds + i0, n, 1, rows, n, qp, dh, scale, NULL, dk + i0 * ld, ld, pa);    // dK = scale·dSᵀ·Q
    }
}

#undef GEMM_ACCUMULATE
#undef GEMM_ACCUMULATE_NV
