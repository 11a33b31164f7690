import Foundation
import SigLIPCore
import Testing

/// The fused attention head (`Kernels.attentionHeadForward`, CKernels) at every instruction-set
/// level against a plain twin in Double: scores, softmax and P·V for whole and partial register
/// tiles, heads narrower and wider than a tile, strided q/k/v and output, a key mask with -inf
/// and large negative entries, and more keys than one block of K at every level; and its fused
/// backward (`Kernels.attentionHeadBackward`) against the twin's dQ, dK and dV on the same shapes.
@Suite("Attention head vs its plain twin") struct AttentionHeadTests {
    /// (tokens, head width): 800 keys are two blocks of K (768 at AVX-512 and AVX2).
    static let shapes: [(Int, Int)] = [(1, 1), (5, 3), (16, 64), (37, 20), (50, 96), (196, 64), (400, 8), (800, 3)]

    struct Twin {
        let probabilities: [Double]
        let output: [Double]
        /// Σ_k p·|v| per output entry: the scale of its rounding error.
        let magnitude: [Double]
    }

    static func twin(qkv: [Float], ld: Int, n: Int, dh: Int, scale: Float, mask: [Float]?) -> Twin {
        var p = [Double](repeating: 0, count: n * n), o = [Double](repeating: 0, count: n * dh), m = o
        for i in 0..<n {
            var row = (0..<n).map { j -> Double in
                var dot = 0.0
                for c in 0..<dh { dot += Double(qkv[i * ld + c]) * Double(qkv[j * ld + dh + c]) }
                return Double(scale) * dot + Double(mask?[j] ?? 0)
            }
            let top = row.max()!
            row = row.map { $0 == -.infinity ? 0 : Foundation.exp($0 - top) }
            let sum = row.reduce(0, +)
            for j in 0..<n { p[i * n + j] = row[j] / sum }
            for c in 0..<dh {
                for j in 0..<n {
                    o[i * dh + c] += p[i * n + j] * Double(qkv[j * ld + 2 * dh + c])
                    m[i * dh + c] += p[i * n + j] * abs(Double(qkv[j * ld + 2 * dh + c]))
                }
            }
        }
        return Twin(probabilities: p, output: o, magnitude: m)
    }

    @Test(arguments: InstructionSet.allSupported, [false, true])
    func matchesTwin(_ level: InstructionSet, masked: Bool) {
        var generator = SeededGenerator(seed: 11)
        for (n, dh) in Self.shapes {
            let ld = 3 * dh + 5, ldo = dh + 3   // q | k | v side by side, plus padding, as inside a [N, 3D] block
            let qkv = (0..<(n * ld)).map { _ in generator.nextNormal() }
            let mask: [Float]? = masked ? (0..<n).map { j in j % 4 == 3 && j != 0 ? -.infinity : j % 7 == 5 ? -1e9 : 0 } : nil
            let scale = 1 / Float(dh).squareRoot()
            var p = [Float](repeating: .nan, count: n * n), o = [Float](repeating: .nan, count: n * ldo)
            var work = [Float](repeating: .nan, count: Kernels.attentionHeadWorkspace(tokens: n, headWidth: dh, isa: level))
            var p2 = p, o2 = o
            qkv.withUnsafeBufferPointer { x in
                let mk = mask
                mk.withOptionalPointer { maskPointer in
                    Kernels.attentionHeadForward(q: x.baseAddress!, k: x.baseAddress! + dh, v: x.baseAddress! + 2 * dh, ld: ld,
                                                 tokens: n, headWidth: dh, scale: scale, mask: maskPointer,
                                                 probabilities: &p, output: &o, ldOutput: ldo, work: &work, isa: level)
                    // Asking the cache for a next head's rows (here the same head's) changes no value.
                    Kernels.attentionHeadForward(q: x.baseAddress!, k: x.baseAddress! + dh, v: x.baseAddress! + 2 * dh, ld: ld,
                                                 tokens: n, headWidth: dh, scale: scale, mask: maskPointer,
                                                 probabilities: &p2, output: &o2, ldOutput: ldo, work: &work,
                                                 nextQueries: x.baseAddress!, isa: level)
                }
            }
            #expect(p2.map(\.bitPattern) == p.map(\.bitPattern) && o2.map(\.bitPattern) == o.map(\.bitPattern),
                    "the next head's prefetch changed a value at \(level)")
            let want = Self.twin(qkv: qkv, ld: ld, n: n, dh: dh, scale: scale, mask: mask)
            var worstP = 0.0, worstO = 0.0
            for i in 0..<(n * n) { worstP = max(worstP, abs(Double(p[i]) - want.probabilities[i]) - (1e-6 + 1e-5 * want.probabilities[i])) }
            for i in 0..<n {
                for c in 0..<dh {
                    let error = abs(Double(o[i * ldo + c]) - want.output[i * dh + c])
                    worstO = max(worstO, error - (1e-6 + 1e-5 * want.magnitude[i * dh + c]))
                }
                for c in dh..<ldo { #expect(o[i * ldo + c].isNaN, "wrote past the head's columns") }
            }
            #expect(worstP <= 0, "probabilities \(n) tokens × \(dh) at \(level): exceeds the bound by \(worstP)")
            #expect(worstO <= 0, "outputs \(n) tokens × \(dh) at \(level): exceeds the bound by \(worstO)")
        }
    }
}

