import CKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which code computes `gemm`'s products.
///
/// `.vectorKernels` is our own driver (Sources/CKernels/gemm_body.h, compiled per instruction
/// set like the other C kernels): it packs op(B) once per call and shares the packed panels
/// between the threads, lets the threads claim blocks of C (so a late thread does not hold
/// the others up), writes C once with the bias, a residual and the MLP's GELU (or its slope)
/// in the same pass, and reads op(A) in place (a transposed A is packed, a block of rows at a
/// time per thread). `.blas` is OpenBLAS, one single-threaded call per thread on half the rows,
/// with those extras as separate passes. The Ti/16 training
/// step's GEMMs are the case this was measured on (README "Speed", docs/SPEED.md).
public enum GEMMBackend: String, CaseIterable, Sendable {
    case vectorKernels = "own", blas

    nonisolated(unsafe) private static var chosen: GEMMBackend?

    /// The backend `gemm` uses: ours when the kernels run at AVX-512 or AVX2 (each level's
    /// share of the products set by measurement, see `computing`), else OpenBLAS, unless
    /// `select` chose one.
    public static var selected: GEMMBackend {
        chosen ?? (InstructionSet.selected == .baseline ? .blas : .vectorKernels)
    }

    /// Makes `backend` the one `gemm` uses (nil: back to the default). Not for use while other
    /// threads run GEMMs.
    public static func select(_ backend: GEMMBackend?) { chosen = backend }

    /// The backend that computes an `[m, k] · [k, n]` product when `self` is selected: with ours
    /// selected, the one measured faster on the nearest product of this machine's routing table
    /// (`GEMMRouting.table`, written by `siglip-bench --tune-gemm`), else the built-in rule.
    /// `epilogue`: what the product's pass adds (`gemmEpilogue`), matched against the table's;
    /// `kept`: B is a weight our driver keeps packed (`PackedWeights`, inference). A kept product
    /// is looked up only among the table's kept entries ("+bias kept"; `--tune-gemm` times the
    /// Ti/16 and B/16 forwards that way), never matched to the same shape packed anew, which costs
    /// ours a packing the kept one does not pay: without a kept entry the built-in rule decides.
    public func computing(_ transA: Transpose, _ transB: Transpose, m: Int, k: Int, n: Int, epilogue: @autoclosure () -> String = "",
                          kept: Bool = false, level: InstructionSet = .selected) -> GEMMBackend {
        computing(transA, transB, m: m, k: k, n: n, epilogue: epilogue(), kept: kept, level: level,
                  measured: GEMMRouting.table(level: level))
    }

    /// As above with the given routing table (nil: the built-in rule alone).
    public func computing(_ transA: Transpose, _ transB: Transpose, m: Int, k: Int, n: Int, epilogue: @autoclosure () -> String = "",
                          kept: Bool = false, level: InstructionSet, measured: GEMMRoutingTable?) -> GEMMBackend {
        guard self == .vectorKernels, level != .baseline else { return .blas }
        return measured?.backend(transA, transB, m: m, n: n, k: k, epilogue: gemmRoutingEpilogue(epilogue(), kept: kept))
            ?? builtInRule(transA, m: m, k: k, n: n, kept: kept, level: level, amd: CPUModel.isAMD)
    }

    /// The rule for machines without a routing table, measured per level (README "Speed", docs/SPEED.md). Ours
    /// takes the products it was measured faster on, never a transposed A (the weight gradients
    /// dyᵀ·x: OpenBLAS packs a transposed A faster, 145-160 against 130-140 GFLOP/s on one
    /// thread on the Ti shapes, and 0.90-0.93 of its speed on the S/16 ones on a Zen 3).
    /// - AVX-512 on an AMD CPU (a Zen 4): every such product. With its blocks of 768 × 144 and
    ///   wide products taken in blocks of rows, ours ran the ViT-B/16 inference step's products
    ///   in 1,304 ms against OpenBLAS's 1,381, and the S/16 and Ti/16 steps no slower.
    /// - AVX-512 on other CPUs (a Xeon): a packed B the threads can share from their L2 caches,
    ///   K·N ≤ 256 k floats — every product of a ViT-Ti/16 step but the weight gradients; the
    ///   larger ones were 7-11% slower on ours (ViT-B/16 inference: a 9 MB packed B streamed
    ///   from L3 by every block of rows), measured before those two changes.
    /// - AVX2 (a Zen 3): tall products, M ≥ 4,096 rows (the S/16 image tower's 32 × 196
    ///   tokens), where writing C once with its bias, residual, GELU or GELU slope saves more
    ///   than OpenBLAS's faster kernel gains: the S/16 step ~8% faster. On the Ti/16 shapes
    ///   (1,024 rows) ours ran ~25% slower, on the B/16 ones (1,568 rows) 2-10%. And a weight
    ///   kept packed (inference), which ours does not pack again, from 1,568 rows: with the
    ///   4 × 24 assembly tile, the B/16 inference step's products at 92-94% of the FMA peak
    ///   against OpenBLAS's 86-90% on a Zen 4, Ti/16's (1,024 rows) mixed (docs/SPEED.md,
    ///   sitting 8). Not measured on a Zen 3 since.
    func builtInRule(_ transA: Transpose, m: Int, k: Int, n: Int, kept: Bool = false, level: InstructionSet,
                     amd: Bool) -> GEMMBackend {
        guard self == .vectorKernels, transA == .none else { return .blas }
        switch level {
        case .avx512: return amd || k * n <= VectorGEMM.largestSharedB ? .vectorKernels : .blas
        case .avx2: return m >= (kept ? VectorGEMM.shortestKeptAVX2 : VectorGEMM.shortestAVX2) ? .vectorKernels : .blas
        case .baseline: return .blas
        }
    }
}

