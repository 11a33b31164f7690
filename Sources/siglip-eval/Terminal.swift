import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SigLIPBase
import SigLIP
import SigLIPEval

/// Messages and progress on standard error (standard output carries the results).
enum Terminal {
    static func note(_ line: String) {
        writeStandardError(line + "\n")
    }

    static var isInteractive: Bool { isatty(STDERR_FILENO) != 0 }
}

/// A progress bar with rate and ETA on a terminal; a plain line every 10% otherwise.
final class ProgressDisplay {
    private let interactive = Terminal.isInteractive
    private var phase: EvalProgress.Phase?
    private var started = Date()
    private var lastDecile = -1
    private var lastDraw = Date.distantPast
    private let label: String

    init(label: String = "") { self.label = label }

    func update(_ p: EvalProgress) {
        if p.phase != phase {
            if phase != nil && interactive { Terminal.note("") }
            phase = p.phase
            started = Date()
            lastDecile = -1
        }
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(p.done) / elapsed : 0
        let unit = p.phase == .images ? "img" : "txt"
        if interactive {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || p.done == p.total else { return }
            lastDraw = Date()
            let width = 30, filled = p.total == 0 ? width : width * p.done / p.total
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let eta = rate > 0 ? Self.clock(Double(p.total - p.done) / rate) : "--:--"
            let line = "\r\(label)\(p.phase.rawValue) [\(bar)] \(p.done)/\(p.total)  \(String(format: "%.1f", rate)) \(unit)/s  ETA \(eta)"
            writeStandardError(line)
            if p.done == p.total { writeStandardError("\n"); phase = nil }
        } else {
            let decile = p.total == 0 ? 10 : 10 * p.done / p.total
            guard decile > lastDecile else { return }
            lastDecile = decile
            Terminal.note("\(label)\(p.phase.rawValue): \(p.done)/\(p.total) (\(String(format: "%.1f", rate)) \(unit)/s)")
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = displaySeconds(seconds)
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Writes a Codable report as pretty JSON with sorted keys; with `computed`, also a top-level
/// `compute`: the setup that computed it (`ComputeSetup`; the accuracies can differ across
/// setups only by rounding near ties, but a comparison across machines should be able to tell).
func writeJSON<T: Encodable>(_ value: T, to path: String, computed: Bool = true) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
        let data = computed ? try encoder.encode(ComputedReport(report: value, compute: .current)) : try encoder.encode(value)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw SigLIPError(path: path, problem: "cannot write the JSON report (\(error.localizedDescription))")
    }
}

/// The rounds to evaluate `encoder` at (nil: 1 up to its training rounds), announced on the
/// terminal as `role: path (rounds …)`. A model whose image tower does not recurse runs the
/// same blocks at every rounds value, so it is evaluated once, at the smallest asked for.
func roundsToEvaluate(_ encoder: any ZeroShotEncoder, asked rounds: [Int]?, path: String, role: String) -> [Int] {
    var values = rounds ?? Array(1...max(1, encoder.defaultRounds))
    if !encoder.imageTowerRecurses && values.count > 1 {
        Terminal.note("note: \(path) has no recursion in its image tower: rounds \(values.map(String.init).joined(separator: ",")) "
                      + "all run the same blocks, so it is evaluated once")
        values = [values.min()!]
    }
    Terminal.note("\(role): \(path) (rounds \(values.map(String.init).joined(separator: ",")))")
    return values
}

/// A report's own keys and `compute` beside them, in one JSON object (readers of the report's
/// type ignore the extra key).
private struct ComputedReport<Report: Encodable>: Encodable {
    let report: Report
    let compute: ComputeSetup

    enum CodingKeys: String, CodingKey { case compute }

    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(compute, forKey: .compute)
    }
}
