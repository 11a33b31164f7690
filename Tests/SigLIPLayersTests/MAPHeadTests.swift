import Foundation
import SigLIPCore
import SigLIPLayers
import SigLIPTestSupport
import Testing

/// The MAP head folds its single query into the key weights and pools the tokens before the
/// value projection (`MAPHead`'s doc comment). Held here against the plain form that projects
/// every token to a key and a value, as the reference implementations do.
@Suite("MAP head") struct MAPHeadTests {
    /// Tolerances for float against the plain form summed in Double: the folded form sums in
    /// another order, which moves the last bits of each value.
    static let absoluteTolerance: Float = 1e-6
    static let relativeTolerance: Float = 1e-5

    @Test func foldedAttentionEqualsProjectingEveryToken() {
        let (b, n, d, h) = (3, 9, 16, 4)
        var fixture = Fixture(seed: 11)
        let layout = ParameterLayout()
        let head = MAPHead(layout, "head", width: d, heads: h, mlpWidth: 12, epsilon: 1e-6)
        let store = Fixture.randomStore(layout, generator: &fixture.generator, scale: 0.5)
        let ctx = Context(parameters: store, arena: fixture.arena)
        let x = fixture.random([b, n, d])
        // A key bias large enough that dropping it would show, were the softmax not blind to it.
        for i in 0..<d { ctx.value(head.key.bias!)[i] = 3 * Float(i % 5) - 6 }

        let context = plainAttention(head, x, ctx)
        let attended = head.out.forward(context, ctx)
        let (normed, _) = head.norm.forward(attended, ctx)
        let (expected, _) = head.mlp.forward(normed, ctx)
        Kernels.addInPlace(attended.data, into: expected.data, count: expected.count)

        let (actual, _) = head.forward(x, ctx)
        expectClose(actual.toArray(), expected.toArray(), atol: Self.absoluteTolerance, rtol: Self.relativeTolerance, "MAP head")
    }

    /// context [B, D]: softmax_i(s·q_h·k_i,h)·v_i,h with k_i = x_i·W_kᵀ + b_k, v_i = x_i·W_vᵀ + b_v,
    /// summed in Double.
    private func plainAttention(_ head: MAPHead, _ x: Tensor, _ ctx: Context) -> Tensor {
        let (b, n, d, h) = (x.shape[0], x.shape[1], head.width, head.heads)
        let dh = d / h, scale = 1 / Double(dh).squareRoot()
        func project(_ layer: Linear, _ row: UnsafePointer<Float>) -> [Double] {
            let w = ctx.value(layer.weight), bias = ctx.value(layer.bias!)
            return (0..<d).map { o in (0..<d).reduce(Double(bias[o])) { $0 + Double(w[o * d + $1]) * Double(row[$1]) } }
        }
        let q = project(head.query, ctx.value(head.probe))
        let context = ctx.arena.tensor([b, d])
        for bi in 0..<b {
            let keys = (0..<n).map { project(head.key, x.data + (bi * n + $0) * d) }
            let values = (0..<n).map { project(head.value, x.data + (bi * n + $0) * d) }
            for hi in 0..<h {
                let lanes = hi * dh..<(hi + 1) * dh
                let scores = keys.map { k in scale * lanes.reduce(0.0) { $0 + q[$1] * k[$1] } }
                let top = scores.max()!, weights = scores.map { Foundation.exp($0 - top) }
                let total = weights.reduce(0, +)
                for c in lanes {
                    context.data[bi * d + c] = Float((0..<n).reduce(0.0) { $0 + weights[$1] * values[$1][c] } / total)
                }
            }
        }
        return context
    }
}
