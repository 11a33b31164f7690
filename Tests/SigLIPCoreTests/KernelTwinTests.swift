import Foundation
import SigLIPCore
import SigLIPTestSupport
import Testing

/// Every optimised kernel against its plain twin, at odd sizes and at sizes large enough to
/// split across threads.
@Suite("Kernels vs their plain twins") struct KernelTwinTests {
    /// Float32 kernels vs Double twins: |a - b| <= 1e-5 + 1e-4 |b|.
    static let absoluteTolerance: Float = 1e-5
    static let relativeTolerance: Float = 1e-4

    static let shapes: [(rows: Int, columns: Int)] = [(1, 1), (3, 7), (17, 33), (129, 65), (512, 257)]

    func expectClose(_ actual: [Float], _ expected: [Float], _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        SigLIPTestSupport.expectClose(actual, expected, atol: Self.absoluteTolerance, rtol: Self.relativeTolerance, label,
                                      sourceLocation: sourceLocation)
    }

    func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * g.nextNormal() }
    }

    @Test(arguments: [(Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed)])
    func gemmMatchesReference(_ transA: Transpose, _ transB: Transpose) {
        // The last two are large enough to be split over threads, by rows and by columns of C.
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (31, 17, 65), (64, 48, 130), (21, 301, 67)] {
            let lda = (transA == .none ? k : m) + 3, ldb = (transB == .none ? n : k) + 1, ldc = n + 2
            let a = random((transA == .none ? m : k) * lda, seed: 1)
            let b = random((transB == .none ? k : n) * ldb, seed: 2)
            var fast = random(m * ldc, seed: 3), plain = fast
            gemm(transA, transB, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda, b: b, ldb: ldb, beta: 0.3, c: &fast, ldc: ldc)
            gemmReference(transA, transB, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda, b: b, ldb: ldb, beta: 0.3, c: &plain, ldc: ldc)
            expectClose(fast, plain, "gemm \(transA) \(transB) \(m)×\(n)×\(k)")
        }
    }

    @Test(arguments: InstructionSet.allSupported)
    func layerNormForwardAndBackward(_ isa: InstructionSet) {
        for (rows, d) in Self.shapes {
            let x = random(rows * d, seed: 4, scale: 3), gamma = random(d, seed: 5), beta = random(d, seed: 6)
            let dout = random(rows * d, seed: 7)
            var out = [Float](repeating: 0, count: rows * d), mean = [Float](repeating: 0, count: rows), rstd = mean
            Kernels.layerNormForward(x, gamma: gamma, beta: beta, out: &out, mean: &mean, rstd: &rstd, rows: rows, width: d, epsilon: 1e-6,
                                     isa: isa)
            let plain = ReferenceKernels.layerNormForward(x, gamma: gamma, beta: beta, rows: rows, width: d, epsilon: 1e-6)
            expectClose(out, plain.out, "layerNorm forward \(rows)×\(d)")
            var dx = [Float](repeating: 0, count: rows * d), dgamma = [Float](repeating: 0, count: d), dbeta = dgamma
            Kernels.layerNormBackward(dout, x: x, mean: mean, rstd: rstd, gamma: gamma, dx: &dx, dgamma: &dgamma, dbeta: &dbeta,
                                      rows: rows, width: d, isa: isa)
            let back = ReferenceKernels.layerNormBackward(dout, x: x, gamma: gamma, rows: rows, width: d, epsilon: 1e-6)
            expectClose(dx, back.dx, "layerNorm dx \(rows)×\(d)")
            expectClose(dgamma, back.dgamma, "layerNorm dgamma \(rows)×\(d)")
            expectClose(dbeta, back.dbeta, "layerNorm dbeta \(rows)×\(d)")
            if d == 1 {
                // One column: the normalised value is 0 and ∂L/∂x is exactly 0 (g − mean(g)
                // cancels only if both passes round g the same way).
                for seed in UInt64(0)..<50 {
                    let (dy1, g1) = (random(rows, seed: 100 + seed), random(1, seed: 200 + seed))
                    var dx1 = [Float](repeating: 7, count: rows), y1 = dx1, m1 = dx1, r1 = dx1, dg1: [Float] = [0], db1: [Float] = [0]
                    let x1 = random(rows, seed: 300 + seed, scale: 3)
                    Kernels.layerNormForward(x1, gamma: g1, beta: [0], out: &y1, mean: &m1, rstd: &r1, rows: rows, width: 1,
                                             epsilon: 1e-6, isa: isa)
                    Kernels.layerNormBackward(dy1, x: x1, mean: m1, rstd: r1, gamma: g1, dx: &dx1, write: .overwrite,
                                              dgamma: &dg1, dbeta: &db1, rows: rows, width: 1, isa: isa)
                    #expect(dx1.allSatisfy { $0 == 0 }, "width 1, seed \(seed), \(isa): \(dx1)")
                }
            }
            // With a residual, accumulating onto a non-zero dx: dx₀ + residual + ∂L/∂x.
            let start = random(rows * d, seed: 16), residual = random(rows * d, seed: 17)
            var summed = start, dg2 = [Float](repeating: 0, count: d), db2 = dg2
            Kernels.layerNormBackward(dout, x: x, mean: mean, rstd: rstd, gamma: gamma, dx: &summed, write: .accumulate,
                                      residual: residual, dgamma: &dg2, dbeta: &db2, rows: rows, width: d, isa: isa)
            expectClose(summed, (0..<(rows * d)).map { start[$0] + residual[$0] + back.dx[$0] }, "layerNorm dx + residual, accumulated \(rows)×\(d)")
            var overwritten = start
            Kernels.layerNormBackward(dout, x: x, mean: mean, rstd: rstd, gamma: gamma, dx: &overwritten, write: .overwrite,
                                      residual: residual, dgamma: &dg2, dbeta: &db2, rows: rows, width: d, isa: isa)
            expectClose(overwritten, (0..<(rows * d)).map { residual[$0] + back.dx[$0] }, "layerNorm dx + residual \(rows)×\(d)")
        }
    }

    /// The C kernels (GELU, softmax, exp) at every instruction-set level this CPU supports.
    @Test(arguments: InstructionSet.allSupported)
    func geluForwardAndBackward(_ isa: InstructionSet) {
        for (rows, d) in Self.shapes {
            let x = random(rows * d, seed: 8, scale: 3), dy = random(rows * d, seed: 9)
            var y = [Float](repeating: 0, count: x.count), dx = y
            Kernels.geluForward(x, out: &y, count: x.count, isa: isa)
            Kernels.geluBackward(dy, x: x, y: y, dx: &dx, count: x.count, isa: isa)
            expectClose(y, x.map(ReferenceKernels.gelu), "gelu \(x.count) \(isa)")
            expectClose(dx, zip(x, dy).map { ReferenceKernels.geluDerivative($0) * $1 }, "gelu' \(x.count) \(isa)")
            // Overwrite in place (dx is dy) and accumulate.
            var inPlace = dy
            inPlace.withUnsafeMutableBufferPointer { g in
                Kernels.geluBackward(g.baseAddress!, x: x, y: y, dx: g.baseAddress!, write: .overwrite, count: x.count, isa: isa)
            }
            #expect(inPlace == dx, "gelu' in place \(isa)")
            Kernels.geluBackward(dy, x: x, y: y, dx: &inPlace, count: x.count, isa: isa)
            expectClose(inPlace, dx.map { 2 * $0 }, "gelu' accumulated \(isa)")
        }
        // The backward reads σ(2u) off y / x: the edges of that quotient (and x² overflowing).
        let subnormal = Float.leastNormalMagnitude / 100   // ≈ 1.2e-40, a subnormal float
        let edges: [Float] = [0, -0.0, subnormal, -subnormal, 1e-30, -1e-30, 1e-7, -1e-7, 3, -3, 9, -9, 20, -20, 60, -60, 100, -100,
                              1e4, -1e4, 1e20, -1e20, 1e30, -1e30]
        var y = [Float](repeating: 0, count: edges.count), dx = y
        Kernels.geluForward(edges, out: &y, count: edges.count, isa: isa)
        Kernels.geluBackward([Float](repeating: 1, count: edges.count), x: edges, y: y, dx: &dx, count: edges.count, isa: isa)
        expectClose(y, edges.map(ReferenceKernels.gelu), "gelu at the edges \(isa)")
        expectClose(dx, edges.map(ReferenceKernels.geluDerivative), "gelu' at the edges \(isa)")
    }

    /// Rows taken side by side (8, 4, 2 and 1 at a time: 15 rows) give each row the bits it
    /// gets alone, forward and backward, on rows that end in a partial vector or not.
    @Test(arguments: InstructionSet.allSupported)
    func softmaxRowsSideBySideGiveEachRowsBits(_ isa: InstructionSet) {
        for c in [196, 64, 5] {
            let rows = 15, x = random(rows * c, seed: 12, scale: 5), g = random(rows * c, seed: 13)
            var together = x, alone = x
            Kernels.softmaxRowsOnThisThread(&together, rows: rows, columns: c, isa: isa)
            alone.withUnsafeMutableBufferPointer { p in
                for r in 0..<rows { Kernels.softmaxRowsOnThisThread(p.baseAddress! + r * c, rows: 1, columns: c, isa: isa) }
            }
            #expect(together.map(\.bitPattern) == alone.map(\.bitPattern), "softmax, \(c) columns, \(isa)")
            var backTogether = g, backAlone = g
            Kernels.softmaxBackwardRowsOnThisThread(&backTogether, p: together, rows: rows, columns: c, isa: isa)
            backAlone.withUnsafeMutableBufferPointer { dp in
                for r in 0..<rows {
                    together.withUnsafeBufferPointer { p in
                        Kernels.softmaxBackwardRowsOnThisThread(dp.baseAddress! + r * c, p: p.baseAddress! + r * c, rows: 1, columns: c, isa: isa)
                    }
                }
            }
            #expect(backTogether.map(\.bitPattern) == backAlone.map(\.bitPattern), "softmax backward, \(c) columns, \(isa)")
        }
    }

    @Test(arguments: InstructionSet.allSupported)
    func softmaxForwardAndBackward(_ isa: InstructionSet) {
        for (rows, c) in Self.shapes + [(5, 16), (3, 197)] {
            var p = random(rows * c, seed: 10, scale: 5)
            let expected = ReferenceKernels.softmaxRows(p, rows: rows, columns: c)
            Kernels.softmaxRows(&p, rows: rows, columns: c, isa: isa)
            expectClose(p, expected, "softmax \(rows)×\(c) \(isa)")
            var dp = random(rows * c, seed: 11)
            let expectedBack = ReferenceKernels.softmaxBackwardRows(dp, p: p, rows: rows, columns: c)
            Kernels.softmaxBackwardRows(&dp, p: p, rows: rows, columns: c, isa: isa)
            expectClose(dp, expectedBack, "softmax backward \(rows)×\(c) \(isa)")
        }
    }

    @Test(arguments: InstructionSet.allSupported)
    func adamWMatchesPlainTwin(_ isa: InstructionSet) {
        for count in [1, 7, 16, 33, 5000] {
            let theta = random(count, seed: 12), g = random(count, seed: 13)
            var m = random(count, seed: 14, scale: 0.1), v = random(count, seed: 15, scale: 0.01).map { $0 * $0 }
            // Moments about to decay below the flush threshold, in both signs.
            if count > 2 { (m[0], m[1], v[0]) = (1.05e-30, -1.05e-30, 1.0005e-30) }
            let c = AdamWCoefficients(gradientScale: 0.8, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 3e-3,
                                      inverseSqrtCorrection2: 7, decay: 1e-4, flushBelow: 1e-30)
            let expected = ReferenceKernels.adamW(theta: theta, gradients: g, firstMoment: m, secondMoment: v, c)
            var (t2, g2, m2, v2) = (theta, g, m, v)
            if count > 2 { (g2[0], g2[1]) = (0, 0) }
            let expectedFlush = ReferenceKernels.adamW(theta: theta, gradients: g2, firstMoment: m, secondMoment: v, c)
            Kernels.adamW(theta: &t2, gradients: &g2, firstMoment: &m2, secondMoment: &v2, count: count, c, isa: isa)
            expectClose(t2, expectedFlush.theta, "adamW θ \(count) \(isa)")
            expectClose(m2, expectedFlush.firstMoment, "adamW m \(count) \(isa)")
            expectClose(v2, expectedFlush.secondMoment, "adamW v \(count) \(isa)")
            if count > 2 { #expect(m2[0] == 0 && m2[1] == 0 && v2[0] == 0, "moments below 1e-30 are stored as 0") }
            var (t3, g3, m3, v3) = (theta, g, m, v)
            Kernels.adamW(theta: &t3, gradients: &g3, firstMoment: &m3, secondMoment: &v3, count: count, c, isa: isa)
            expectClose(g3, expected.gradients, "adamW scaled g \(count) \(isa)")
            expectClose(t3, expected.theta, "adamW θ \(count) \(isa)")
            var consuming = c
            consuming.zeroGradients = true
            var (t4, g4, m4, v4) = (theta, g, m, v)
            Kernels.adamW(theta: &t4, gradients: &g4, firstMoment: &m4, secondMoment: &v4, count: count, consuming, isa: isa)
            #expect(g4.allSatisfy { $0 == 0 }, "consumed gradients are 0")
            #expect(t4 == t3 && m4 == m3 && v4 == v3, "consuming changes nothing else")
        }
    }

    @Test(arguments: InstructionSet.allSupported)
    func sumOfSquaresMatchesPlainTwin(_ isa: InstructionSet) {
        for count in [0, 1, 15, 64, 65, 4096, 5001] {
            let x = random(count, seed: 16)
            let plain = Float(x.reduce(0.0) { $0 + Double($1) * Double($1) })
            let fast = Kernels.sumOfSquares(x, count: count, isa: isa)
            #expect(abs(fast - plain) <= 1e-5 + 1e-5 * plain, "sum of squares \(count) \(isa): \(fast) vs \(plain)")
        }
    }

    /// The FMA peak probe computes what it claims (so its FLOP count is real): the same bits as
    /// its recurrence in Swift, fused multiply-adds at AVX2 and AVX-512, a multiply and an add at
    /// the baseline level.
    @Test(arguments: InstructionSet.allSupported)
    func fmaPeakProbeComputesItsRecurrence(_ isa: InstructionSet) {
        let iterations = 1000
        let lanes = InstructionSet.kernels(for: isa) == .avx512 ? 16 : 8
        let fused = InstructionSet.kernels(for: isa) != .baseline
        var lane: Float = 0
        for c in 0..<12 {
            var x = Float(c) * 1e-3
            for _ in 0..<iterations { x = fused ? (1e-7 as Float).addingProduct(x, 0.999999) : x * 0.999999 + 1e-7 }
            lane += x
        }
        var expected: Float = 0
        for _ in 0..<lanes { expected += lane }
        #expect(FMAPeak.probe(iterations: iterations, level: isa) == expected, "\(isa)")
        #expect(FMAPeak.measure(threads: 1, level: isa, seconds: 0.01, repeats: 1) > 1e8, "\(isa): under 0.1 GFLOP/s")
    }

    @Test func softmaxIsStableForLargeScores() {
        var p: [Float] = [1000, 999, -1000, 0]
        Kernels.softmaxRows(&p, rows: 1, columns: 4)
        #expect(p.allSatisfy { $0.isFinite })
        expectClose(p, ReferenceKernels.softmaxRows([1000, 999, -1000, 0], rows: 1, columns: 4), "softmax large")
    }

    @Test(arguments: InstructionSet.allSupported)
    func columnSumsAndResidualAdd(_ isa: InstructionSet) {
        for (rows, c) in Self.shapes + [(40, 64), (9, 200)] {
            let x = random(rows * c, seed: 12)
            var sums = [Float](repeating: 0, count: c)
            Kernels.accumulateColumnSums(x, rows: rows, columns: c, into: &sums, isa: isa)
            expectClose(sums, ReferenceKernels.columnSums(x, rows: rows, columns: c), "column sums \(rows)×\(c) \(isa)")
            // The first c columns of a wider matrix (row stride c + 5), as Linear uses them,
            // added to sums already there.
            let wide = random(rows * (c + 5), seed: 14)
            var strided = [Float](repeating: 0.5, count: c)
            Kernels.accumulateColumnSums(wide, rows: rows, columns: c, rowStride: c + 5, into: &strided, isa: isa)
            let firstColumns = (0..<rows).flatMap { r in wide[(r * (c + 5))..<(r * (c + 5) + c)] }
            expectClose(strided, ReferenceKernels.columnSums(Array(firstColumns), rows: rows, columns: c).map { $0 + 0.5 },
                        "strided column sums \(rows)×\(c) \(isa)")
            var broadcast = [Float](repeating: -1, count: rows * (c + 5))
            Kernels.broadcastRows(sums, into: &broadcast, rows: rows, columns: c, rowStride: c + 5)
            #expect((0..<rows).allSatisfy { r in Array(broadcast[(r * (c + 5))..<(r * (c + 5) + c)]) == sums
                && broadcast[(r * (c + 5) + c)..<((r + 1) * (c + 5))].allSatisfy { $0 == -1 } }, "strided broadcast \(rows)×\(c)")
            var y = random(rows * c, seed: 13)
            let expected = zip(x, y).map { $0 + $1 }
            Kernels.addInPlace(x, into: &y, count: x.count)
            expectClose(y, expected, "add \(rows)×\(c)")
        }
    }

    @Test func vectorReductions() {
        for n in [0, 1, 7, 8, 9, 1000] {
            let x = random(n, seed: 14), y = random(n, seed: 15)
            let sum = x.reduce(0.0) { $0 + Double($1) }, dot = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            expectClose([Vector.sum(x, n), Vector.dot(x, y, n)], [Float(sum), Float(dot)], "reductions \(n)")
        }
    }

    @Test func arenaReusesMemoryAfterTheFirstStep() {
        let arena = Arena()
        for _ in 0..<2 {
            _ = arena.tensor([1000, 1000])
            _ = arena.tensor([700, 900])
            arena.reset()
        }
        let capacity = arena.capacity
        _ = arena.tensor([1000, 1000])
        _ = arena.tensor([700, 900])
        #expect(arena.capacity == capacity, "a step of the same shapes must not grow the arena")
        arena.reset()
        let mark = arena.mark()
        let a = arena.tensor([10])
        arena.release(to: mark)
        #expect(arena.tensor([10]).data == a.data)
    }

    @Test func seededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xs = (0..<5).map { _ in a.next() }
        #expect(xs == (0..<5).map { _ in b.next() })
        #expect(xs != (0..<5).map { _ in c.next() })
        var n = SeededGenerator(seed: 1)
        let normals = (0..<20000).map { _ in Double(n.nextNormal()) }
        let mean = normals.reduce(0, +) / 20000, variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }
}

