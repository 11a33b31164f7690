import CKernels
import Dispatch

/// The machine's floating-point peak, measured rather than looked up: every thread runs
/// independent vector multiply-adds (`ck_fma_loop`) at the same time, so the figure includes
/// the clock the cores actually hold under load (lower than the rated boost on many servers,
/// and on shared machines). The yardstick for model-FLOP utilisation beside sgemm's.
public enum FMAPeak {
    /// The probe's arithmetic on one thread: 12 chains c = 0…11, each x ← x·0.999999 + 1e-7 from
    /// x = c/1000, `iterations` times (fused at AVX2 and AVX-512), summed per lane in chain order,
    /// then over the lanes in order. `FMAPeakTests` holds it against the same sum in Swift.
    public static func probe(iterations: Int, level: InstructionSet = .selected) -> Float {
        var sink: Float = 0
        ck_fma_loop(Int32(level.rawValue), iterations, &sink)
        return sink
    }

    /// FLOP/s on `threads` threads at `level`: the median of `repeats` timed rounds of about
    /// `seconds` each (after one calibration round).
    public static func measure(threads: Int = ComputeThreads.current, level: InstructionSet = .selected,
                               seconds: Double = 0.2, repeats: Int = 5) -> Double {
        let lanes = InstructionSet.kernels(for: level) == .avx512 ? 16 : 8
        let flopsPerIteration = Double(2 * 12 * lanes)   // 12 chains of one FMA (2 FLOPs) per lane
        /// Wall time of every thread running `iterations` rounds at once.
        func run(_ iterations: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            runOnThreads(threads) { _ in precondition(probe(iterations: iterations, level: level).isFinite) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let calibration = 1 << 20
        let iterations = max(calibration, Int(Double(calibration) * seconds / max(run(calibration), 1e-6)))
        let times = (0..<max(repeats, 1)).map { _ in run(iterations) }.sorted()
        return Double(threads) * Double(iterations) * flopsPerIteration / times[times.count / 2]
    }
}