extension GEMMBackend {
    /// Whether `SelfAttention` runs each head's forward and backward as fused kernels
    /// (`Kernels.attentionHeadForward`, `attentionHeadBackward`) rather than OpenBLAS's products
    /// and the softmax between them: with ours selected, as this machine's routing table measured
    /// on the nearest head shape (`GEMMRoutingTable.fusesHeads`), else the built-in rule.
    public func fusesAttentionHeads(tokens: Int, headWidth: Int, level: InstructionSet = .selected) -> Bool {
        fusesAttentionHeads(tokens: tokens, headWidth: headWidth, level: level, measured: GEMMRouting.table(level: level))
    }

    /// As above with the given routing table (nil: the built-in rule alone).
    public func fusesAttentionHeads(tokens: Int, headWidth: Int, level: InstructionSet, measured: GEMMRoutingTable?) -> Bool {
        guard self == .vectorKernels, level != .baseline else { return false }
        return measured?.fusesHeads(tokens: tokens, headWidth: headWidth) ?? fusesAttentionHeadsByRule(tokens: tokens, level: level)
    }

    /// The fewest tokens whose heads the built-in rule fuses at AVX-512.
    static let fewestFusedTokensAVX512 = 196

    /// The rule without a table: fused where it was measured faster. At AVX2 (a Zen 3): 5-11% on
    /// the 196-token S/16 and B/16 heads, 3-10% on Ti/16-64's 16 tokens in a quiet minute. At
    /// AVX-512 (a Zen 4, with the next head's rows prefetched): 3.1-3.9% on 196 tokens, forward
    /// and backward (`--tune-gemm`; B/16 inference's heads 79-81 against 83-85 ms), but OpenBLAS's
    /// products 43% faster on 16 tokens, so only heads of at least 196 tokens (the lengths between
    /// not measured).
    func fusesAttentionHeadsByRule(tokens: Int, level: InstructionSet) -> Bool {
        level == .avx2 || (level == .avx512 && tokens >= Self.fewestFusedTokensAVX512)
    }
}

/// Our GEMM driver: `C = alpha · op(A) · op(B) + beta · C + bias + addend`, then GELU's slope
/// or GELU if asked (see `gemm`), on `threads` threads.
enum VectorGEMM {
    /// The largest op(B), in floats (1 MB), that the built-in rule gives to this driver at AVX-512.
    static let largestSharedB = 1 << 18
    /// The fewest rows of C that the built-in rule gives to this driver at AVX2.
    static let shortestAVX2 = 4096
    /// As `shortestAVX2` for a weight kept packed (inference): ViT-B/16's 8 × 196 tokens.
    static let shortestKeptAVX2 = 1568

