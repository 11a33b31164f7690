import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Which code computes `gemm`'s products.
///
/// `.vectorKernels` is our own driver (Sources/CKernels/gemm_body.h, compiled per instruction
/// set like the other C kernels): it packs op(B) once per call and shares the packed panels
/// between the threads, lets the threads claim blocks of rows (so a late thread does not hold
/// the others up), writes C once with the bias in the same pass, and reads op(A) in place.
/// `.blas` is OpenBLAS, one single-threaded call per thread on half the rows. The Ti/16
/// training step's GEMMs are the case this was measured on (README "Speed").
public enum GEMMBackend: String, CaseIterable, Sendable {
    case vectorKernels = "own", blas

    nonisolated(unsafe) private static var chosen: GEMMBackend?

    /// The backend `gemm` uses: ours where the CPU has AVX2 + FMA or AVX-512 (where it was
    /// measured faster than OpenBLAS), else OpenBLAS, unless `select` chose one.
    public static var selected: GEMMBackend {
        chosen ?? (InstructionSet.selected.rawValue >= InstructionSet.avx2.rawValue ? .vectorKernels : .blas)
    }

    /// Makes `backend` the one `gemm` uses (nil: back to the default). Not for use while other
    /// threads run GEMMs.
    public static func select(_ backend: GEMMBackend?) { chosen = backend }
}

/// Our GEMM driver: `C = alpha · op(A) · op(B) + beta · C + bias` on `threads` threads.
enum VectorGEMM {
    static func run(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int, level: InstructionSet = .selected
    ) {
        let isa = Int32(level.rawValue)
        var packedFloats = 0, flagCount = 0, tileRows = 0
        ck_gemm_layout(isa, k, n, &packedFloats, &flagCount, &tileRows)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: max(packedFloats, 1) * 4, alignment: 64)
        let flags = UnsafeMutablePointer<Int32>.allocate(capacity: max(flagCount, 1))
        let counters = UnsafeMutablePointer<Int>.allocate(capacity: 2)   // next panel, next row
        defer { packed.deallocate(); flags.deallocate(); counters.deallocate() }
        flags.initialize(repeating: 0, count: max(flagCount, 1))
        counters.initialize(repeating: 0, count: 2)

        var problem = ck_gemm(
            trans_a: transA == .none ? 0 : 1, trans_b: transB == .none ? 0 : 1, m: m, n: n, k: k,
            alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc,
            packed_b: packed.assumingMemoryBound(to: Float.self), panel_flags: flags, next_panel: counters, next_block: counters + 1)
        let tasks = max(1, min(threads, (max(m, n) + tileRows - 1) / tileRows))
        withUnsafePointer(to: &problem) { g in
            runOnThreads(tasks) { _ in ck_gemm_work(isa, g, tasks) }
        }
    }
}
