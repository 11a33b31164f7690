import Foundation
@testable import SigLIPCore
import Testing

/// Our GEMM driver (`VectorGEMM`) at every instruction-set level against the plain twin:
/// every transpose, odd sizes (partial register tiles in both directions), several blocks of
/// K and of N, row strides, alpha, beta, bias, one and several threads.
@Suite("GEMM driver vs its plain twin") struct VectorGEMMTests {
    static let levels = InstructionSet.allSupported
    /// m × n × k: single tiles, edges, K over two blocks (768 at AVX-512 and AVX2: 800) and three
    /// (1,700), N over one block (144 at AVX-512, 96 at AVX2) and several, M over one block of
    /// rows (MC: 96 at AVX-512, 48 at AVX2) and several with a partial tile in the last, taller
    /// than wide (blocks of rows) and wider than tall (blocks of columns; wider than tall with
    /// rows enough for blocks of rows: `wideWithRowsEnoughGivesTheSameBitsInEitherBlocking`).
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (3, 5, 7), (9, 49, 17), (31, 17, 300), (64, 96, 130), (21, 1100, 19),
                                            (130, 20, 513), (50, 420, 800), (203, 40, 400), (40, 30, 1700)]

    func random(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in g.nextNormal() }
    }

    /// The largest amount by which |actual − expected| exceeds the Float32 bound of a sum of k
    /// products, 1e-6 + 2k·2⁻²⁴·Σ|αa||b| + 1e-5|expected|, over C's columns [0, n).
    func worstExcess(_ actual: [Float], _ expected: [Float], magnitude: [Float], rows: Int, columns: Int, ldc: Int, k: Int) -> Float {
        var worst: Float = -.infinity
        for i in 0..<rows {
            for j in 0..<columns {
                let at = i * ldc + j
                let bound = 1e-6 + 2 * Float(k) * 0x1p-24 * magnitude[at] + 1e-5 * abs(expected[at])
                let excess = abs(actual[at] - expected[at]) - bound
                worst = max(worst, excess.isNaN ? .infinity : excess)
            }
        }
        return worst
    }

    @Test(arguments: levels, [1, 2])
    func matchesReference(_ level: InstructionSet, threads: Int) {
        for (transA, transB) in [(Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed)] {
            for (m, n, k) in Self.shapes {
                for (alpha, beta, withBias) in [(Float(1), Float(0), true), (0.7, 0.3, false), (1, 1, true)] {
                    let lda = (transA == .none ? k : m) + 3, ldb = (transB == .none ? n : k) + 1, ldc = n + 2
                    let a = random((transA == .none ? m : k) * lda, seed: 1), b = random((transB == .none ? k : n) * ldb, seed: 2)
                    let bias = random(n, seed: 4)
                    var fast = random(m * ldc, seed: 3)
                    if beta == 0 { for i in stride(from: 0, to: fast.count, by: 5) { fast[i] = .nan } }   // beta 0 must not read C
                    var plain = fast
                    bias.withUnsafeBufferPointer { bias in
                        VectorGEMM.run(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                                       bias: withBias ? bias.baseAddress : nil, c: &fast, ldc: ldc, threads: threads, level: level)
                        gemmReference(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                                      bias: withBias ? bias.baseAddress : nil, c: &plain, ldc: ldc)
                    }
                    // Padding columns of C (past n) are never written.
                    for i in 0..<m { for j in n..<ldc { #expect(fast[i * ldc + j].bitPattern == plain[i * ldc + j].bitPattern) } }
                    var magnitude = [Float](repeating: 0, count: m * ldc)
                    gemmReference(transA, transB, m: m, n: n, k: k, alpha: abs(alpha), a: a.map(abs), lda: lda, b: b.map(abs), ldb: ldb,
                                  c: &magnitude, ldc: ldc)
                    let excess = worstExcess(fast, plain, magnitude: magnitude, rows: m, columns: n, ldc: ldc, k: k)
                    #expect(excess <= 0, "\(level) \(transA)\(transB) \(m)×\(n)×\(k) α \(alpha) β \(beta) bias \(withBias): excess \(excess)")
                }
            }
        }
    }

    /// The register tile the driver runs (assembly at AVX2) against the C loop it replaces: the
    /// same multiply-adds in the same order, so the same bits, with A's rows or A's columns
    /// contiguous, from one product to more than a block of K.
    @Test(arguments: levels)
    func registerTileMatchesItsCLoop(_ level: InstructionSet) {
        for kc in [1, 2, 7, 64, 769] {
            for columns in [false, true] {
                let ld = columns ? 11 : kc + 5   // past the tile's (at most 8) rows, or its kc products
                let a = random(columns ? kc * ld + 8 : 8 * ld, seed: UInt64(kc)), b = random(kc * 48, seed: UInt64(kc) + 99)
                let twins = VectorGEMM.tileTwins(kc: kc, a: a, ld: ld, columns: columns, b: b, level: level)
                #expect(twins.rows * twins.cols >= 32, "\(level): a \(twins.rows) × \(twins.cols) tile")
                #expect(twins.fast.map(\.bitPattern) == twins.plain.map(\.bitPattern),
                        "\(level) kc \(kc) columns \(columns): the tile's bits differ from its C loop's")
                // And both are the sums they stand for (the plain loop is not checked by itself).
                var worst: Float = 0
                for i in 0..<twins.rows {
                    for j in 0..<twins.cols {
                        var sum = 0.0, magnitude = 0.0
                        for kk in 0..<kc {
                            let x = Double(a[columns ? i + kk * ld : i * ld + kk]) * Double(b[kk * twins.cols + j])
                            sum += x
                            magnitude += abs(x)
                        }
                        worst = max(worst, Float(abs(Double(twins.fast[i * twins.cols + j]) - sum) - 2 * Double(kc) * 0x1p-24 * magnitude))
                    }
                }
                #expect(worst <= 1e-6, "\(level) kc \(kc) columns \(columns): excess \(worst) over the rounding bound")
            }
        }
    }

    /// The GELU epilogue at every level (run over each block of rows once its products are
    /// done, partial tiles included) gives the bits of that level's `geluForward` on C.
    @Test(arguments: levels)
    func geluEpilogueMatchesGeluForward(_ level: InstructionSet) {
        for (m, n, k) in [(19, 101, 37), (64, 96, 130), (40, 200, 800)] {
            let a = random(m * k, seed: 21), b = random(n * k, seed: 22), bias = random(n, seed: 23)
            var c = [Float](repeating: 0, count: m * n), activation = c, expected = c
            VectorGEMM.run(.none, .transposed, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 0, bias: bias,
                           c: &c, ldc: n, gelu: &activation, ldGELU: n, threads: 2, level: level)
            c.withUnsafeBufferPointer { Kernels.geluForward($0.baseAddress!, out: &expected, count: m * n, isa: level) }
            #expect(activation.map(\.bitPattern) == expected.map(\.bitPattern), "\(level) \(m)×\(n)×\(k)")
        }
    }

    @Test(arguments: levels)
    func noProducts(_ level: InstructionSet) {
        // k = 0: C = beta·C + bias.
        var c: [Float] = [1, 2, 3, 4, 5, 6]
        let bias: [Float] = [10, 20, 30]
        VectorGEMM.run(.none, .none, m: 2, n: 3, k: 0, alpha: 1, a: [], lda: 1, b: [], ldb: 3, beta: 2, bias: bias,
                       c: &c, ldc: 3, threads: 2, level: level)
        #expect(c == [12, 24, 36, 18, 30, 42])
        // ... and the GELU slope epilogue still applies: C · gelu'(h), as geluBackward gives.
        let h: [Float] = [-1, 0, 0.5, 2, -3, 1e-3], y = h.map { $0 / (1 + Foundation.exp(-2 * 0.7978845608 * ($0 + 0.044715 * $0 * $0 * $0))) }
        var sloped: [Float] = [1, 2, 3, 4, 5, 6], expected = [Float](repeating: 0, count: 6)
        h.withUnsafeBufferPointer { h in
            y.withUnsafeBufferPointer { y in
                VectorGEMM.run(.none, .none, m: 2, n: 3, k: 0, alpha: 1, a: [], lda: 1, b: [], ldb: 3, beta: 2, bias: bias,
                               c: &sloped, ldc: 3, geluSlopeAt: (h.baseAddress!, y.baseAddress!, 3), threads: 2, level: level)
                Kernels.geluBackward([12, 24, 36, 18, 30, 42], x: h.baseAddress!, y: y.baseAddress!, dx: &expected, write: .overwrite,
                                     count: 6, isa: level)
            }
        }
        #expect(sloped.map(\.bitPattern) == expected.map(\.bitPattern), "k = 0 with the GELU slope")
    }

    @Test(arguments: levels)
    func sameBitsOnAnyThreadCount(_ level: InstructionSet) {
        // Each block of C is computed the same way whichever thread claims it.
        let (m, n, k) = (200, 150, 300)
        let a = random(m * k, seed: 5), b = random(k * n, seed: 6)
        var one = [Float](repeating: 0, count: m * n), two = one
        VectorGEMM.run(.none, .transposed, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 0, bias: nil,
                       c: &one, ldc: n, threads: 1, level: level)
        VectorGEMM.run(.none, .transposed, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k, beta: 0, bias: nil,
                       c: &two, ldc: n, threads: 2, level: level)
        #expect(one == two)
    }

    @Test(arguments: levels)
    func wideWithRowsEnoughGivesTheSameBitsInEitherBlocking(_ level: InstructionSet) {
        // 1,030 × 1,040: wider than tall, 129 tiles of 8 rows at AVX-512 (172 of 6 at AVX2). gemm_work
        // takes it in blocks of rows from 64 tiles per thread (1 and 2 threads), in blocks of
        // columns on 3 threads (under 192 tiles) at both levels: the same bits either way, and
        // the twin's values.
        let (m, n, k) = (1030, 1040, 3)
        let a = random(m * k, seed: 11), b = random(k * n, seed: 12), bias = random(n, seed: 13)
        var runs: [[Float]] = []
        for threads in [1, 2, 3] {
            var c = [Float](repeating: .nan, count: m * n)
            VectorGEMM.run(.none, .none, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, bias: bias,
                           c: &c, ldc: n, threads: threads, level: level)
            runs.append(c)
        }
        #expect(runs[0] == runs[1] && runs[1] == runs[2], "\(level): bits differ between 1, 2 and 3 threads")
        var plain = [Float](repeating: 0, count: m * n)
        gemmReference(.none, .none, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, bias: bias, c: &plain, ldc: n)
        let worst = zip(runs[0], plain).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? .infinity
        #expect(worst < 1e-5, "\(level): relative error \(worst) against the twin")
    }

    /// A weight kept packed (`PackedWeights`) gives the bits of one packed afresh, in blocks of
    /// rows (B transposed, as `Linear` multiplies) and of columns (wide C, few rows), K over one
    /// and two blocks, on 1 and 2 threads. The first product packs it, the next ones pack
    /// nothing: a value the fingerprint does not sample, changed after packing, is not seen (the
    /// kept form is used); a weight changed all over (an optimiser step) is packed again.
    @Test(arguments: levels)
    func keptWeightsGiveTheSameBits(_ level: InstructionSet) {
        for (transB, m, n, k) in [(Transpose.transposed, 200, 150, 300), (.none, 21, 1100, 19), (.transposed, 50, 420, 800)] {
            let ldb = transB == .none ? n : k, stored = (transB == .none ? k : n) * ldb
            let a = random(m * k, seed: 21), bias = random(n, seed: 23)
            var b = random(stored, seed: 22)
            for threads in [1, 2] {
                let kept = PackedWeights()
                func product(_ keptIn: PackedWeights?) -> [Float] {
                    var c = [Float](repeating: .nan, count: m * n)
                    b.withUnsafeBufferPointer { b in
                        VectorGEMM.run(.none, transB, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b.baseAddress!, ldb: ldb, beta: 0,
                                       bias: bias, c: &c, ldc: n, threads: threads, level: level, keptIn: keptIn)
                    }
                    return c
                }
                let what = "\(level) \(transB) \(m)×\(n)×\(k) on \(threads) threads"
                let fresh = product(nil)
                #expect(product(kept).map(\.bitPattern) == fresh.map(\.bitPattern), "\(what): packing into the kept buffer")
                #expect(product(kept).map(\.bitPattern) == fresh.map(\.bitPattern), "\(what): the kept weight")
                #expect(kept.count == 1 && kept.reuses == 1, "\(what): \(kept.count) kept, \(kept.reuses) reused")
                let sampled = Set((0..<PackedWeights.samples).map { s in
                    let (row, column) = PackedWeights.sample(s, rows: transB == .none ? k : n, columns: transB == .none ? n : k)
                    return row * ldb + column
                })
                let unsampled = b.indices.first { !sampled.contains($0) }!
                b[unsampled] += 1
                #expect(product(kept).map(\.bitPattern) == fresh.map(\.bitPattern), "\(what): the kept form is used")
                b[unsampled] -= 1
                for i in b.indices { b[i] *= 0.5 }
                let halved = product(nil)
                #expect(halved != fresh)
                #expect(product(kept).map(\.bitPattern) == halved.map(\.bitPattern), "\(what): a changed weight is packed again")
                #expect(kept.reuses == 2, "\(what): \(kept.reuses) reused")
                for i in b.indices { b[i] *= 2 }
            }
        }
    }

    /// `gemm` on each backend: the product with its bias and a residual against the plain twin, the
    /// GELU slope epilogue equal to `Kernels.geluBackward` on the plain product, and the GELU
    /// written beside it (or over it) equal, bit for bit, to `Kernels.geluForward` on the finished C (every
    /// product on the backend named, whatever the routing would choose: a machine's routing table
    /// may give our driver any of them, a transposed A included).
    @Test(arguments: GEMMBackend.allCases)
    func biasAndGELUOnEachBackend(_ backend: GEMMBackend) {
        for (transA, transB) in [(Transpose.none, Transpose.transposed), (.none, .none), (.transposed, .none)] {
            for (m, n, k) in [(3, 5, 7), (37, 100, 300), (130, 50, 64)] {
                let lda = (transA == .none ? k : m) + 1, ldb = (transB == .none ? n : k) + 2, ldc = n + 3, ldg = n + 1
                let a = random((transA == .none ? m : k) * lda, seed: 7), b = random((transB == .none ? k : n) * ldb, seed: 8)
                let bias = random(n, seed: 9), ldr = n + 4, residual = random(m * ldr, seed: 10)
                var fast = [Float](repeating: .nan, count: m * ldc), plain = fast
                var activation = [Float](repeating: 0, count: m * ldg)
                gemm(on: backend, routed: false, transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bias: bias,
                     addend: residual, ldAddend: ldr, c: &fast, ldc: ldc, gelu: &activation, ldGELU: ldg)
                gemmReference(transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bias: bias,
                              addend: residual, ldAddend: ldr, c: &plain, ldc: ldc)
                var magnitude = [Float](repeating: 0, count: m * ldc)
                gemmReference(transA, transB, m: m, n: n, k: k, a: a.map(abs), lda: lda, b: b.map(abs), ldb: ldb, c: &magnitude, ldc: ldc)
                let excess = worstExcess(fast, plain, magnitude: magnitude, rows: m, columns: n, ldc: ldc, k: k)
                #expect(excess <= 0, "\(backend) \(transA)\(transB) \(m)×\(n)×\(k): excess \(excess)")
                var expected = [Float](repeating: 0, count: n)
                var same = true
                for i in 0..<m {
                    fast.withUnsafeBufferPointer { Kernels.geluForward($0.baseAddress! + i * ldc, out: &expected, count: n) }
                    for j in 0..<n where activation[i * ldg + j].bitPattern != expected[j].bitPattern { same = false }
                }
                #expect(same, "\(backend) \(transA)\(transB) \(m)×\(n)×\(k): GELU differs from geluForward")
                // GELU in place (gelu = C, as `MLP.infer` asks): C ends as those same values.
                var inPlace = [Float](repeating: .nan, count: m * ldc)
                inPlace.withUnsafeMutableBufferPointer { c in
                    gemm(on: backend, routed: false, transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bias: bias,
                         addend: residual, ldAddend: ldr, c: c.baseAddress!, ldc: ldc, gelu: c.baseAddress!, ldGELU: ldc)
                }
                #expect((0..<m).allSatisfy { i in (0..<n).allSatisfy { inPlace[i * ldc + $0].bitPattern == activation[i * ldg + $0].bitPattern } },
                        "\(backend) \(transA)\(transB) \(m)×\(n)×\(k): GELU in place differs")
                // The slope epilogue: C · gelu'(h) equals geluBackward on the plain product, bit for bit.
                let h = random(m * ldg, seed: 11)
                var activation2 = [Float](repeating: 0, count: m * ldg)
                Kernels.geluForward(h, out: &activation2, count: m * ldg)
                var product = [Float](repeating: 0, count: m * ldc), sloped = product
                gemm(on: backend, routed: false, transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &product, ldc: ldc)
                h.withUnsafeBufferPointer { h in
                    activation2.withUnsafeBufferPointer { y in
                        gemm(on: backend, routed: false, transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &sloped, ldc: ldc,
                             geluSlopeAt: (h.baseAddress!, y.baseAddress!, ldg))
                        for i in 0..<m {
                            product.withUnsafeMutableBufferPointer { p in
                                Kernels.geluBackward(p.baseAddress! + i * ldc, x: h.baseAddress! + i * ldg, y: y.baseAddress! + i * ldg,
                                                     dx: p.baseAddress! + i * ldc, write: .overwrite, count: n)
                            }
                        }
                    }
                }
                #expect((0..<m).allSatisfy { i in (0..<n).allSatisfy { product[i * ldc + $0].bitPattern == sloped[i * ldc + $0].bitPattern } },
                        "\(backend) \(transA)\(transB) \(m)×\(n)×\(k): slope epilogue differs from geluBackward")
            }
        }
    }
}

