import CBLAS
import SigLIPBase

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// The one entry point for products: `C = alpha * op(A) · op(B) + beta * C + bias + addend`,
/// row-major.
///
/// `op(A)` is `[M, K]`, `op(B)` is `[K, N]`, `C` is `[M, N]`, `bias` (optional) is `[N]`, added
/// to every row, `addend` (optional, a residual) is `[M, N]` at row stride `ldAddend` (default
/// N); `lda`, `ldb`, `ldc` are the row strides of the operands as stored (so a head's
/// columns inside a `[B*N, 3D]` block can be used in place). beta 0 does not read C. With
/// `gelu`, also writes GELU(C) there (`[M, N]` at row stride `ldGELU`, default N), the same
/// values as `Kernels.geluForward` on C: the MLP's first layer and its activation in one pass
/// (`gelu` may be `c` itself, with ldGELU = ldc: C then ends as GELU(C), for inference).
/// With `geluSlopeAt` (x, y = GELU(x), row stride ld), C is multiplied by gelu'(x) instead, the
/// same values as `Kernels.geluBackward` with `.overwrite` on C: the gradient through the MLP's
/// activation in the pass of the product that produces it. With `keptIn`, B is a weight that
/// stays constant while that store lives: our driver packs it once there and reuses it
/// (`PackedWeights`).
///
/// Computed on the compute pool's threads (one thread for a product too small to split) by the
/// backend that `GEMMBackend.selected.computing` gives this product.
public func gemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, bias: UnsafePointer<Float>? = nil, addend: UnsafePointer<Float>? = nil, ldAddend: Int? = nil,
    c: UnsafeMutablePointer<Float>, ldc: Int, gelu: UnsafeMutablePointer<Float>? = nil, ldGELU: Int? = nil,
    geluSlopeAt: (x: UnsafePointer<Float>, y: UnsafePointer<Float>, ld: Int)? = nil, keptIn kept: PackedWeights? = nil
) {
    let backend = GEMMBackend.selected
    let epilogue = { gemmEpilogue(beta: beta, bias: bias != nil, addend: addend != nil, gelu: gelu != nil, slope: geluSlopeAt != nil) }
    PhaseClock.measure(.gemm(transA, transB), flops: 2 * Double(m) * Double(n) * Double(k),
                       detail: gemmDetail(backend.computing(transA, transB, m: m, k: k, n: n, epilogue: epilogue(), kept: kept != nil),
                                          m: m, n: n, k: k,
                                          epilogue: epilogue(), kept: kept != nil)) {
        gemm(on: backend, transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
             beta: beta, bias: bias, addend: addend, ldAddend: ldAddend, c: c, ldc: ldc, gelu: gelu, ldGELU: ldGELU,
             geluSlopeAt: geluSlopeAt, keptIn: kept)
    }
}

/// A product's line in `siglip-bench --phases`: its shape, the backend that computes it and
/// what its pass adds, e.g. "6272×1536×384 own +bias +GELU" ("own kept" for a weight kept
/// packed by a `PackedWeights`).
func gemmDetail(_ backend: GEMMBackend, m: Int, n: Int, k: Int, epilogue: String, kept: Bool = false) -> String {
    let name = backend == .blas ? "OpenBLAS" : kept ? "own kept" : "own"
    return (["\(m)×\(n)×\(k)", name, epilogue]).filter { !$0.isEmpty }.joined(separator: " ")
}

/// What a product's pass adds beside alpha·op(A)·op(B), as `gemm`'s arguments say: e.g. "β=1",
/// "+bias +GELU", "·GELU′"; empty for a plain product.
public func gemmEpilogue(beta: Float, bias: Bool, addend: Bool, gelu: Bool, slope: Bool) -> String {
    let extras = [(beta != 0, beta == beta.rounded() ? "β=\(Int(beta))" : "β=\(beta)"), (bias, "+bias"), (addend, "+residual"),
                  (gelu, "+GELU"), (slope, "·GELU′")]
    return extras.filter(\.0).map(\.1).joined(separator: " ")
}

