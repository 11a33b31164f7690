import Foundation
import SigLIPBase
import SigLIPCharts
import SigLIPImage
import SigLIPTraining

/// A result file as the report reads it back (the fields the plots and tables use).
struct StudyResultSummary: Decodable {
    var name: String
    var arm: String
    var seed: Int
    var phase: String
    var budget: Double
    var learningRate: Float
    var trainingFLOPs: Double
    var wallSeconds: Double
    var figures: [StudyEvaluation.Figure]
    var curve: StudyResultFile.Curve

    enum CodingKeys: String, CodingKey {
        case name, arm, seed, phase, budget, learningRate = "learning_rate", trainingFLOPs = "training_flops"
        case wallSeconds = "wall_seconds", figures, curve
    }

    static func readAll(in folder: URL) throws -> [StudyResultSummary] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let url = folder.appendingPathComponent(name)
            do { return try JSONDecoder().decode(StudyResultSummary.self, from: RegularFile.contents(of: url, limit: RegularFile.Limit.json)) } catch {
                throw SigLIPError(path: url.path, problem: "not a study result (\(error))")
            }
        }
    }

    /// The figure for (benchmark, split, rounds, metric), if evaluated.
    func value(_ benchmark: String, _ split: String, rounds: Int, _ metric: String) -> Double? {
        figures.first { $0.benchmark == benchmark && $0.split == split && $0.rounds == rounds && $0.metric == metric }?.value
    }
}

/// The study's plots, drawn with our chart code from the committed result files:
/// `rounds.png` (test accuracy against inference rounds per arm: mean over seeds and the
/// seeds' range), `curves.png` (dev top-1 and training loss against training FLOPs per arm,
/// mean over seeds) and `budgets.png` (test top-1 of the baseline and the best recursive arm
/// against the training budget).
enum StudyPlots {
    /// The grid's runs: every arm at every seed at budget 1 with its chosen rate.
    static func gridRuns(_ all: [StudyResultSummary], plan: StudyPlan, rates: [String: Float]) -> [StudyResultSummary] {
        all.filter { $0.budget == 1 && plan.seeds.contains($0.seed) && rates[$0.arm] == $0.learningRate }
    }

    static func write(_ all: [StudyResultSummary], plan: StudyPlan, rates: [String: Float], to folder: URL) throws -> [URL] {
        let grid = gridRuns(all, plan: plan, rates: rates)
        let arms = plan.arms.map(\.name).filter { arm in grid.contains { $0.arm == arm } }
        var written: [URL] = []
        func save(_ image: RGBImage, _ name: String) throws {
            let url = folder.appendingPathComponent(name)
            try PNGEncoder.write(image, to: url)
            written.append(url)
        }
        let classification = plan.benchmarks.filter { $0.kind == .classification }.map(\.name)
        var roundsCharts = classification.map { benchmark in
            roundsChart(grid, arms: arms, rounds: plan.evalRounds, title: "\(benchmark), test", yLabel: "top-1 (%)") {
                $0.value(benchmark, "test", rounds: $1, "top1")
            }
        }
        for benchmark in plan.benchmarks where benchmark.kind == .retrieval {
            roundsCharts.append(roundsChart(grid, arms: arms, rounds: plan.evalRounds, title: "\(benchmark.name), test",
                                            yLabel: "R@1 image->text (%)") { $0.value(benchmark.name, "test", rounds: $1, "i2t_r1") })
        }
        try save(ChartGrid(charts: roundsCharts, columns: roundsCharts.count,
                           title: "\(plan.name): test accuracy against inference rounds (mean over seeds; outline: the seeds' range)")
                    .render(width: 700 * roundsCharts.count, height: 650), "rounds.png")
        try save(ChartGrid(charts: [devCurve(grid, arms: arms), lossCurve(grid, arms: arms)], columns: 2,
                           title: "\(plan.name): training against compute (mean over seeds)").render(width: 1500, height: 650),
                 "curves.png")
        if let budgets = plan.budgets {
            let accuracy = budgetChart(all, plan: plan, rates: rates, multipliers: [1] + budgets.multipliers)
            try save(ChartGrid(charts: [accuracy, gainChart(accuracy, baseline: plan.baseline)], columns: 2,
                               title: "\(plan.name): the budgets").render(width: 1500, height: 650), "budgets.png")
        }
        return written
    }