/// Which backend computes a product when ours is selected: the per-level rule of
/// `GEMMBackend.computing`, as measured (README "Speed", docs/SPEED.md).
@Suite("GEMM routing") struct GEMMRoutingTests {
    @Test func eachLevelGivesOurDriverTheProductsItWasMeasuredFasterOn() {
        let own = GEMMBackend.vectorKernels
        #expect(GEMMBackend.blas.computing(.none, .none, m: 8192, k: 64, n: 64) == .blas)
        for level in InstructionSet.allCases {
            #expect(own.computing(.transposed, .none, m: 8192, k: 64, n: 64, level: level, measured: nil) == .blas, "weight gradients stay with OpenBLAS at \(level)")
            #expect(own.fusesAttentionHeads(tokens: 196, headWidth: 64, level: level, measured: nil) == (level != .baseline),
                    "fused heads only where measured, at \(level)")
            #expect(own.fusesAttentionHeads(tokens: 16, headWidth: 64, level: level, measured: nil) == (level == .avx2),
                    "short heads fused only at AVX2, at \(level)")
            #expect(!GEMMBackend.blas.fusesAttentionHeads(tokens: 196, headWidth: 64, level: level, measured: nil))
            switch level {
            case .avx512:   // by vendor: measured apart on a Xeon and a Zen 4
                for amd in [false, true] {
                    #expect(own.builtInRule(.none, m: 100, k: 512, n: 512, level: level, amd: amd) == .vectorKernels)
                    #expect(own.builtInRule(.transposed, m: 768, k: 1568, n: 3072, level: level, amd: amd) == .blas)
                }
                #expect(own.builtInRule(.none, m: 1568, k: 768, n: 3072, level: level, amd: false) == .blas)
                #expect(own.builtInRule(.none, m: 1568, k: 768, n: 3072, level: level, amd: true) == .vectorKernels)
                #expect(own.computing(.none, .none, m: 1568, k: 768, n: 3072, level: level, measured: nil)
                        == own.builtInRule(.none, m: 1568, k: 768, n: 3072, level: level, amd: CPUModel.isAMD))
            case .avx2:
                #expect(own.computing(.none, .none, m: 6272, k: 384, n: 1536, level: level, measured: nil) == .vectorKernels)
                #expect(own.computing(.none, .none, m: 1568, k: 768, n: 768, level: level, measured: nil) == .blas)
                #expect(own.computing(.none, .none, m: 1568, k: 768, n: 768, kept: true, level: level, measured: nil) == .vectorKernels,
                        "inference's kept weights from 1,568 rows")
                #expect(own.computing(.none, .none, m: 1024, k: 192, n: 768, kept: true, level: level, measured: nil) == .blas)
            case .baseline:
                #expect(own.computing(.none, .none, m: 8192, k: 64, n: 64, level: level, measured: nil) == .blas)
            }
        }
    }
}
