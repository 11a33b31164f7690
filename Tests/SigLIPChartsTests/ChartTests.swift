import Foundation
import SigLIPImage
import Testing
@testable import SigLIPCharts

/// Charts: tick choice, then rendering.
@Suite struct ChartTests {}

extension ChartTests {
    @Suite("Chart ticks") struct Ticks {
        @Test(arguments: [(0.7, 1.0), (1.0, 1.0), (1.01, 2.0), (2.0, 2.0), (2.2, 5.0), (5.0, 5.0), (5.1, 10.0),
                          (0.013, 0.02), (3.3e14, 5e14), (0.0, 1.0), (-.infinity, 1.0)])
        func niceStepIsOneTwoOrFiveTimesAPowerOfTen(rough: Double, expected: Double) {
            let step = ChartTicks.niceStep(rough)
            #expect(abs(step - expected) <= 1e-12 * expected, "niceStep(\(rough)) = \(step), expected \(expected)")
        }

        @Test func linearTicksAreStepMultiplesInsideTheRange() {
            let ticks = ChartTicks.linear(lower: -0.13, upper: 2.31, targetCount: 5)
            #expect(ticks.labels == ["0.0", "0.5", "1.0", "1.5", "2.0"])
            let small = ChartTicks.linear(lower: 0.0, upper: 1.0, targetCount: 5)
            #expect(small.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
            #expect(ChartTicks.linear(lower: -2, upper: 2, targetCount: 4).labels == ["-2", "-1", "0", "1", "2"])
        }

        @Test func largeValuesUseScientificNotation() {
            let ticks = ChartTicks.linear(lower: 0, upper: 1.1e15, targetCount: 6)
            #expect(ticks.labels == ["0", "2e14", "4e14", "6e14", "8e14", "1e15"])
            let halves = ChartTicks.linear(lower: 0, upper: 1.6e6, targetCount: 4)
            #expect(halves.labels == ["0", "5e5", "1e6", "1.5e6"])
            #expect(ChartTicks.labels([2.5e14], resolution: 5e13) == ["2.5e14"])
            #expect(ChartTicks.labels([1e-4, 2e-4], resolution: 1e-4) == ["1e-4", "2e-4"])
            #expect(ChartTicks.labels([9.9996e5], resolution: 1e5) == ["1e6"])
        }

        @Test func logTicksAreDecadesOrOneTwoFive() {
            #expect(ChartTicks.log10(lower: 3e12, upper: 4e15).labels == ["1e13", "1e14", "1e15"])
            #expect(ChartTicks.log10(lower: 0.9, upper: 60).labels == ["1", "2", "5", "10", "20", "50"])
            let wide = ChartTicks.log10(lower: 1, upper: 1e12, maxCount: 7)
            #expect(wide.labels == ["1e0", "1e2", "1e4", "1e6", "1e8", "1e10", "1e12"])
            let narrow = ChartTicks.log10(lower: 2.1, upper: 4.5)
            #expect(narrow.values.count >= 2 && narrow.values.allSatisfy { $0 >= 2.1 && $0 <= 4.5 })
        }

        @Test func degenerateRangesGiveNoTicks() {
            #expect(ChartTicks.linear(lower: 1, upper: 1).values.isEmpty)
            #expect(ChartTicks.linear(lower: .nan, upper: 1).values.isEmpty)
            #expect(ChartTicks.log10(lower: -1, upper: 10).values.isEmpty)
        }

        @Test func axesPadConstantAndEmptyData() {
            let constant = ChartAxis(fitting: [0.5, 0.5, .nan], scale: .linear)
            #expect(constant.lower < 0.5 && constant.upper > 0.5)
            let empty = ChartAxis(fitting: [], scale: .log10)
            #expect(empty.lower > 0 && empty.upper > empty.lower)
            let zero = ChartAxis(fitting: [0, 0], scale: .linear)
            #expect(zero.lower < 0 && zero.upper > 0)
        }
    }
}

extension ChartTests {
    @Suite("Chart rendering") struct Rendering {
        static let steps: [CurvePoint] = (0..<300).map { i in
            let examples = Double(i + 1) * 4096
            let noise = 0.6 * sin(Double(i) * 1.7) * cos(Double(i) * 0.31) * exp(-Double(i) / 200)
            return CurvePoint(examples: examples, flops: examples * 3.2e9, loss: 18 * exp(-Double(i) / 60) + 2 + noise)
        }
        static let evaluations: [EvalPoint] = [1, 2].flatMap { rounds in
            stride(from: 30, through: 300, by: 30).map { i in
                let examples = Double(i) * 4096
                let top1 = (0.05 + 0.4 * (1 - exp(-Double(i) / 120))) * (rounds == 2 ? 1.15 : 1)
                return EvalPoint(examples: examples, flops: examples * 3.2e9 * Double(rounds), top1: top1, rounds: rounds)
            }
        }

        /// Number of pixels within `tolerance` of `color` inside the rectangle.
        func count(_ color: ChartColor, in image: RGBImage, tolerance: Int = 0,
                   x: Range<Int>? = nil, y: Range<Int>? = nil) -> Int {
            var total = 0
            for row in y ?? 0..<image.height {
                for column in x ?? 0..<image.width {
                    let i = (row * image.width + column) * 3
                    if abs(Int(image.pixels[i]) - Int(color.red)) <= tolerance,
                       abs(Int(image.pixels[i + 1]) - Int(color.green)) <= tolerance,
                       abs(Int(image.pixels[i + 2]) - Int(color.blue)) <= tolerance { total += 1 }
                }
            }
            return total
        }

