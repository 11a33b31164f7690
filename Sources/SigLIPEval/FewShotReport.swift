import Foundation

/// The accuracy of the probe at one shots value and λ over the draws. Accuracies are fractions
/// in [0, 1].
public struct FewShotCell: Codable, Equatable, Sendable {
    public var shots: Int
    public var l2: Double
    /// Shots × classes.
    public var trainImages: Int
    /// Images tested in each draw.
    public var testImages: Int
    /// One per draw, in draw order.
    public var accuracies: [Double]
    public var mean: Double
    /// The sample standard deviation over draws (n − 1); nil for a single draw.
    public var sd: Double?
    public var min: Double
    public var max: Double
    /// Against the baseline checkpoint on the same draws (nil without one): the mean of the
    /// per-draw accuracy differences (this − baseline) and their sample standard deviation.
    public var gainOverBaseline: Double?
    public var gainOverBaselineSD: Double?

    enum CodingKeys: String, CodingKey {
        case shots, l2, trainImages = "train_images", testImages = "test_images", accuracies, mean, sd, min, max
        case gainOverBaseline = "gain_over_baseline", gainOverBaselineSD = "gain_over_baseline_sd"
    }

    public init(shots: Int, l2: Double, trainImages: Int, testImages: Int, accuracies: [Double]) {
        precondition(!accuracies.isEmpty)
        self.shots = shots
        self.l2 = l2
        self.trainImages = trainImages
        self.testImages = testImages
        self.accuracies = accuracies
        (mean, sd) = Self.meanAndSD(accuracies)
        min = accuracies.min()!
        max = accuracies.max()!
    }

    /// Sets `gainOverBaseline` and its SD from the baseline's cell of the same shots and λ,
    /// draw by draw.
    public mutating func compare(with baseline: FewShotCell) {
        precondition(baseline.shots == shots && baseline.l2 == l2 && baseline.accuracies.count == accuracies.count)
        (gainOverBaseline, gainOverBaselineSD) = Self.meanAndSD(zip(accuracies, baseline.accuracies).map { $0 - $1 })
    }

    /// The mean and the sample standard deviation (n − 1; nil for one value).
    static func meanAndSD(_ values: [Double]) -> (Double, Double?) {
        let n = Double(values.count), mean = values.reduce(0, +) / n
        let sd = values.count > 1 ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot() : nil
        return (mean, sd)
    }
}

/// One checkpoint's probe at one number of recursion rounds.
public struct FewShotRoundsResult: Codable, Equatable, Sendable {
    public var rounds: Int
    public var flopsPerImage: Double
    /// One per (shots, λ), shots-major, in the order asked.
    public var cells: [FewShotCell]

    enum CodingKeys: String, CodingKey { case rounds, flopsPerImage = "flops_per_image", cells }

    public init(rounds: Int, flopsPerImage: Double, cells: [FewShotCell]) {
        self.rounds = rounds
        self.flopsPerImage = flopsPerImage
        self.cells = cells
    }

    /// Compares every cell with the baseline's cell of the same shots and λ (the baseline
    /// probed on the same draws).
    public mutating func compare(with baseline: FewShotRoundsResult) {
        for i in cells.indices {
            if let match = baseline.cells.first(where: { $0.shots == cells[i].shots && $0.l2 == cells[i].l2 }) {
                cells[i].compare(with: match)
            }
        }
    }
}

/// One checkpoint evaluated at one or more rounds values.
public struct FewShotCheckpointResult: Codable, Equatable, Sendable {
    public var checkpoint: String
    /// "candidate" or "baseline".
    public var role: String
    public var results: [FewShotRoundsResult]

    public init(checkpoint: String, role: String, results: [FewShotRoundsResult]) {
        self.checkpoint = checkpoint
        self.role = role
        self.results = results
    }
}