@Suite("Vector exp, instruction sets") struct VectorExpTests {
    /// The default is the best level the CPU has; a level above it runs as the best one.
    @Test func levelsAreClamped() {
        #expect(InstructionSet.selected == InstructionSet.supported)
        for level in InstructionSet.allCases {
            let expected = level.rawValue <= InstructionSet.supported.rawValue ? level : InstructionSet.supported
            #expect(InstructionSet.kernels(for: level) == expected, "dispatch for \(level)")
        }
        #expect(InstructionSet.allSupported.last == InstructionSet.supported && InstructionSet.allSupported.first == .baseline)
        let x: [Float] = [0.5, -2, 3]
        var best = x, asked = x
        Kernels.geluForward(x, out: &best, count: 3, isa: InstructionSet.supported)
        Kernels.geluForward(x, out: &asked, count: 3, isa: .avx512)
        #expect(best == asked)
    }

    /// The vector exp against Double exp: relative error ≤ 3e-7 over [-80, 88.5], exactly 0
    /// below (never a subnormal number) and a finite maximum above.
    /// The AVX2 and AVX-512 builds fuse multiply-adds (the baseline has no FMA), so some of
    /// their results round differently from the baseline's: each level runs code compiled for
    /// its instruction set (not the baseline code under another name).
    @Test func fmaLevelsRunTheirOwnCode() {
        let x = stride(from: Float(-20), to: 20, by: 0.001).map { $0 }
        func exp(_ isa: InstructionSet) -> [Float] {
            var y = x
            Kernels.exp(x, out: &y, count: x.count, isa: isa)
            return y
        }
        let baseline = exp(.baseline)
        for isa in InstructionSet.allSupported where isa != .baseline {
            let differing = zip(baseline, exp(isa)).filter { $0 != $1 }.count
            #expect(differing > 0, "\(isa) gives the baseline's bits for all \(x.count) inputs")
        }
    }

