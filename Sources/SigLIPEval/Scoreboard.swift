/// Accumulates zero-shot predictions: top-1 / top-k hits, per-class counts and confusions.
public struct Scoreboard: Sendable {
    /// K, the number of classes.
    public let classes: Int
    /// The k of top-k (5, or K when there are fewer classes).
    public let k: Int
    public private(set) var images = 0
    public private(set) var top1Hits = 0
    public private(set) var topKHits = 0
    /// Per class: images of the class, and how many were predicted right (top-1).
    public private(set) var perClassImages: [Int]
    public private(set) var perClassCorrect: [Int]
    /// (true class, predicted class) → count, for wrong top-1 predictions.
    public private(set) var confusions: [Pair: Int] = [:]
    /// Each recorded image's outcome, in the order recorded: top-1 hit, top-k hit.
    public private(set) var top1HitList: [Bool] = []
    public private(set) var topKHitList: [Bool] = []

    public struct Pair: Hashable, Sendable {
        public let truth: Int
        public let predicted: Int

        public init(truth: Int, predicted: Int) {
            self.truth = truth
            self.predicted = predicted
        }
    }

    public init(classes: Int, topK: Int = 5) {
        precondition(classes > 0, "Scoreboard: no classes")
        self.classes = classes
        k = min(topK, classes)
        perClassImages = Array(repeating: 0, count: classes)
        perClassCorrect = Array(repeating: 0, count: classes)
    }

    /// Scores images against class embeddings and records the predictions.
    /// images: [B, E], classEmbeddings: [K, E], labels: [B].
    public mutating func add(images: [Float], labels: [Int], classEmbeddings: [Float], width e: Int) {
        precondition(images.count == labels.count * e && classEmbeddings.count == classes * e, "Scoreboard.add: shapes")
        var scores = [Float](repeating: 0, count: classes)
        for (b, label) in labels.enumerated() {
            for c in 0..<classes {
                var dot: Float = 0
                for d in 0..<e { dot += images[b * e + d] * classEmbeddings[c * e + d] }
                scores[c] = dot
            }
            record(scores: scores, label: label)
        }
    }

    /// Records one image's scores [K] (argmax = prediction; ties go to the lower class index).
    public mutating func record(scores: [Float], label: Int) {
        precondition(scores.count == classes && (0..<classes).contains(label), "Scoreboard.record: bad scores or label")
        let truthScore = scores[label]
        // Rank of the true class: classes scoring higher, or equal with a lower index.
        var rank = 0
        var best = 0
        for c in 0..<classes {
            if scores[c] > truthScore || (scores[c] == truthScore && c < label) { rank += 1 }
            if scores[c] > scores[best] { best = c }
        }
        images += 1
        perClassImages[label] += 1
        if rank == 0 { top1Hits += 1; perClassCorrect[label] += 1 } else { confusions[Pair(truth: label, predicted: best), default: 0] += 1 }
        if rank < k { topKHits += 1 }
        top1HitList.append(rank == 0)
        topKHitList.append(rank < k)
    }

    public var top1: Double { images == 0 ? 0 : Double(top1Hits) / Double(images) }
    public var topK: Double { images == 0 ? 0 : Double(topKHits) / Double(images) }

    /// Top-1 accuracy per class (nil for a class with no evaluated image).
    public var perClassAccuracy: [Double?] {
        (0..<classes).map { perClassImages[$0] == 0 ? nil : Double(perClassCorrect[$0]) / Double(perClassImages[$0]) }
    }
}