        @Test func renderingIsDeterministic() throws {
            let first = TrainingCurves.render(steps: Rendering.steps, evaluations: Rendering.evaluations, title: "run")
            let second = TrainingCurves.render(steps: Rendering.steps, evaluations: Rendering.evaluations, title: "run")
            #expect(first == second)
            #expect(try PNGEncoder.encode(first) == PNGEncoder.encode(second))
        }

        @Test func seriesColoursAppearInThePlotArea() {
            let red = ChartColor.series(3), green = ChartColor.series(2)
            let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [
                .init(name: "up", points: [(0, 0), (1, 1), (2, 4)], color: red),
                .init(name: "down", points: [(0, 4), (1, 2), (2, 0)], color: green),
            ])
            let image = chart.render(width: 400, height: 300)
            #expect(image.width == 400 && image.height == 300)
            let plot = ChartLayout(chart: chart, x: 0, y: 0, width: 400, height: 300)
            let xs = plot.plotX + 1 ..< plot.plotX + plot.plotWidth - 1, ys = plot.plotY + 1 ..< plot.plotY + plot.plotHeight - 1
            #expect(count(red, in: image, x: xs, y: ys) > 100)
            #expect(count(green, in: image, x: xs, y: ys) > 100)
            #expect(count(.white, in: image, x: xs, y: ys) < xs.count * ys.count)
        }

        @Test func emptyNaNAndConstantInputRenderWithoutCrashing() {
            let inputs: [[(Double, Double)]] = [
                [], [(1, 1)], [(.nan, 1), (2, .infinity), (3, -.infinity)], [(0, 5), (1, 5), (2, 5)],
                [(1, 2), (.nan, .nan), (3, 4)], [(-1, -1), (0, 0)], [(1e300, 1e-300), (-1e300, 1e300)],
                [(-.greatestFiniteMagnitude, .greatestFiniteMagnitude), (.greatestFiniteMagnitude, Double.leastNormalMagnitude / 1e12)],
            ]
            for points in inputs {
                for scales in [(AxisScale.linear, AxisScale.linear), (.log10, .log10)] {
                    let chart = LineChart(title: "edge", xLabel: "x", yLabel: "y",
                                          series: [.init(name: "s", points: points, color: .series(0))],
                                          xScale: scales.0, yScale: scales.1)
                    let image = chart.render(width: 320, height: 240)
                    #expect(image.pixels.count == 320 * 240 * 3)
                }
            }
            let single = LineChart(series: [.init(name: "one", points: [(3, 7)], color: .series(3))]).render(width: 300, height: 200)
            #expect(count(.series(3), in: single) > 10, "a single point draws a marker")
            #expect(TrainingCurves.render(steps: [], evaluations: [], title: "empty").width == 1600)
        }

        /// A point with a NaN (or, on a log axis, non-positive) coordinate does not stretch the other axis.
        @Test func unplottablePointsDoNotWidenTheRange() {
            let chart = LineChart(series: [.init(name: "", points: [(0, 1), (1, 2), (5, .nan), (-3, 0)], color: .black)],
                                  yScale: .log10)
            let layout = ChartLayout(chart: chart, x: 0, y: 0, width: 400, height: 300)
            #expect(layout.xAxis.lower > -0.5 && layout.xAxis.upper < 1.5)
        }

        @Test func tinyAndZeroSizesDoNotCrash() {
            let chart = LineChart(title: "t", series: [.init(name: "a", points: [(0, 0), (1, 1)], color: .black)])
            for (w, h) in [(0, 0), (1, 1), (10, 300), (300, 10), (40, 40)] {
                #expect(chart.render(width: w, height: h).pixels.count == w * h * 3)
            }
        }

        @Test func fontCoversPrintableASCII() {
            #expect(BitmapFont.glyphs.count == 95 * BitmapFont.glyphHeight)
            #expect(BitmapFont.glyphs.allSatisfy { $0 < 0x20 })
            let letters = (33...126).filter { BitmapFont.rows(of: Unicode.Scalar($0)!).allSatisfy { $0 == 0 } }
            #expect(letters.isEmpty, "blank glyphs: \(letters)")
        }

        /// Centred windows reproduce a straight line (no lag) except where cut at the end;
        /// non-finite values pass through untouched.
        @Test func smoothingHasNoLagAndSkipsNaN() {
            var ramp = (0..<400).map { Double($0) * 0.5 }
            ramp[100] = .nan
            let smooth = TrainingCurves.smoothed(ramp)
            #expect(smooth[100].isNaN)
            for i in [0, 1, 50, 99, 101, 200, 389] where abs(i - 100) > 10 {
                #expect(abs(smooth[i] - ramp[i]) <= 1e-9, "step \(i): \(smooth[i]) vs \(ramp[i])")
            }
            #expect(TrainingCurves.smoothed(Array(repeating: 0.7, count: 50)).allSatisfy { abs($0 - 0.7) <= 1e-12 })
        }
    }
}