/// What the routing table (`GEMMRoutingTable`) files a product under: its extras, and "kept" for
/// a weight our driver keeps packed (inference), which `--tune-gemm` times apart: ours packs it
/// once, not per call.
public func gemmRoutingEpilogue(_ epilogue: String, kept: Bool) -> String {
    kept ? (epilogue.isEmpty ? "kept" : epilogue + " kept") : epilogue
}

/// `gemm` on exactly the given backend, whatever `GEMMBackend.computing` would route the product
/// to: for benchmarks that measure the routing (`siglip-bench --gemm-shapes` and `--tune-gemm`).
public func gemmUnrouted(
    on backend: GEMMBackend, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, bias: UnsafePointer<Float>? = nil, addend: UnsafePointer<Float>? = nil,
    c: UnsafeMutablePointer<Float>, ldc: Int, gelu: UnsafeMutablePointer<Float>? = nil,
    geluSlopeAt: (x: UnsafePointer<Float>, y: UnsafePointer<Float>, ld: Int)? = nil, keptIn kept: PackedWeights? = nil
) {
    gemm(on: backend, routed: false, transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
         beta: beta, bias: bias, addend: addend, c: c, ldc: ldc, gelu: gelu, geluSlopeAt: geluSlopeAt, keptIn: kept)
}

/// `gemm` on the given backend (tests hold both against the plain twin); `routed`: on the
/// backend that `backend.computing` gives the product to.
func gemm(
    on backend: GEMMBackend, routed: Bool = true, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, bias: UnsafePointer<Float>? = nil, addend: UnsafePointer<Float>? = nil, ldAddend: Int? = nil,
    c: UnsafeMutablePointer<Float>, ldc: Int, gelu: UnsafeMutablePointer<Float>? = nil, ldGELU: Int? = nil,
    geluSlopeAt: (x: UnsafePointer<Float>, y: UnsafePointer<Float>, ld: Int)? = nil, keptIn kept: PackedWeights? = nil
) {
    if m == 0 || n == 0 { return }
    let threads = m * n * k >= 1 << 18 ? ParallelSettings.threads : 1
    let epilogue = { gemmEpilogue(beta: beta, bias: bias != nil, addend: addend != nil, gelu: gelu != nil, slope: geluSlopeAt != nil) }
    switch routed ? backend.computing(transA, transB, m: m, k: k, n: n, epilogue: epilogue(), kept: kept != nil) : backend {
    case .vectorKernels:
        VectorGEMM.run(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                       bias: bias, addend: addend, ldAddend: ldAddend ?? n, c: c, ldc: ldc, gelu: gelu, ldGELU: ldGELU ?? n,
                       geluSlopeAt: geluSlopeAt, threads: threads, keptIn: kept)
    case .blas:
        defer {   // after the product, as the driver's epilogue: C += addend, C ← C · gelu'(x), GELU(C)
            if let addend {
                forEachRowSpan(m: m, n: n, ldc: ldc, ld: ldAddend ?? n) { ci, i, count in
                    Kernels.addInPlace(addend + i, into: c + ci, count: count)
                }
            }
            if let (x, y, ld) = geluSlopeAt {
                forEachRowSpan(m: m, n: n, ldc: ldc, ld: ld) { ci, i, count in
                    Kernels.geluBackward(c + ci, x: x + i, y: y + i, dx: c + ci, write: .overwrite, count: count)
                }
            }
            if let gelu {
                forEachRowSpan(m: m, n: n, ldc: ldc, ld: ldGELU ?? n) { ci, i, count in
                    Kernels.geluForward(c + ci, out: gelu + i, count: count)
                }
            }
        }
        var beta = beta
        if let bias {   // C = beta·C + bias first, then C += alpha·AB
            if beta == 0 {
                Kernels.broadcastRows(bias, into: c, rows: m, columns: n, rowStride: ldc)
            } else {
                for i in 0..<m {
                    let row = c + i * ldc
                    for j in 0..<n { row[j] = beta * row[j] + bias[j] }
                }
            }
            beta = 1
        }
        blasGEMM(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                 c: c, ldc: ldc, threads: threads)
    }
}

