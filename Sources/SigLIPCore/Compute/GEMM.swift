import CBLAS

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// The one place that calls BLAS: `C = alpha * op(A) · op(B) + beta * C`, row-major.
///
/// `op(A)` is `[M, K]`, `op(B)` is `[K, N]`, `C` is `[M, N]`; `lda`, `ldb`, `ldc` are the row
/// strides of the operands as stored (so a head's columns inside a `[B*N, 3D]` block can be
/// used in place).
public func gemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    BLASKernels.upgradeIfMisdetected()
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
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
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
            c[i * ldc + j] = alpha * Float(sum) + old
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
    /// Sets the thread count of OpenBLAS and of `parallelFor` (both default to the core count).
    public static func set(_ count: Int) {
        let n = max(1, count)
        openblas_set_num_threads(Int32(n))
        ParallelSettings.threads = n
    }

    public static var current: Int { ParallelSettings.threads }
}
