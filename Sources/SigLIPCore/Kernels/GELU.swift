import Foundation

extension Kernels {
    @usableFromInline static let geluScale: Float = (2 / Float.pi).squareRoot()
    @usableFromInline static let geluCubic: Float = 0.044715

    /// GELU, tanh approximation: y = 0.5 x (1 + tanh(u)), u = √(2/π) (x + 0.044715 x³),
    /// computed as x · σ(2u) (the same function: 0.5 (1 + tanh u) = σ(2u)) with a vector exp.
    /// x, y: [n]
    public static func geluForward(_ x: UnsafePointer<Float>, out y: UnsafeMutablePointer<Float>, count n: Int) {
        parallelFor((n + 7) / 8, costPerItem: 8 * 20) { blocks in
            for b in blocks {
                let i = b * 8, count = min(8, n - i)
                let v = SIMD8<Float>.load(x + i, count: count)
                let twoU = 2 * geluScale * (v + geluCubic * v * v * v)
                let e = FastMath.exp(-twoU)
                // Below x ≈ -9, σ(2u) < 1e-30: the output is 0 (not a tiny number whose products
                // in the next GEMM would be subnormal), and so is the gradient `geluBackward` reads off it.
                (v / (1 + e)).replacing(with: 0, where: e .> 1e30).store(y + i, count: count)
            }
        }
    }

    /// dx[i] (+)= dy[i] · gelu'(x[i]), gelu'(x) = s + 2x s (1 − s) u', s = σ(2u), with s read
    /// off the forward's output as y / x (y = x·s; s = ½ at x = 0), so no exponential is
    /// evaluated again. With `.overwrite`, dx may be dy itself. x, y, dy, dx: [n]
    public static func geluBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
                                    dx: UnsafeMutablePointer<Float>, write: GradientWrite = .accumulate, count n: Int) {
        parallelFor((n + 7) / 8, costPerItem: 8 * 12) { blocks in
            for b in blocks {
                let i = b * 8, count = min(8, n - i)
                let v = SIMD8<Float>.load(x + i, count: count)
                let s = (SIMD8<Float>.load(y + i, count: count) / v).replacing(with: 0.5, where: v .== 0)
                let du = geluScale * (1 + 3 * geluCubic * v * v)
                let grad = s + 2 * v * s * (1 - s) * du
                let product = SIMD8<Float>.load(dy + i, count: count) * grad
                (write == .accumulate ? SIMD8<Float>.load(dx + i, count: count) + product : product).store(dx + i, count: count)
            }
        }
    }
}
