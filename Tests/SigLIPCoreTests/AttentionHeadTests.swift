import Foundation
import SigLIPCore
import Testing

/// The fused attention head (`Kernels.attentionHeadForward`, CKernels) at every instruction-set
/// level against a plain twin in Double: scores, softmax and P·V for whole and partial register
/// tiles, heads narrower and wider than a tile, strided q/k/v and output, a key mask with -inf
/// and large negative entries, and more keys than one block of K at every level.
@Suite("Attention head vs its plain twin") struct AttentionHeadTests {
    /// (tokens, head width)
    static let shapes: [(Int, Int)] = [(1, 1), (5, 3), (16, 64), (37, 20), (50, 96), (196, 64), (400, 8)]

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
            qkv.withUnsafeBufferPointer { x in
                let mk = mask
                mk.withOptionalPointer { maskPointer in
                    Kernels.attentionHeadForward(q: x.baseAddress!, k: x.baseAddress! + dh, v: x.baseAddress! + 2 * dh, ld: ld,
                                                 tokens: n, headWidth: dh, scale: scale, mask: maskPointer,
                                                 probabilities: &p, output: &o, ldOutput: ldo, work: &work, isa: level)
                }
            }
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

private extension Optional where Wrapped == [Float] {
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .none: body(nil)
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