extension AttentionHeadTests {
    /// dQ, dK, dV ([n, dh] each) in Double from the kernel's own float P, and for each entry
    /// the same sums over absolute values: the scale of its rounding error.
    struct BackwardTwin {
        var gradients: [[Double]]   // dQ, dK, dV
        var magnitudes: [[Double]]
    }

    static func backwardTwin(qkv: [Float], ld: Int, n: Int, dh: Int, scale: Double, p: [Float], dO: [Float], ldo: Int)
        -> BackwardTwin
    {
        func q(_ i: Int, _ c: Int) -> Double { Double(qkv[i * ld + c]) }
        func k(_ i: Int, _ c: Int) -> Double { Double(qkv[i * ld + dh + c]) }
        func v(_ i: Int, _ c: Int) -> Double { Double(qkv[i * ld + 2 * dh + c]) }
        func g(_ i: Int, _ c: Int) -> Double { Double(dO[i * ldo + c]) }
        var ds = [Double](repeating: 0, count: n * n), dsAbs = ds
        for i in 0..<n {
            var dp = [Double](repeating: 0, count: n), dpAbs = dp
            for j in 0..<n {
                for c in 0..<dh { dp[j] += g(i, c) * v(j, c); dpAbs[j] += abs(g(i, c) * v(j, c)) }
            }
            let pRow = (0..<n).map { Double(p[i * n + $0]) }
            let dot = zip(pRow, dp).map(*).reduce(0, +), dotAbs = zip(pRow, dpAbs).map(*).reduce(0, +)
            for j in 0..<n {
                ds[i * n + j] = pRow[j] * (dp[j] - dot)
                dsAbs[i * n + j] = pRow[j] * (dpAbs[j] + dotAbs)
            }
        }
        var twin = BackwardTwin(gradients: Array(repeating: Array(repeating: 0, count: n * dh), count: 3),
                                magnitudes: Array(repeating: Array(repeating: 0, count: n * dh), count: 3))
        for i in 0..<n {
            for j in 0..<n {
                let (s, sAbs, pij) = (ds[i * n + j], dsAbs[i * n + j], Double(p[i * n + j]))
                for c in 0..<dh {
                    twin.gradients[0][i * dh + c] += scale * s * k(j, c)      // dQ = s dS · K
                    twin.magnitudes[0][i * dh + c] += scale * sAbs * abs(k(j, c))
                    twin.gradients[1][j * dh + c] += scale * s * q(i, c)      // dK = s dSᵀ · Q
                    twin.magnitudes[1][j * dh + c] += scale * sAbs * abs(q(i, c))
                    twin.gradients[2][j * dh + c] += pij * g(i, c)            // dV = Pᵀ · dO
                    twin.magnitudes[2][j * dh + c] += pij * abs(g(i, c))
                }
            }
        }
        return twin
    }

