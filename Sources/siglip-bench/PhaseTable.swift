import Foundation
import SigLIPCore

/// `--phases`: where a step's wall time goes (`PhaseClock`), per step, over a few steps timed
/// after the benchmark's own.
struct PhaseTable: Codable {
    struct Row: Codable {
        let phase: String
        let msPerStep: Double
        let share: Double
        /// nil for phases whose work is not counted in FLOPs.
        let gflops: Double?
        let callsPerStep: Int

        enum CodingKeys: String, CodingKey {
            case phase, share, gflops, msPerStep = "ms_per_step", callsPerStep = "calls_per_step"
        }
    }

    let msPerStep: Double
    let rows: [Row]

    enum CodingKeys: String, CodingKey { case rows, msPerStep = "ms_per_step" }

    /// Times `steps` runs of `body` with the phase clock on; the last row is the rest of the
    /// step (wall time outside every phase).
    static func measure(steps: Int, _ body: () throws -> Void) rethrows -> PhaseTable {
        let steps = max(steps, 1)
        PhaseClock.start()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { try body() }
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        let totals = PhaseClock.stop()
        var rows = totals.map { phase, t in
            Row(phase: phase.name, msPerStep: 1000 * t.seconds / Double(steps), share: t.seconds / Double(steps) / total,
                gflops: t.flops > 0 ? t.flops / t.seconds / 1e9 : nil, callsPerStep: t.calls / steps)
        }
        let rest = total - totals.reduce(0) { $0 + $1.total.seconds } / Double(steps)
        rows.append(Row(phase: "the rest (embeddings, pooling, loss, copies)", msPerStep: 1000 * rest, share: rest / total,
                        gflops: nil, callsPerStep: 0))
        return PhaseTable(msPerStep: 1000 * total, rows: rows)
    }

    func lines(fmaFLOPsPerSecond fma: Double) -> [String] {
        [String(format: "  phases over further steps: %.1f ms/step", msPerStep)] + rows.filter { $0.callsPerStep > 0 || $0.msPerStep > 0.05 }.map { r in
            let rate = r.gflops.map { String(format: "%6.1f GFLOP/s (%3.0f%% of FMA peak)", $0, 100 * $0 * 1e9 / fma) } ?? ""
            return "  " + r.phase.padding(toLength: 46, withPad: " ", startingAt: 0)
                + String(format: "%9.1f ms %5.1f%%  %5d calls  %@", r.msPerStep, 100 * r.share, r.callsPerStep, rate as NSString)
        }
    }
}
