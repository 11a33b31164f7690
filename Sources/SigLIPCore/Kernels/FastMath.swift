/// Vectorised elementary functions for the kernels, accurate to a few float ulps.
public enum FastMath {
    public typealias Vector = SIMD8<Float>

    /// e^x for 8 lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, 2^n by
    /// building the exponent bits. Relative error ≤ 2e-7 over [-80, 88.7]. Above, inputs are
    /// clamped (e^88.7 ≈ 3.3e38); below -80 the result is exactly 0 (e^-80 ≈ 1.8e-35), so that
    /// no caller ever produces subnormal numbers, on which the CPU's arithmetic (sgemm's
    /// included) runs tens of times slower: a softmax over masked keys gives exact zeros.
    @inlinable @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        let log2e: Float = 1.442_695_04, ln2Hi: Float = 0.693_145_751_953_125, ln2Lo: Float = 1.428_606_765_330_187e-6
        // Adding 1.5·2^23 rounds to an integer n held in the low mantissa bits (no float→int
        // conversion, which Swift's generic SIMD code does lane by lane).
        let magic: Float = 12_582_912
        // (`replacing(with:where:)` inlines to compare-and-select instructions; the generic
        // `pointwiseMin` and `pointwiseMax` were left as calls, lane by lane.)
        let underflow = x .< -80
        let clamped = x.replacing(with: -80, where: underflow).replacing(with: 88.7, where: x .> 88.7)
        let t = clamped * log2e + magic
        let n = t - magic
        let r = clamped - n * ln2Hi - n * ln2Lo
        var p = Vector(repeating: 1 / 5040)
        p = p * r + 1 / 720
        p = p * r + 1 / 120
        p = p * r + 1 / 24
        p = p * r + 1 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n for n in [-126, 128): split as 2^(n/2)·2^(n - n/2) so each factor is a normal float.
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(Vector(repeating: magic), to: SIMD8<Int32>.self)
        let half = ni &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: Vector.self)
        let scale2 = unsafeBitCast((ni &- half &+ 127) &<< 23, to: Vector.self)
        return (p * scale1 * scale2).replacing(with: 0, where: underflow)
    }

    /// e^x for one value through the vector path (for tails of loops).
    @inlinable
    public static func exp(_ x: Float) -> Float { exp(Vector(repeating: x))[0] }

    /// Applies `body` to `n` floats in blocks of 8, padding the last block.
    @inlinable
    public static func forEachBlock(_ n: Int, _ body: (Int, Int) -> Void) {
        var i = 0
        while i < n {
            body(i, min(8, n - i))
            i += 8
        }
    }
}

extension SIMD8 where Scalar == Float {
    /// Loads `count` (≤ 8) floats, the rest zero.
    @inlinable
    public static func load(_ p: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
        if count == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        var v = SIMD8<Float>()
        for i in 0..<count { v[i] = p[i] }
        return v
    }

    /// Stores the first `count` (≤ 8) lanes.
    @inlinable
    public func store(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if count == 8 { UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD8<Float>.self); return }
        for i in 0..<count { p[i] = self[i] }
    }
}