    @Test(arguments: InstructionSet.allSupported)
    func expIsAccurate(_ isa: InstructionSet) {
        func exp(_ x: [Float]) -> [Float] {
            var y = x
            Kernels.exp(x, out: &y, count: x.count, isa: isa)
            return y
        }
        let xs = stride(from: Float(-80), to: 88.5, by: 0.0137).map { $0 }
        var worst = 0.0
        for (x, e) in zip(xs, exp(xs)) {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(e) - exact) / exact)
        }
        print("exp (\(isa)) worst relative error \(worst)")
        #expect(worst <= 3e-7)
        #expect(exp([-100, -80.01, -.infinity]) == [0, 0, 0])
        let top = exp([100, 0])
        #expect(top[0] > 3e38 && top[1] == 1)
        // No subnormal results anywhere: they make the CPU's arithmetic tens of times slower.
        let low = stride(from: Float(-120), to: 90, by: 0.0123).map { $0 }
        for (x, e) in zip(low, exp(low)) { #expect(e == 0 || e.isNormal, "exp(\(x)) = \(e)") }
    }

    /// NaN in, NaN out: a NaN in the activations must reach the loss (which stops training),
    /// never be clamped into a number.
    @Test(arguments: InstructionSet.allSupported)
    func nanPropagates(_ isa: InstructionSet) {
        var e: [Float] = [0, 0, 0]
        Kernels.exp([.nan, 1, -.nan], out: &e, count: 3, isa: isa)
        #expect(e[0].isNaN && e[2].isNaN && abs(e[1] - 2.718_281_8) < 1e-6)
        var g: [Float] = [0, 0]
        Kernels.geluForward([.nan, 1], out: &g, count: 2, isa: isa)
        #expect(g[0].isNaN && !g[1].isNaN)
        var dx: [Float] = [0, 0]
        Kernels.geluBackward([1, 1], x: [.nan, 1], y: g, dx: &dx, count: 2, isa: isa)
        #expect(dx[0].isNaN && !dx[1].isNaN)
        for c in [4, 37] {
            var p = (0..<c).map { Float($0) * 0.1 }
            p[2] = .nan
            Kernels.softmaxRows(&p, rows: 1, columns: c, isa: isa)
            #expect(p.allSatisfy { $0.isNaN }, "softmax of a row with a NaN, \(c) columns")
        }
        var x: [Float] = [1, .nan, 3, 4, 5], out = [Float](repeating: 0, count: 5), mean: [Float] = [0], rstd: [Float] = [0]
        Kernels.layerNormForward(x, gamma: [1, 1, 1, 1, 1], beta: [0, 0, 0, 0, 0], out: &out, mean: &mean, rstd: &rstd,
                                 rows: 1, width: 5, epsilon: 1e-6, isa: isa)
        #expect(out.allSatisfy { $0.isNaN })
        var theta: [Float] = [1, 1], m: [Float] = [0, 0], v: [Float] = [0, 0]
        x = [.nan, 1]
        Kernels.adamW(theta: &theta, gradients: &x, firstMoment: &m, secondMoment: &v, count: 2,
                      AdamWCoefficients(gradientScale: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 1e-3,
                                        inverseSqrtCorrection2: 1, decay: 0, flushBelow: 1e-30), isa: isa)
        #expect(theta[0].isNaN && m[0].isNaN && v[0].isNaN && !theta[1].isNaN)
    }

    /// Softmax over masked keys (-inf) and GELU far below zero give exact zeros, never
    /// subnormal numbers (a training run with padding masks once ran 10× slower on them).
    @Test(arguments: InstructionSet.allSupported)
    func noSubnormalOutputs(_ isa: InstructionSet) {
        var row: [Float] = [3, -.infinity, -.infinity, 1, -90, -.infinity, 0.5, -200, 2, -.infinity]
        Kernels.softmaxRows(&row, rows: 1, columns: row.count, isa: isa)
        #expect(row.allSatisfy { $0 == 0 || $0.isNormal }, "\(row)")
        #expect(row[1] == 0 && row[4] == 0 && row[7] == 0)
        let x: [Float] = (0..<400).map { -Float($0) * 0.25 }
        var out = [Float](repeating: 0, count: x.count), dx = out
        Kernels.geluForward(x, out: &out, count: x.count, isa: isa)
        Kernels.geluBackward([Float](repeating: 1e-3, count: x.count), x: x, y: out, dx: &dx, count: x.count, isa: isa)
        #expect(out.allSatisfy { $0 == 0 || $0.isNormal } && dx.allSatisfy { $0 == 0 || $0.isNormal })
    }
}
