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

    /// One phase's calls with the same detail (a GEMM's shape, backend and epilogue).
    struct DetailRow: Codable {
        let phase: String
        let detail: String
        let msPerStep: Double
        let gflops: Double?
        let callsPerStep: Double

        enum CodingKeys: String, CodingKey {
            case phase, detail, gflops, msPerStep = "ms_per_step", callsPerStep = "calls_per_step"
        }
    }

    let msPerStep: Double
    let rows: [Row]
    /// The details that took longest, the longest first (`detailLines` prints them).
    let details: [DetailRow]

    enum CodingKeys: String, CodingKey { case rows, details, msPerStep = "ms_per_step" }

    /// How many details `measure` keeps.
    static let maxDetails = 12

    /// Times `steps` runs of `body` with the phase clock on; the last row is the rest of the
    /// step (wall time outside every phase).
    static func measure(steps: Int, _ body: () throws -> Void) rethrows -> PhaseTable {
        let steps = max(steps, 1)
        PhaseClock.start()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { try body() }
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        let totals = PhaseClock.stop()
        let details = PhaseClock.details().prefix(maxDetails).map { d, t in
            DetailRow(phase: d.phase.name, detail: d.detail, msPerStep: 1000 * t.seconds / Double(steps),
                      gflops: t.gflops, callsPerStep: Double(t.calls) / Double(steps))
        }
        var rows = totals.map { phase, t in
            Row(phase: phase.name, msPerStep: 1000 * t.seconds / Double(steps), share: t.seconds / Double(steps) / total,
                gflops: t.gflops, callsPerStep: t.calls / steps)
        }
        let rest = total - totals.reduce(0) { $0 + $1.total.seconds } / Double(steps)
        rows.append(Row(phase: "the rest (embeddings, pooling, loss, copies)", msPerStep: 1000 * rest, share: rest / total,
                        gflops: nil, callsPerStep: 0))
        return PhaseTable(msPerStep: 1000 * total, rows: rows, details: details)
    }

    func lines(fmaFLOPsPerSecond fma: Double) -> [String] {
        [String(format: "  phases over further steps: %.1f ms/step", msPerStep)] + rows.filter { $0.callsPerStep > 0 || $0.msPerStep > 0.05 }.map { r in
            "  " + r.phase.padding(toLength: 46, withPad: " ", startingAt: 0)
                + String(format: "%9.1f ms %5.1f%%  %5d calls  %@", r.msPerStep, 100 * r.share, r.callsPerStep,
                         Self.rate(r.gflops, fma) as NSString)
        } + detailLines(fmaFLOPsPerSecond: fma)
    }

    /// The details, longest first: for GEMMs op(A)·op(B) as M×N×K, the backend and what the pass adds.
    func detailLines(fmaFLOPsPerSecond fma: Double) -> [String] {
        guard !details.isEmpty else { return [] }
        return ["  the \(details.count) longest of them by shape (GEMMs: M×N×K, backend, what the pass adds):"] + details.map { d in
            let phase = d.phase.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? d.phase
            return "    " + "\(phase)  \(d.detail)".padding(toLength: 52, withPad: " ", startingAt: 0)
                + String(format: "%7.1f ms  %5.1f calls  %@", d.msPerStep, d.callsPerStep, Self.rate(d.gflops, fma) as NSString)
        }
    }

    /// "GFLOP/s (share of the FMA peak)", or nothing for work not counted in FLOPs.
    static func rate(_ gflops: Double?, _ fma: Double) -> String {
        gflops.map { String(format: "%6.1f GFLOP/s (%3.0f%% of FMA peak)", $0, 100 * $0 * 1e9 / fma) } ?? ""
    }
}
