import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Where a step's wall time goes, by kind of work (`siglip-bench --phases`).
///
/// Off by default: `measure` then only checks one flag. On, it times on the thread that
/// started the clock (the one that drives the step; work it hands to the compute pool counts in
/// the phase that handed it over) and ignores calls from other threads. Times are exclusive: a
/// phase nested in another counts only in the inner one. The rest of the step (embeddings,
/// pooling, the loss's element-wise work, copies) is what the caller's own total minus the
/// sum of the phases leaves.
public enum PhaseClock {
    public enum Phase: Int, CaseIterable, Sendable {
        case gemmABt, gemmAB, gemmAtB, attentionForward, attentionBackward, layerNorm, optimizer

        public var name: String {
            switch self {
            case .gemmABt: "GEMM A·Bᵀ (linear forward)"
            case .gemmAB: "GEMM A·B (linear input gradients)"
            case .gemmAtB: "GEMM Aᵀ·B (linear weight gradients)"
            case .attentionForward: "attention heads forward (QKᵀ, softmax, PV)"
            case .attentionBackward: "attention heads backward"
            case .layerNorm: "LayerNorm forward and backward"
            case .optimizer: "gradient norm and AdamW"
            }
        }

        /// The phase of a `gemm` call by its operands' transposition.
        static func gemm(_ transA: Transpose, _ transB: Transpose) -> Phase {
            transA == .transposed ? .gemmAtB : transB == .transposed ? .gemmABt : .gemmAB
        }
    }

    /// One phase's totals since `start`.
    public struct Total: Sendable {
        public var seconds = 0.0
        public var flops = 0.0
        public var calls = 0
    }

    nonisolated(unsafe) private static var owner: pthread_t?
    nonisolated(unsafe) private static var totals = [Total](repeating: Total(), count: Phase.allCases.count)
    nonisolated(unsafe) private static var open: [Phase] = []
    nonisolated(unsafe) private static var since: UInt64 = 0

    /// Starts timing on the calling thread, from zero.
    public static func start() {
        totals = [Total](repeating: Total(), count: Phase.allCases.count)
        open = []
        owner = pthread_self()
    }

    /// Stops timing and returns each phase's totals.
    public static func stop() -> [(phase: Phase, total: Total)] {
        owner = nil
        return Phase.allCases.map { ($0, totals[$0.rawValue]) }
    }

    /// Runs `body`, counting its time (less any nested phase's) and `flops` in `phase`.
    @discardableResult
    public static func measure<T>(_ phase: Phase, flops: Double = 0, _ body: () throws -> T) rethrows -> T {
        guard let owner, pthread_equal(owner, pthread_self()) != 0 else { return try body() }
        enter(phase, flops: flops)
        defer { leave() }
        return try body()
    }

    private static func enter(_ phase: Phase, flops: Double) {
        let now = DispatchTime.now().uptimeNanoseconds
        if let outer = open.last { totals[outer.rawValue].seconds += Double(now - since) / 1e9 }
        open.append(phase)
        totals[phase.rawValue].flops += flops
        totals[phase.rawValue].calls += 1
        since = now
    }

    private static func leave() {
        let now = DispatchTime.now().uptimeNanoseconds
        totals[open.removeLast().rawValue].seconds += Double(now - since) / 1e9
        since = now
    }
}
