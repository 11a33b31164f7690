import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Where a step's wall time goes, by kind of work (`siglip-bench --phases`).
///
/// Off by default: `measure` then only checks one flag. On, it times on the thread that
/// started the clock (the one that drives the step; work it hands to the compute pool counts in
/// the phase that handed it over) and ignores calls from other threads. Times are exclusive: a
/// phase nested in another counts only in the inner one, but for products inside the attention
/// heads, which count in the heads (the MAP head's one-query products, say). The rest of the step (embeddings,
/// pooling, the loss's element-wise work, copies) is what the caller's own total minus the
/// sum of the phases leaves. A call may also name its `detail` (a GEMM's shape, backend and
/// epilogue): its time and FLOPs are then also totalled by phase and detail (`details`).
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

        var isProduct: Bool { self == .gemmABt || self == .gemmAB || self == .gemmAtB }
        var isAttention: Bool { self == .attentionForward || self == .attentionBackward }

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

        /// GFLOP/s over the time counted, or nil for work not counted in FLOPs.
        public var gflops: Double? { flops > 0 ? flops / seconds / 1e9 : nil }

        mutating func addCall(flops: Double) {
            self.flops += flops
            calls += 1
        }
    }

    nonisolated(unsafe) private static var owner: pthread_t?
    nonisolated(unsafe) private static var totals = [Total](repeating: Total(), count: Phase.allCases.count)
    nonisolated(unsafe) private static var open: [(phase: Phase, detail: Detail?)] = []
    nonisolated(unsafe) private static var detailTotals: [Detail: Total] = [:]
    nonisolated(unsafe) private static var since: UInt64 = 0

    /// A phase's calls that named the same detail.
    public struct Detail: Hashable, Sendable {
        public let phase: Phase
        public let detail: String

        public init(phase: Phase, detail: String) {
            self.phase = phase
            self.detail = detail
        }
    }

    /// Starts timing on the calling thread, from zero.
    public static func start() {
        totals = [Total](repeating: Total(), count: Phase.allCases.count)
        detailTotals = [:]
        open = []
        owner = pthread_self()
    }

    /// Stops timing and returns each phase's totals.
    public static func stop() -> [(phase: Phase, total: Total)] {
        owner = nil
        return Phase.allCases.map { ($0, totals[$0.rawValue]) }
    }

    /// The totals by phase and detail since `start` (of the calls that named one), the longest
    /// first.
    public static func details() -> [(detail: Detail, total: Total)] {
        detailTotals.map { ($0.key, $0.value) }.sorted { $0.total.seconds > $1.total.seconds }
    }

    /// Runs `body`, counting its time (less any nested phase's) and `flops` in `phase`, and in
    /// `detail` of it if given (only evaluated while the clock runs on this thread).
    @discardableResult
    public static func measure<T>(_ phase: Phase, flops: Double = 0, detail: @autoclosure () -> String? = nil,
                                  _ body: () throws -> T) rethrows -> T {
        guard let owner, pthread_equal(owner, pthread_self()) != 0 else { return try body() }
        if phase.isProduct, open.last?.phase.isAttention == true { return try body() }
        enter(phase, flops: flops, detail: detail().map { Detail(phase: phase, detail: $0) })
        defer { leave() }
        return try body()
    }

    private static func enter(_ phase: Phase, flops: Double, detail: Detail?) {
        let now = DispatchTime.now().uptimeNanoseconds
        if let outer = open.last { add(Double(now - since) / 1e9, to: outer) }
        open.append((phase, detail))
        totals[phase.rawValue].addCall(flops: flops)
        if let detail { detailTotals[detail, default: Total()].addCall(flops: flops) }
        since = now
    }

    private static func leave() {
        let now = DispatchTime.now().uptimeNanoseconds
        add(Double(now - since) / 1e9, to: open.removeLast())
        since = now
    }

    private static func add(_ seconds: Double, to entry: (phase: Phase, detail: Detail?)) {
        totals[entry.phase.rawValue].seconds += seconds
        if let detail = entry.detail { detailTotals[detail, default: Total()].seconds += seconds }
    }
}
