import SigLIPBase
import SigLIPCore

/// Embeddings with their labels: `values` [N, E] row-major, `labels` [N] in 0..<K.
public struct LabelledFeatures: Sendable, Equatable {
    public var width: Int
    public var values: [Float]
    public var labels: [Int]

    public init(width: Int, values: [Float], labels: [Int]) {
        precondition(values.count == labels.count * width, "\(values.count) values for \(labels.count) rows of width \(width)")
        self.width = width
        self.values = values
        self.labels = labels
    }

    public var count: Int { labels.count }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> LabelledFeatures {
        var out: [Float] = []
        out.reserveCapacity(indices.count * width)
        for i in indices { out += values[(i * width)..<((i + 1) * width)] }
        return LabelledFeatures(width: width, values: out, labels: indices.map { labels[$0] })
    }
}

/// The linear probe of big_vision's few-shot evaluator (`evaluators/fewshot_lsr.py`), fitted in
/// closed form:
///
/// - each feature is standardised with the mean and (population) standard deviation + 1e-5 of
///   the training shots, the same shift and scale applied to the test images;
/// - a constant feature 100 is appended, a bias that λ barely regularises;
/// - the targets are one-hot rescaled to {−1, +1} (Y [N, K]);
/// - W [E + 1, K] = (XᵀX + λI)⁻¹ XᵀY (`RidgeRegression`); the prediction is the argmax of
///   x̃W (ties to the lower class index).
///
/// big_vision uses the one λ = 2¹⁰ for every data set and shots value; nothing is tuned.
public struct LinearProbe: Sendable {
    /// big_vision's `BIAS_CONSTANT`.
    public static let biasFeature = 100.0
    /// Added to each feature's standard deviation before dividing by it.
    public static let deviationFloor = 1e-5
    /// big_vision's `l2_reg` of its standard few-shot configuration (`configs/common_fewshot.py`).
    public static let standardL2 = 1024.0

    public let classes: Int
    public let l2: Double
    /// Per feature [E]: the training mean and 1 / (standard deviation + 1e-5).
    let mean: [Double], inverseScale: [Double]
    /// [E + 1, K]: the standardised features' weights, then the bias feature's.
    public let weights: [Double]

    public var width: Int { mean.count }

    /// One probe per value of `l2` (the standardisation and the Gram matrix are shared).
    /// Throws when a label is outside 0..<classes or a λ is unusable (`--l2`).
    public static func fit(_ train: LabelledFeatures, classes: Int, l2: [Double]) throws -> [LinearProbe] {
        guard train.count > 0 else { throw SigLIPError(path: "", problem: "a linear probe needs at least one training image") }
        if let bad = train.labels.first(where: { !(0..<classes).contains($0) }) {
            throw SigLIPError(path: "", problem: "label \(bad) outside 0..<\(classes)")
        }
        let n = train.count, e = train.width, d = e + 1
        var mean = [Double](repeating: 0, count: e), variance = [Double](repeating: 0, count: e)
        for r in 0..<n { for j in 0..<e { mean[j] += Double(train.values[r * e + j]) } }
        for j in 0..<e { mean[j] /= Double(n) }
        for r in 0..<n {
            for j in 0..<e {
                let centred = Double(train.values[r * e + j]) - mean[j]
                variance[j] += centred * centred
            }
        }
        let inverseScale = variance.map { 1 / (($0 / Double(n)).squareRoot() + deviationFloor) }
        var x = [Double](repeating: 0, count: n * d), y = [Double](repeating: -1, count: n * classes)
        for r in 0..<n {
            standardise(train.values, row: r, width: e, mean: mean, inverseScale: inverseScale, into: &x, at: r * d)
            y[r * classes + train.labels[r]] = 1
        }
        let ridge = try RidgeRegression(x: x, y: y, samples: n, features: d, targets: classes)
        return try l2.map { lambda in
            LinearProbe(classes: classes, l2: lambda, mean: mean, inverseScale: inverseScale, weights: try ridge.weights(l2: lambda))
        }
    }

    /// The predicted class of each row of `features` [T, E].
    public func predict(_ features: LabelledFeatures) -> [Int] {
        precondition(features.width == width, "features of width \(features.width) for a probe of width \(width)")
        let e = width, d = e + 1
        var row = [Double](repeating: 0, count: d), scores = [Double](repeating: 0, count: classes)
        return (0..<features.count).map { r in
            Self.standardise(features.values, row: r, width: e, mean: mean, inverseScale: inverseScale, into: &row, at: 0)
            for k in 0..<classes { scores[k] = 0 }
            for i in 0..<d {
                let xi = row[i]
                for k in 0..<classes { scores[k] += xi * weights[i * classes + k] }
            }
            var best = 0
            for k in 1..<max(1, classes) where scores[k] > scores[best] { best = k }
            return best
        }
    }

    /// The fraction of rows of `test` whose prediction is their label (0 for no rows).
    public func accuracy(on test: LabelledFeatures) -> Double {
        guard test.count > 0 else { return 0 }
        let hits = zip(predict(test), test.labels).filter { $0 == $1 }.count
        return Double(hits) / Double(test.count)
    }

    /// Writes x̃ = [(x − mean) / scale, 100] [E + 1] for row `row` of `values` [N, E] at `offset`.
    static func standardise(_ values: [Float], row: Int, width e: Int, mean: [Double], inverseScale: [Double],
                            into out: inout [Double], at offset: Int) {
        for j in 0..<e { out[offset + j] = (Double(values[row * e + j]) - mean[j]) * inverseScale[j] }
        out[offset + e] = biasFeature
    }
}

/// One seeded draw of the shots: every class's shot-pool images in a random order. The probe at
/// k shots trains on the first k of each class, so a draw's shots are nested (its 1-shot images
/// are among its 5-shot ones), as in big_vision; in the class-folders layout the images after
/// the first max(shots) of each class are the draw's test images.
///
/// Class c of draw d is shuffled (Fisher–Yates) by a generator derived from (seed, d, c): a
/// draw depends only on the seed, its index and the class's own images, not on the other
/// classes, the rounds or the checkpoint, so every rounds value and checkpoint is probed on
/// the same draws.
public struct FewShotDraw: Sendable, Equatable {
    public let index: Int
    /// Per class, the indices (into the labels the draw was made from) in drawn order.
    public let order: [[Int]]

    /// labels: [N] in 0..<classes, the shot pool's labels.
    public init(labels: [Int], classes: Int, seed: UInt64, index: Int) {
        var members = [[Int]](repeating: [], count: classes)
        for (i, label) in labels.enumerated() { members[label].append(i) }
        let base = SeededGenerator(seed: seed).derived(UInt64(truncatingIfNeeded: index))
        order = members.enumerated().map { c, indices in
            var shuffled = indices
            var generator = base.derived(UInt64(truncatingIfNeeded: c))
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
                let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
                shuffled.swapAt(i, j)
            }
            return shuffled
        }
        self.index = index
    }

    /// The first `shots` indices of every class, class by class.
    public func shots(_ shots: Int) -> [Int] { order.flatMap { $0.prefix(shots) } }

    /// Every class's indices after its first `count`, class by class.
    public func remainder(after count: Int) -> [Int] { order.flatMap { $0.dropFirst(count) } }
}
