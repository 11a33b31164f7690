import SigLIPBase

/// Closed-form ridge regression in Float64: for features X [N, D] and targets Y [N, K], the
/// weights W [D, K] that minimise ‖XW − Y‖² + λ‖W‖², W = (XᵀX + λI)⁻¹ XᵀY.
///
/// The Gram matrix is formed once and factorised (Cholesky) per λ, on the smaller side: XᵀX
/// [D, D] when N ≥ D, else the dual XXᵀ [N, N] with W = Xᵀ(XXᵀ + λI)⁻¹Y — the same matrix,
/// since (XᵀX + λI)Xᵀ = Xᵀ(XXᵀ + λI). A few-shot probe has N = shots × classes samples, often
/// fewer than the embedding width, so the dual form is the common one at 1–5 shots.
public struct RidgeRegression: Sendable {
    /// N, D and K.
    public let samples: Int, features: Int, targets: Int
    /// XᵀX [D, D] (primal) or XXᵀ [N, N] (dual), row-major.
    private let gram: [Double]
    /// XᵀY [D, K] (primal) or Y [N, K] (dual).
    private let rightHandSide: [Double]
    /// X [N, D], kept for the dual form's W = XᵀA; empty in the primal form.
    private let dualFeatures: [Double]

    /// Whether the system is solved through XXᵀ (N < D).
    public var usesDualForm: Bool { samples < features }

    /// x: [N, D] row-major; y: [N, K] row-major. Throws when the shapes disagree or a value is
    /// not finite.
    public init(x: [Double], y: [Double], samples n: Int, features d: Int, targets k: Int) throws {
        guard n >= 1, d >= 1, k >= 1 else {
            throw SigLIPError(path: "", problem: "ridge regression needs at least one sample, feature and target, got [\(n), \(d)] → [\(n), \(k)]")
        }
        guard x.count == n * d, y.count == n * k else {
            throw SigLIPError(path: "", problem: "ridge regression got \(x.count) features and \(y.count) targets for [\(n), \(d)] → [\(n), \(k)]")
        }
        guard x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else {
            throw SigLIPError(path: "", problem: "ridge regression got a feature or target that is not a finite number")
        }
        (samples, features, targets) = (n, d, k)
        if n < d {
            gram = Self.rowProducts(x, rows: n, columns: d)
            rightHandSide = y
            dualFeatures = x
        } else {
            gram = Self.columnProducts(x, rows: n, columns: d)
            rightHandSide = Self.transposedProduct(x, y, rows: n, left: d, right: k)
            dualFeatures = []
        }
    }

    /// W [D, K] for the regularisation strength λ > 0. Throws, naming `--l2`, when λ is not a
    /// positive finite number or leaves the system numerically singular.
    public func weights(l2 lambda: Double) throws -> [Double] {
        guard lambda.isFinite, lambda > 0 else {
            throw SigLIPError(path: "--l2", problem: "the L2 regularisation must be a positive number, got \(lambda)")
        }
        let m = usesDualForm ? samples : features
        var system = gram
        for i in 0..<m { system[i * m + i] += lambda }
        guard let factor = Cholesky(system, size: m) else {
            throw SigLIPError(path: "--l2", problem: "λ = \(lambda) leaves the ridge system numerically singular; use a larger value")
        }
        var solution = rightHandSide
        factor.solve(&solution, columns: targets)
        return usesDualForm ? Self.transposedProduct(dualFeatures, solution, rows: samples, left: features, right: targets) : solution
    }

    /// XᵀX [D, D] of X [N, D].
    static func columnProducts(_ x: [Double], rows n: Int, columns d: Int) -> [Double] {
        var g = [Double](repeating: 0, count: d * d)
        x.withUnsafeBufferPointer { x in
            g.withUnsafeMutableBufferPointer { g in
                for r in 0..<n {
                    let row = x.baseAddress! + r * d
                    for i in 0..<d {
                        let xi = row[i]
                        if xi == 0 { continue }
                        let gi = g.baseAddress! + i * d
                        for j in i..<d { gi[j] += xi * row[j] }
                    }
                }
                for i in 0..<d { for j in 0..<i { g[i * d + j] = g[j * d + i] } }
            }
        }
        return g
    }

    /// XXᵀ [N, N] of X [N, D].
    static func rowProducts(_ x: [Double], rows n: Int, columns d: Int) -> [Double] {
        var g = [Double](repeating: 0, count: n * n)
        x.withUnsafeBufferPointer { x in
            for i in 0..<n {
                for j in i..<n {
                    var s = 0.0
                    for c in 0..<d { s += x[i * d + c] * x[j * d + c] }
                    g[i * n + j] = s
                    g[j * n + i] = s
                }
            }
        }
        return g
    }

    /// AᵀB [P, Q] of A [N, P] and B [N, Q].
    static func transposedProduct(_ a: [Double], _ b: [Double], rows n: Int, left p: Int, right q: Int) -> [Double] {
        var out = [Double](repeating: 0, count: p * q)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { out in
                    for r in 0..<n {
                        for i in 0..<p {
                            let ai = a[r * p + i]
                            if ai == 0 { continue }
                            let o = out.baseAddress! + i * q, br = b.baseAddress! + r * q
                            for j in 0..<q { o[j] += ai * br[j] }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// The Cholesky factor L of a symmetric positive-definite matrix A [n, n] (A = LLᵀ, L lower
/// triangular), and solutions of A X = B through it.
struct Cholesky {
    let size: Int
    /// L in the lower triangle of an [n, n] row-major matrix (the upper triangle is unused).
    private var lower: [Double]

    /// nil when A is not (numerically) positive definite.
    init?(_ a: [Double], size n: Int) {
        precondition(a.count == n * n)
        size = n
        lower = a
        let ok = lower.withUnsafeMutableBufferPointer { l -> Bool in
            for j in 0..<n {
                let rowJ = l.baseAddress! + j * n
                var d = rowJ[j]
                for p in 0..<j { d -= rowJ[p] * rowJ[p] }
                guard d > 0, d.isFinite else { return false }
                let pivot = d.squareRoot()
                rowJ[j] = pivot
                for i in (j + 1)..<n {
                    let rowI = l.baseAddress! + i * n
                    var s = rowI[j]
                    for p in 0..<j { s -= rowI[p] * rowJ[p] }
                    rowI[j] = s / pivot
                }
            }
            return true
        }
        guard ok else { return nil }
    }

    /// Solves A X = B for B [n, m] row-major, in place: L Z = B forwards, then Lᵀ X = Z backwards.
    func solve(_ b: inout [Double], columns m: Int) {
        precondition(b.count == size * m)
        let n = size
        lower.withUnsafeBufferPointer { l in
            b.withUnsafeMutableBufferPointer { b in
                for i in 0..<n {
                    let bi = b.baseAddress! + i * m
                    for p in 0..<i {
                        let lip = l[i * n + p]
                        let bp = b.baseAddress! + p * m
                        for c in 0..<m { bi[c] -= lip * bp[c] }
                    }
                    let inverse = 1 / l[i * n + i]
                    for c in 0..<m { bi[c] *= inverse }
                }
                for i in stride(from: n - 1, through: 0, by: -1) {
                    let bi = b.baseAddress! + i * m
                    for p in (i + 1)..<n {
                        let lpi = l[p * n + i]
                        let bp = b.baseAddress! + p * m
                        for c in 0..<m { bi[c] -= lpi * bp[c] }
                    }
                    let inverse = 1 / l[i * n + i]
                    for c in 0..<m { bi[c] *= inverse }
                }
            }
        }
    }
}