    static func run(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        bias: UnsafePointer<Float>?, addend: UnsafePointer<Float>? = nil, ldAddend: Int = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int, gelu: UnsafeMutablePointer<Float>? = nil, ldGELU: Int = 0,
        geluSlopeAt: (x: UnsafePointer<Float>, y: UnsafePointer<Float>, ld: Int)? = nil,
        threads: Int, level: InstructionSet = .selected, keptIn kept: PackedWeights? = nil
    ) {
        let isa = Int32(level.rawValue)
        var packedFloats = 0, flagCount = 0, packedAFloats = 0, tileRows = 0
        ck_gemm_layout(isa, k, n, &packedFloats, &flagCount, &packedAFloats, &tileRows)
        let tasks = max(1, min(threads, (max(m, n) + tileRows - 1) / tileRows))
        let claim = kept?.claim(b: b, ldb: ldb, transposed: transB == .transposed, k: k, n: n, level: level, floats: packedFloats)
        // One allocation: packed B (unless kept) | each task's packed A | panel flags | counters.
        let bBytes = claim == nil ? (packedFloats * 4 + 63) / 64 * 64 : 0, aBytes = tasks * packedAFloats * 4
        let flagBytes = (max(flagCount, 1) * 4 + 63) / 64 * 64
        let workspace = Workspace.take(bytes: bBytes + aBytes + flagBytes + 64)
        defer { Workspace.give(workspace) }
        let memory = workspace.memory
        let flags = (memory + bBytes + aBytes).bindMemory(to: Int32.self, capacity: max(flagCount, 1))
        let counters = (memory + bBytes + aBytes + flagBytes).bindMemory(to: Int.self, capacity: 2)   // next panel, next block
        flags.initialize(repeating: 0, count: max(flagCount, 1))
        counters.initialize(repeating: 0, count: 2)

        var problem = ck_gemm(
            trans_a: transA == .none ? 0 : 1, trans_b: transB == .none ? 0 : 1, m: m, n: n, k: k,
            alpha: alpha, beta: beta, a: a, lda: lda, b: b, ldb: ldb, bias: bias, addend: addend, ld_addend: ldAddend,
            c: c, ldc: ldc,
            gelu_out: gelu, ld_gelu: ldGELU,
            gelu_x: geluSlopeAt?.x, gelu_y: geluSlopeAt?.y, ld_gelu_in: geluSlopeAt?.ld ?? 0,
            packed_b: claim?.memory ?? memory.bindMemory(to: Float.self, capacity: max(packedFloats, 1)),
            b_packed: claim?.ready == true ? 1 : 0, panel_flags: flags, next_panel: counters, next_block: counters + 1,
            packed_a: (memory + bBytes).bindMemory(to: Float.self, capacity: tasks * packedAFloats))
        withUnsafePointer(to: &problem) { g in
            runOnThreads(tasks) { task in ck_gemm_work(isa, g, tasks, task) }
        }
        if let claim, !claim.ready { kept?.packed(claim) }
    }

    /// The level's register tile as `run` computes it (assembly at AVX2) and the C loop it
    /// replaces, on the same operands (`ck_gemm_tile_twins`): kc products of one tile's rows of
    /// A (element (i, kk) at a[i·ld + kk], or a[i + kk·ld] with `columns`) and kc rows of packed
    /// B of 48 floats each (the tile reads its first NR). Each result: [rows, cols] = MR × NR.
    static func tileTwins(kc: Int, a: [Float], ld: Int, columns: Bool, b: [Float], level: InstructionSet)
        -> (fast: [Float], plain: [Float], rows: Int, cols: Int) {
        let mostRows = 8, mostColumns = 48   // the largest tile of any level: AVX-512's 8 × 48
        precondition(b.count >= kc * mostColumns && a.count >= (columns ? kc * ld + mostRows : mostRows * ld),
                     "operands too short")
        var fast = [Float](repeating: .nan, count: mostRows * mostColumns), plain = fast
        var rows = 0, cols = 0
        ck_gemm_tile_twins(Int32(level.rawValue), kc, a, ld, columns ? 1 : 0, b, &fast, &plain, &rows, &cols)
        return (Array(fast[..<(rows * cols)]), Array(plain[..<(rows * cols)]), rows, cols)
    }
}

/// Reusable workspaces for `VectorGEMM` (packed B, packed A per task, panel flags, counters), so that a step's
/// hundreds of GEMMs do not map and fault in fresh pages for every call (a packed B is up to
/// 1 MB through `gemm`). One per concurrent caller; kept for the process's life, as large as
/// the largest product it served.
final class Workspace: @unchecked Sendable {
    let memory: UnsafeMutableRawPointer
    let bytes: Int

    private init(bytes: Int) {
        self.bytes = bytes
        memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    deinit { memory.deallocate() }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Workspace] = []

    /// A workspace of at least `bytes` bytes, for the caller's use until `give`.
    static func take(bytes: Int) -> Workspace {
        lock.lock()
        defer { lock.unlock() }
        if let i = free.lastIndex(where: { $0.bytes >= bytes }) { return free.remove(at: i) }
        if !free.isEmpty { free.removeLast() }   // too small: replaced by a larger one
        return Workspace(bytes: max(bytes, 1 << 16))
    }

    static func give(_ workspace: Workspace) {
        lock.lock()
        free.append(workspace)
        lock.unlock()
    }
}