/// The few-shot report, `Codable` for `--json` (snake_case keys).
public struct FewShotReport: Codable, Equatable, Sendable {
    /// The benchmark root and its layout (`FewShotBenchmark.Layout`).
    public var data: String
    public var layout: String
    public var classes: Int
    /// Decodable images of the shot pool, and images tested in each draw.
    public var poolImages: Int
    public var testImages: Int
    public var skipped: [SkippedImage]
    public var shots: [Int]
    public var l2: [Double]
    public var draws: Int
    public var seed: UInt64
    public var checkpoints: [FewShotCheckpointResult]

    enum CodingKeys: String, CodingKey {
        case data, layout, classes, poolImages = "pool_images", testImages = "test_images", skipped, shots, l2, draws, seed, checkpoints
    }

    public init(data: String, layout: FewShotBenchmark.Layout, classes: Int, poolImages: Int, testImages: Int,
                skipped: [SkippedImage], settings: FewShotSettings, checkpoints: [FewShotCheckpointResult]) {
        self.data = data
        self.layout = layout.rawValue
        self.classes = classes
        self.poolImages = poolImages
        self.testImages = testImages
        self.skipped = skipped
        shots = settings.shots
        l2 = settings.l2
        draws = settings.draws
        seed = settings.seed
        self.checkpoints = checkpoints
    }
}

extension ReportTable {
    /// The few-shot table: one row per checkpoint, rounds value and λ; one column per shots
    /// value with the mean accuracy over draws ± its standard deviation.
    ///
    ///     checkpoint  rounds     λ  1-shot          5-shot          GFLOPs/img
    ///     rins             2  1024  21.30 ± 1.10%   40.12 ± 0.80%        0.132
    public static func fewShot(_ report: FewShotReport) -> String {
        let header = ["checkpoint", "rounds", "λ"] + report.shots.map { "\($0)-shot" } + ["GFLOPs/img"]
        var rows: [[String]] = []
        for checkpoint in report.checkpoints {
            let name = URL(fileURLWithPath: checkpoint.checkpoint).lastPathComponent + (checkpoint.role == "baseline" ? " (baseline)" : "")
            for result in checkpoint.results {
                for lambda in report.l2 {
                    let cells = report.shots.map { shots in result.cells.first { $0.shots == shots && $0.l2 == lambda } }
                    rows.append([name, String(result.rounds), String(format: "%g", lambda)]
                                + cells.map { $0.map(meanAndSpread) ?? "—" } + [String(format: "%.4g", result.flopsPerImage / 1e9)])
                }
            }
        }
        return align([header] + rows, leftColumns: 1)
    }

    /// The paired gains over the baseline, when there is one: one row per candidate rounds
    /// value and λ, the mean ± sd over draws of (candidate − baseline) accuracy, in points.
    public static func fewShotGains(_ report: FewShotReport) -> String? {
        guard let candidate = report.checkpoints.first(where: { $0.role == "candidate" }),
              candidate.results.contains(where: { $0.cells.contains { $0.gainOverBaseline != nil } }) else { return nil }
        let header = ["checkpoint", "rounds", "λ"] + report.shots.map { "\($0)-shot" }
        var rows: [[String]] = []
        for result in candidate.results {
            for lambda in report.l2 {
                let cells = report.shots.map { shots in result.cells.first { $0.shots == shots && $0.l2 == lambda } }
                rows.append([URL(fileURLWithPath: candidate.checkpoint).lastPathComponent, String(result.rounds), String(format: "%g", lambda)]
                            + cells.map { cell in
                                cell?.gainOverBaseline.map { gain in
                                    points(gain) + (cell?.gainOverBaselineSD.map { String(format: " ± %.2f", 100 * $0) } ?? "")
                                } ?? "—"
                            })
            }
        }
        return align([header] + rows, leftColumns: 1)
    }

    /// "21.30 ± 1.10%" (mean ± sd in points), or "21.30%" for a single draw.
    static func meanAndSpread(_ cell: FewShotCell) -> String {
        cell.sd.map { String(format: "%.2f ± %.2f%%", 100 * cell.mean, 100 * $0) } ?? percent(cell.mean)
    }
}
