import Foundation

/// Plain, obviously correct twins of `Kernels`, in Double, one loop nest each.
/// Tests hold every optimised kernel to its twin.
public enum ReferenceKernels {
    public static func layerNormForward(
        _ x: [Float], gamma: [Float], beta: [Float], rows: Int, width d: Int, epsilon: Float
    ) -> (out: [Float], mean: [Float], rstd: [Float]) {
        var out = [Float](repeating: 0, count: rows * d), mean = [Float](repeating: 0, count: rows), rstd = mean
        for r in 0..<rows {
            let row = (0..<d).map { Double(x[r * d + $0]) }
            let m = row.reduce(0, +) / Double(d)
            let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(d)
            let s = 1 / (v + Double(epsilon)).squareRoot()
            for i in 0..<d { out[r * d + i] = Float((row[i] - m) * s * Double(gamma[i]) + Double(beta[i])) }
            mean[r] = Float(m)
            rstd[r] = Float(s)
        }
        return (out, mean, rstd)
    }

    /// Returns (dx, dgamma, dbeta) of the LayerNorm for upstream gradient dout.
    public static func layerNormBackward(
        _ dout: [Float], x: [Float], gamma: [Float], rows: Int, width d: Int, epsilon: Float
    ) -> (dx: [Float], dgamma: [Float], dbeta: [Float]) {
        var dx = [Float](repeating: 0, count: rows * d)
        var dgamma = [Double](repeating: 0, count: d), dbeta = dgamma
        for r in 0..<rows {
            let row = (0..<d).map { Double(x[r * d + $0]) }
            let m = row.reduce(0, +) / Double(d)
            let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(d)
            let s = 1 / (v + Double(epsilon)).squareRoot()
            let n = row.map { ($0 - m) * s }
            let g = (0..<d).map { Double(dout[r * d + $0]) * Double(gamma[$0]) }
            let meanG = g.reduce(0, +) / Double(d)
            let meanGN = zip(g, n).map(*).reduce(0, +) / Double(d)
            for i in 0..<d {
                dx[r * d + i] = Float((g[i] - meanG - n[i] * meanGN) * s)
                dgamma[i] += Double(dout[r * d + i]) * n[i]
                dbeta[i] += Double(dout[r * d + i])
            }
        }
        return (dx, dgamma.map { Float($0) }, dbeta.map { Float($0) })
    }

    public static func gelu(_ x: Float) -> Float {
        let v = Double(x)
        return Float(0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
    }

    public static func geluDerivative(_ x: Float) -> Float {
        let v = Double(x), c = (2 / Double.pi).squareRoot()
        let t = tanh(c * (v + 0.044715 * v * v * v))
        return Float(0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))
    }

    public static func softmaxRows(_ x: [Float], rows: Int, columns c: Int) -> [Float] {
        var out = x
        for r in 0..<rows {
            let row = (0..<c).map { Double(x[r * c + $0]) }
            let m = row.max() ?? 0
            let e = row.map { exp($0 - m) }
            let s = e.reduce(0, +)
            for i in 0..<c { out[r * c + i] = Float(e[i] / s) }
        }
        return out
    }

    public static func softmaxBackwardRows(_ dp: [Float], p: [Float], rows: Int, columns c: Int) -> [Float] {
        var out = dp
        for r in 0..<rows {
            var d = 0.0
            for i in 0..<c { d += Double(p[r * c + i]) * Double(dp[r * c + i]) }
            for i in 0..<c { out[r * c + i] = Float(Double(p[r * c + i]) * (Double(dp[r * c + i]) - d)) }
        }
        return out
    }

    public static func columnSums(_ x: [Float], rows: Int, columns c: Int) -> [Float] {
        (0..<c).map { j in Float((0..<rows).reduce(0.0) { $0 + Double(x[$1 * c + j]) }) }
    }

    /// One AdamW update in Double: returns (θ, g, m, v) after the step (see `Kernels.adamW`).
    public static func adamW(theta: [Float], gradients: [Float], firstMoment: [Float], secondMoment: [Float],
                             _ c: AdamWCoefficients) -> (theta: [Float], gradients: [Float], firstMoment: [Float], secondMoment: [Float]) {
        var out = (theta: theta, gradients: gradients, firstMoment: firstMoment, secondMoment: secondMoment)
        let b1 = Double(c.beta1), b2 = Double(c.beta2)
        for i in theta.indices {
            let g = Double(gradients[i]) * Double(c.gradientScale)
            var m = b1 * Double(firstMoment[i]) + (1 - b1) * g
            var v = b2 * Double(secondMoment[i]) + (1 - b2) * g * g
            if abs(m) < Double(c.flushBelow) { m = 0 }
            if v < Double(c.flushBelow) { v = 0 }
            let t = Double(theta[i])
            let update = Double(c.stepSize) * m / (v.squareRoot() * Double(c.inverseSqrtCorrection2) + Double(c.epsilon))
            out.theta[i] = Float(t - update - Double(c.decay) * t)
            (out.gradients[i], out.firstMoment[i], out.secondMoment[i]) = (c.zeroGradients ? 0 : Float(g), Float(m), Float(v))
        }
        return out
    }
}