/// Calls `body(offset in C, offset in the other matrix, count)` once over all of `[m, n]` when
/// both are contiguous (row strides n), else once per row.
private func forEachRowSpan(m: Int, n: Int, ldc: Int, ld: Int, _ body: (Int, Int, Int) -> Void) {
    if ldc == n && ld == n {
        body(0, 0, m * n)
    } else {
        for i in 0..<m { body(i * ldc, i * ld, n) }
    }
}

/// OpenBLAS, single-threaded per call: a large product is split into one block of rows (or
/// columns) of C per thread of the compute pool. One pool for GEMMs and element-wise kernels:
/// OpenBLAS's own idle threads no longer spin (`sched_yield`) against ours.
func blasGEMM(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
) {
    guard threads > 1, max(m, n) >= 2 * threads else {
        blasOnThisThread(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    runOnThreads(threads) { t in
        if m >= n {
            let (start, end) = (m * t / threads, m * (t + 1) / threads)
            let aPart = transA == .none ? a + start * lda : a + start
            blasOnThisThread(transA, transB, m: end - start, n: n, k: k, alpha: alpha, a: aPart, lda: lda, b: b, ldb: ldb,
                             beta: beta, c: c + start * ldc, ldc: ldc)
        } else {
            let (start, end) = (n * t / threads, n * (t + 1) / threads)
            let bPart = transB == .none ? b + start : b + start * ldb
            blasOnThisThread(transA, transB, m: m, n: end - start, k: k, alpha: alpha, a: a, lda: lda, b: bPart, ldb: ldb,
                             beta: beta, c: c + start, ldc: ldc)
        }
    }
}

/// `C = alpha * op(A) · op(B) + beta * C` (as `gemm`) on the calling thread only, for callers
/// that already run one task per thread, such as attention heads, on exactly the given backend.
/// OpenBLAS by default: on the heads' products (196×196×64 and the like) our driver was no
/// faster on the machines measured (`siglip-bench --gemm-shapes` times both).
public func gemmOnThisThread(
    on backend: GEMMBackend = .blas, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    switch backend {
    case .vectorKernels:
        VectorGEMM.run(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                       bias: nil, c: c, ldc: ldc, threads: 1)
    case .blas:
        blasOnThisThread(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// OpenBLAS on the calling thread only.
func blasOnThisThread(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    BLASKernels.ensureUpgraded()
    if k == 0 {
        scaleInPlace(c, rows: m, columns: n, stride: ldc, by: beta)
        return
    }
    cblas_sgemm(
        CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The plain twin of `gemm`, in Double accumulation, for tests.
public func gemmReference(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, bias: UnsafePointer<Float>? = nil, addend: UnsafePointer<Float>? = nil, ldAddend: Int? = nil,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let av = transA == .none ? a[i * lda + p] : a[p * lda + i]
                let bv = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                sum += Double(av) * Double(bv)
            }
            let old = beta == 0 ? 0 : beta * c[i * ldc + j]   // beta 0 ignores NaN in C, as BLAS does
            c[i * ldc + j] = alpha * Float(sum) + old + (bias?[j] ?? 0) + (addend?[i * (ldAddend ?? n) + j] ?? 0)
        }
    }
}

func scaleInPlace(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
    for i in 0..<rows {
        for j in 0..<columns { c[i * stride + j] = beta == 0 ? 0 : beta * c[i * stride + j] }
    }
}

/// Threads used by BLAS and by the element-wise kernels.
public enum ComputeThreads {
    /// Sets the thread count of `gemm` and `parallelFor` (default: the core count). OpenBLAS
    /// itself always runs one thread per call.
    public static func set(_ count: Int) {
        ParallelSettings.threads = max(1, count)
    }

    public static var current: Int { ParallelSettings.threads }

    /// `--threads` as a user gives it: 1…256, or an error naming the flag.
    public static func set(flag count: Int) throws {
        guard (1...256).contains(count) else { throw SigLIPError(path: "--threads", problem: "\(count) is outside 1…256") }
        set(count)
    }
}
