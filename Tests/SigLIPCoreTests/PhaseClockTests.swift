import Dispatch
import Foundation
import SigLIPCore
import Testing

/// `PhaseClock` (`siglip-bench --phases`): exclusive times of nested phases, calls and FLOPs
/// counted, calls from other threads and calls while stopped ignored, `gemm` filed by its
/// operands' transposition and by shape (details). Serialized: the clock is one per process.
@Suite("Phase clock", .serialized) struct PhaseClockTests {
    private static func total(_ totals: [(phase: PhaseClock.Phase, total: PhaseClock.Total)], _ phase: PhaseClock.Phase) -> PhaseClock.Total {
        totals.first { $0.phase == phase }!.total
    }

    /// Sleeps are at least as long as asked; the upper bounds leave a loaded machine 40 ms of slack.
    @Test func nestedPhasesCountExclusiveTime() {
        PhaseClock.start()
        PhaseClock.measure(.layerNorm, flops: 10) {
            usleep(30_000)
            PhaseClock.measure(.optimizer, flops: 5) { usleep(50_000) }
        }
        PhaseClock.measure(.layerNorm, flops: 10) {}
        let totals = PhaseClock.stop()
        let norm = Self.total(totals, .layerNorm), optimizer = Self.total(totals, .optimizer)
        #expect(norm.calls == 2 && norm.flops == 20)
        #expect(optimizer.calls == 1 && optimizer.flops == 5)
        #expect(norm.seconds >= 0.030 && norm.seconds < 0.070, "LayerNorm \(norm.seconds) s, without the nested 50 ms")
        #expect(optimizer.seconds >= 0.050 && optimizer.seconds < 0.090, "optimizer \(optimizer.seconds) s")
    }

    @Test func otherThreadsAndStoppedClockAreIgnored() {
        PhaseClock.start()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            PhaseClock.measure(.optimizer) { usleep(1_000) }
            done.signal()
        }
        done.wait()
        let totals = PhaseClock.stop()
        #expect(Self.total(totals, .optimizer).calls == 0)
        PhaseClock.measure(.optimizer) {}   // stopped: not counted, and nothing to crash on
        PhaseClock.start()
        #expect(Self.total(PhaseClock.stop(), .optimizer).calls == 0, "start begins from zero")
    }

    @Test func gemmIsFiledByTransposition() {
        let a = [Float](repeating: 1, count: 6 * 4), b = [Float](repeating: 1, count: 4 * 5)
        var c = [Float](repeating: 0, count: 6 * 5)
        PhaseClock.start()
        gemm(.none, .transposed, m: 6, n: 5, k: 4, a: a, lda: 4, b: b, ldb: 4, c: &c, ldc: 5)
        gemm(.none, .none, m: 6, n: 5, k: 4, a: a, lda: 4, b: b, ldb: 5, c: &c, ldc: 5)
        gemm(.transposed, .none, m: 6, n: 5, k: 4, a: a, lda: 6, b: b, ldb: 5, c: &c, ldc: 5)
        gemm(.transposed, .transposed, m: 6, n: 5, k: 4, a: a, lda: 6, b: b, ldb: 4, c: &c, ldc: 5)
        let totals = PhaseClock.stop()
        #expect(Self.total(totals, .gemmABt).calls == 1 && Self.total(totals, .gemmABt).flops == 240)
        #expect(Self.total(totals, .gemmAB).calls == 1)
        #expect(Self.total(totals, .gemmAtB).calls == 2, "a transposed A counts as a weight-gradient product")
        #expect(c.allSatisfy { $0 == 4 })
        let details = PhaseClock.details()
        #expect(details.count == 3 && details.allSatisfy { $0.detail.detail.hasPrefix("6×5×4 ") },
                "one detail per phase and shape: \(details.map(\.detail))")
        #expect(details.contains { $0.detail.phase == .gemmAtB && $0.detail.detail == "6×5×4 OpenBLAS" && $0.total.calls == 2 },
                "both products with a transposed A, on OpenBLAS: \(details.map(\.detail))")
    }

    /// Products inside the attention heads (the MAP head's one-query products) count in the heads:
    /// no product phase, no detail; a product inside another phase is still its own.
    @Test func productsInsideAttentionCountInTheHeads() {
        let a = [Float](repeating: 1, count: 6 * 4), b = [Float](repeating: 1, count: 4 * 5)
        var c = [Float](repeating: 0, count: 6 * 5)
        PhaseClock.start()
        PhaseClock.measure(.attentionForward, flops: 7) {
            gemm(.none, .transposed, m: 6, n: 5, k: 4, a: a, lda: 4, b: b, ldb: 4, c: &c, ldc: 5)
        }
        PhaseClock.measure(.attentionBackward, flops: 9) {
            gemm(.transposed, .none, m: 6, n: 5, k: 4, a: a, lda: 6, b: b, ldb: 5, c: &c, ldc: 5)
        }
        PhaseClock.measure(.layerNorm) { gemm(.none, .none, m: 6, n: 5, k: 4, a: a, lda: 4, b: b, ldb: 5, c: &c, ldc: 5) }
        let totals = PhaseClock.stop()
        #expect(Self.total(totals, .attentionForward).calls == 1 && Self.total(totals, .attentionForward).flops == 7)
        #expect(Self.total(totals, .attentionBackward).calls == 1 && Self.total(totals, .attentionBackward).flops == 9)
        #expect(Self.total(totals, .gemmABt).calls == 0 && Self.total(totals, .gemmAtB).calls == 0)
        #expect(Self.total(totals, .gemmAB).calls == 1, "outside the heads a product keeps its phase")
        #expect(PhaseClock.details().map(\.detail.phase) == [.gemmAB])
        #expect(c.allSatisfy { $0 == 4 })
    }

    /// Details are totalled by phase and detail, with the phases' exclusive times, longest first.
    @Test func detailsAreTotalledByPhaseAndDetail() {
        PhaseClock.start()
        PhaseClock.measure(.layerNorm, flops: 3, detail: "a") {
            PhaseClock.measure(.optimizer, detail: "b") { usleep(30_000) }
        }
        PhaseClock.measure(.layerNorm, flops: 4, detail: "a") {}
        PhaseClock.measure(.layerNorm, flops: 5) {}
        PhaseClock.measure(.optimizer, detail: "a") {}
        _ = PhaseClock.stop()
        let details = PhaseClock.details()
        func find(_ phase: PhaseClock.Phase, _ detail: String) -> PhaseClock.Total? {
            details.first { $0.detail == PhaseClock.Detail(phase: phase, detail: detail) }?.total
        }
        #expect(details.count == 3)
        #expect(details.first?.detail == PhaseClock.Detail(phase: .optimizer, detail: "b"), "the longest first")
        #expect(find(.layerNorm, "a")?.calls == 2 && find(.layerNorm, "a")?.flops == 7)
        #expect((find(.layerNorm, "a")?.seconds ?? 1) < 0.025, "without the nested 30 ms")
        #expect((find(.optimizer, "b")?.seconds ?? 0) >= 0.030)
        #expect(find(.optimizer, "a")?.calls == 1)
        PhaseClock.start()
        #expect(PhaseClock.details().isEmpty, "start begins from zero")
        _ = PhaseClock.stop()
    }
}
