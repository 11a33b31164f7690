import Foundation

extension Kernels {
    @usableFromInline static let geluScale: Float = (2 / Float.pi).squareRoot()
    @usableFromInline static let geluCubic: Float = 0.044715

    /// GELU, tanh approximation: y = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). x, y: [n]
    public static func geluForward(_ x: UnsafePointer<Float>, out y: UnsafeMutablePointer<Float>, count n: Int) {
        parallelFor(n, costPerItem: 20) { range in
            for i in range {
                let v = x[i]
                y[i] = 0.5 * v * (1 + tanhf(geluScale * (v + geluCubic * v * v * v)))
            }
        }
    }

    /// dx[i] += dy[i] * gelu'(x[i]). x, dy, dx: [n]
    public static func geluBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count n: Int) {
        parallelFor(n, costPerItem: 30) { range in
            for i in range {
                let v = x[i]
                let t = tanhf(geluScale * (v + geluCubic * v * v * v))
                let du = geluScale * (1 + 3 * geluCubic * v * v)
                dx[i] += dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
            }
        }
    }
}