    @Test(arguments: InstructionSet.allSupported)
    func backwardMatchesTwin(_ level: InstructionSet) {
        var generator = SeededGenerator(seed: 12)
        for (n, dh) in Self.shapes {
            let ld = 3 * dh + 5, ldo = dh + 3
            let qkv = (0..<(n * ld)).map { _ in generator.nextNormal() }
            let dO = (0..<(n * ldo)).map { _ in generator.nextNormal() }
            // Probabilities as the forward leaves them: rows summing to 1, some exact zeros (masked keys).
            var p = [Float](repeating: 0, count: n * n)
            for i in 0..<n {
                let row = (0..<n).map { j in j % 4 == 3 ? 0 : Float(Foundation.exp(Double(generator.nextNormal()))) }
                let sum = row.reduce(0, +)
                for j in 0..<n { p[i * n + j] = row[j] / sum }
            }
            let scale = 1 / Float(dh).squareRoot()
            var grads = [Float](repeating: .nan, count: n * ld)   // dq | dk | dv side by side, padding left NaN
            var work = [Float](repeating: .nan, count: Kernels.attentionHeadWorkspace(tokens: n, headWidth: dh, isa: level))
            qkv.withUnsafeBufferPointer { x in
                grads.withUnsafeMutableBufferPointer { out in
                    let (x0, d0) = (x.baseAddress!, out.baseAddress!)
                    Kernels.attentionHeadBackward(q: x0, k: x0 + dh, v: x0 + 2 * dh, ld: ld, tokens: n, headWidth: dh, scale: scale,
                                                  probabilities: p, outputGradient: dO, ldOutput: ldo,
                                                  dq: d0, dk: d0 + dh, dv: d0 + 2 * dh, work: &work, isa: level)
                }
            }
            let want = Self.backwardTwin(qkv: qkv, ld: ld, n: n, dh: dh, scale: Double(scale), p: p, dO: dO, ldo: ldo)
            for (which, name) in ["dQ", "dK", "dV"].enumerated() {
                var worst = 0.0
                for i in 0..<n {
                    for c in 0..<dh {
                        let error = abs(Double(grads[i * ld + which * dh + c]) - want.gradients[which][i * dh + c])
                        worst = max(worst, error - (1e-6 + 1e-5 * want.magnitudes[which][i * dh + c]))
                    }
                }
                #expect(worst <= 0, "\(name) \(n) tokens × \(dh) at \(level): exceeds the bound by \(worst)")
            }
            for i in 0..<n { for c in (3 * dh)..<ld { #expect(grads[i * ld + c].isNaN, "wrote past the head's columns") } }
        }
    }
}

extension AttentionHeadTests {
    /// A head whose width is not a multiple of the register tile's NR columns (16 at AVX2, 48 at
    /// AVX-512) runs its last panel narrower: it must give the bits of the same head padded with
    /// zero columns to a multiple of NR (whole panels only), forward and backward.
    @Test(arguments: InstructionSet.allSupported.filter { $0 != .baseline })
    func aNarrowLastPanelGivesTheBitsOfWholeOnes(_ level: InstructionSet) {
        let panel = level == .avx512 ? 48 : 16, n = 37
        var generator = SeededGenerator(seed: 13)
        for dh in [20, 64] where dh % panel != 0 {
            let wide = (dh + panel - 1) / panel * panel
            let qkv = (0..<(n * 3 * dh)).map { _ in generator.nextNormal() }, dO = (0..<(n * dh)).map { _ in generator.nextNormal() }
            // The same q | k | v and dO with zero columns dh..<wide in each.
            func padded(_ x: [Float], parts: Int) -> [Float] {
                (0..<n).flatMap { i in (0..<parts).flatMap { part in (0..<wide).map { c in c < dh ? x[(i * parts + part) * dh + c] : 0 } } }
            }
            let scale: Float = 0.125
            func run(_ x: [Float], _ g: [Float], width w: Int) -> (p: [Float], o: [Float], grads: [Float]) {
                var p = [Float](repeating: .nan, count: n * n), o = [Float](repeating: .nan, count: n * w)
                var grads = [Float](repeating: .nan, count: n * 3 * w)
                var work = [Float](repeating: .nan, count: Kernels.attentionHeadWorkspace(tokens: n, headWidth: w, isa: level))
                x.withUnsafeBufferPointer { x in
                    let x0 = x.baseAddress!
                    Kernels.attentionHeadForward(q: x0, k: x0 + w, v: x0 + 2 * w, ld: 3 * w, tokens: n, headWidth: w, scale: scale, mask: nil,
                                                 probabilities: &p, output: &o, ldOutput: w, work: &work, isa: level)
                    grads.withUnsafeMutableBufferPointer { out in
                        let d0 = out.baseAddress!
                        Kernels.attentionHeadBackward(q: x0, k: x0 + w, v: x0 + 2 * w, ld: 3 * w, tokens: n, headWidth: w, scale: scale,
                                                      probabilities: p, outputGradient: g, ldOutput: w,
                                                      dq: d0, dk: d0 + w, dv: d0 + 2 * w, work: &work, isa: level)
                    }
                }
                return (p, o, grads)
            }
            let narrow = run(qkv, dO, width: dh), whole = run(padded(qkv, parts: 3), padded(dO, parts: 1), width: wide)
            #expect(narrow.p == whole.p, "probabilities, head width \(dh) at \(level)")
            #expect((0..<n).allSatisfy { i in (0..<dh).allSatisfy { narrow.o[i * dh + $0] == whole.o[i * wide + $0] } },
                    "outputs, head width \(dh) at \(level)")
            for (part, name) in ["dQ", "dK", "dV"].enumerated() {
                #expect((0..<n).allSatisfy { i in (0..<dh).allSatisfy { narrow.grads[(i * 3 + part) * dh + $0] == whole.grads[(i * 3 + part) * wide + $0] } },
                        "\(name), head width \(dh) at \(level)")
            }
        }
    }
}

private extension Optional where Wrapped == [Float] {
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .none: body(nil)
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
