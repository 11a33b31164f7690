import Foundation

/// Plain-text renderings of the reports, for the command line.
public enum ReportTable {
    /// The rounds table: one row per checkpoint and rounds value with top-1, top-5, images and
    /// inference GFLOPs per image, the top-1 difference from the same model at 1 round (what
    /// cutting the recursion costs: not a gain over a baseline) and the gain over the baseline
    /// checkpoint (points).
    ///
    ///     checkpoint  rounds   top-1   top-5  images  GFLOPs/img  vs 1 round  Δ baseline
    ///     rins            1   41.20%  70.00%     250       0.132          —       +1.20
    public static func rounds(_ report: ZeroShotReport) -> String {
        let header = ["checkpoint", "rounds", "top-1", "top-\(report.checkpoints.first?.results.first?.topK ?? 5)",
                      "images", "GFLOPs/img", "vs 1 round", "Δ baseline"]
        var rows: [[String]] = []
        for checkpoint in report.checkpoints {
            let name = URL(fileURLWithPath: checkpoint.checkpoint).lastPathComponent
                + (checkpoint.role == "baseline" ? " (baseline)" : "")
            for r in checkpoint.results {
                rows.append([name, String(r.rounds), percent(r.top1), percent(r.top5), String(r.images),
                             String(format: "%.4g", r.flopsPerImage / 1e9), points(r.gainOverOneRound), points(r.gainOverBaseline)])
            }
        }
        return align([header] + rows, leftColumns: 1)
    }

    /// The worst classes and most frequent confusions of one result.
    public static func details(_ r: RoundsResult, rounds label: String) -> String {
        var lines = ["worst classes (\(label)):"]
        lines += r.worstClasses.map { "  \(percent($0.accuracy)) of \($0.images)  \($0.name)" }
        lines.append("most frequent confusions (\(label)):")
        lines += r.confusions.isEmpty ? ["  none"] : r.confusions.map { "  \($0.count)×  \($0.truth) → \($0.predicted)" }
        return lines.joined(separator: "\n")
    }

    /// The retrieval table.
    public static func retrieval(_ r: RetrievalReport) -> String {
        let ks = r.imageToText.keys.compactMap(Int.init).sorted()
        let header = ["direction"] + ks.map { "R@\($0)" }
        let rows = [["image→text"] + ks.map { percent(r.imageToText[String($0)] ?? 0) },
                    ["text→image"] + ks.map { percent(r.textToImage[String($0)] ?? 0) }]
        return align([header] + rows, leftColumns: 1)
    }

    public static func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

    /// A gain in percentage points, "+1.20", or "—" when absent.
    public static func points(_ x: Double?) -> String { x.map { String(format: "%+.2f", 100 * $0) } ?? "—" }

    static func align(_ table: [[String]], leftColumns: Int) -> String {
        let widths = table[0].indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c < leftColumns ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