    /// Per arm: the mean over seeds at each rounds value, and the seeds' range as an outline.
    static func roundsChart(_ runs: [StudyResultSummary], arms: [String], rounds: [Int], title: String, yLabel: String,
                            value: (StudyResultSummary, Int) -> Double?) -> LineChart {
        var series: [LineChart.Series] = []
        for (i, arm) in arms.enumerated() {
            var mean: [(Double, Double)] = [], low: [(Double, Double)] = [], high: [(Double, Double)] = []
            for r in rounds {
                // A model without recursion is evaluated once; its value holds at every rounds value.
                let values = runs.filter { $0.arm == arm }.compactMap { value($0, r) ?? value($0, rounds.min()!) }.map { 100 * $0 }
                guard !values.isEmpty else { continue }
                mean.append((Double(r), values.reduce(0, +) / Double(values.count)))
                low.append((Double(r), values.min()!))
                high.append((Double(r), values.max()!))
            }
            let color = ChartColor.series(i)
            series.append(.init(name: arm, points: mean, color: color, showsMarkers: true))
            if zip(low, high).contains(where: { $0.1 != $1.1 }) {   // the seeds' range, when the seeds differ
                series.append(.init(name: "\(arm) range", points: low + high.reversed() + low.prefix(1), color: color.lightened(0.6),
                                    lineWidth: 1))
            }
        }
        return LineChart(title: title, xLabel: "inference rounds", yLabel: yLabel, series: series)
    }

    static func devCurve(_ runs: [StudyResultSummary], arms: [String]) -> LineChart {
        let series = arms.enumerated().map { i, arm in
            let mine = runs.filter { $0.arm == arm }
            // Each seed's dev evaluations at its training rounds (the largest evaluated ≤ trained).
            var byStep: [Int: [(Double, Double)]] = [:]
            for run in mine {
                let trained = run.curve.evaluations.map(\.rounds).max() ?? 1
                for e in run.curve.evaluations where e.rounds == trained { byStep[e.step, default: []].append((e.flops, 100 * e.top1)) }
            }
            let points = byStep.keys.sorted().map { step -> (Double, Double) in
                let v = byStep[step]!
                return (v.map(\.0).reduce(0, +) / Double(v.count), v.map(\.1).reduce(0, +) / Double(v.count))
            }
            return LineChart.Series(name: arm, points: points, color: .series(i), showsMarkers: true)
        }
        return LineChart(title: "Dev top-1 (periodic benchmark) vs compute", xLabel: "training FLOPs", yLabel: "top-1 (%)",
                         series: series)
    }

    static func lossCurve(_ runs: [StudyResultSummary], arms: [String]) -> LineChart {
        let series = arms.enumerated().map { i, arm in
            let curves = runs.filter { $0.arm == arm }.map(\.curve.steps)
            let n = curves.map(\.count).min() ?? 0
            let points = (0..<n).map { j in
                (curves.map { $0[j][2] }.reduce(0, +) / Double(curves.count), curves.map { $0[j][3] }.reduce(0, +) / Double(curves.count))
            }
            return LineChart.Series(name: arm, points: points, color: .series(i))
        }
        return LineChart(title: "Training loss vs compute", xLabel: "training FLOPs", yLabel: "loss", series: series, xScale: .log10)
    }

    /// Each other series of `accuracy` minus the baseline's, at the budgets both have (in points,
    /// against the baseline's training FLOPs).
    static func gainChart(_ accuracy: LineChart, baseline: String) -> LineChart {
        let base = accuracy.series.first { $0.name == baseline }?.points ?? []
        let series = accuracy.series.filter { $0.name != baseline }.map { s in
            LineChart.Series(name: "\(s.name) - \(baseline)", points: zip(base, s.points).map { ($0.0, $1.1 - $0.1) },
                             color: s.color, showsMarkers: true)
        }
        // ASCII only: the chart font has no minus sign or delta.
        return LineChart(title: "Gain over the baseline at equal compute", xLabel: "training FLOPs",
                         yLabel: "gain in top-1 (points)", series: series, xScale: .log10)
    }

    /// Test top-1 on the periodic benchmark at each budget (seed of the budgets), per arm there,
    /// at the arm's training rounds (as the report's budgets table reads it).
    static func budgetChart(_ all: [StudyResultSummary], plan: StudyPlan, rates: [String: Float], multipliers: [Double]) -> LineChart {
        let seed = plan.budgets!.seed
        let arms = plan.arms.map(\.name).filter { arm in all.contains { $0.arm == arm && $0.budget != 1 && $0.seed == seed } }
        let series = arms.enumerated().map { i, arm in
            let points = multipliers.sorted().compactMap { m -> (Double, Double)? in
                guard let run = all.first(where: { $0.arm == arm && $0.seed == seed && $0.budget == m && rates[arm] == $0.learningRate }) else {
                    return nil
                }
                return run.value(plan.periodic, "test", rounds: plan.trainingRounds(of: arm), "top1").map { (run.trainingFLOPs, 100 * $0) }
            }
            return LineChart.Series(name: arm, points: points, color: .series(i), showsMarkers: true)
        }
        return LineChart(title: "\(plan.periodic) test top-1 at the training rounds (seed \(seed))", xLabel: "training FLOPs",
                         yLabel: "top-1 (%)", series: series, xScale: .log10)
    }
}
