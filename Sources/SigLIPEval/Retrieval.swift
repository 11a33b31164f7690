/// Image→text and text→image recall@k from embeddings (big_vision's retrieval evaluator).
public enum Retrieval {
    public static let defaultKs = [1, 5, 10]

    /// images: [N, E], texts: [M, E] (L2-normalised), imageOfText: [M] (the image each text
    /// describes). Image→text: an image is a hit at k when any of its texts ranks in its top k;
    /// text→image: a text is a hit when its image ranks in its top k. Ties rank the lower index
    /// first. Returns recall per k (fractions), in the order of `ks`.
    public static func recall(images: [Float], texts: [Float], imageOfText: [Int], width e: Int,
                              ks: [Int] = defaultKs) -> (imageToText: [Double], textToImage: [Double]) {
        let (bestTextRank, imageRank) = ranks(images: images, texts: texts, imageOfText: imageOfText, width: e)
        let withTexts = bestTextRank.compactMap { $0 }
        let i2t = ks.map { k in withTexts.isEmpty ? 0 : Double(withTexts.filter { $0 < k }.count) / Double(withTexts.count) }
        let t2i = ks.map { k in imageRank.isEmpty ? 0 : Double(imageRank.filter { $0 < k }.count) / Double(imageRank.count) }
        return (i2t, t2i)
    }

    /// The ranks behind the recalls (0 = first): per image [N], the best rank among its own
    /// texts (nil for an image without texts); per text [M], the rank of its image.
    public static func ranks(images: [Float], texts: [Float], imageOfText: [Int], width e: Int)
        -> (imageToText: [Int?], textToImage: [Int]) {
        let n = images.count / e, m = texts.count / e
        precondition(images.count == n * e && texts.count == m * e && imageOfText.count == m, "Retrieval.recall: shapes")
        var scores = [Float](repeating: 0, count: n * m)   // [N, M]
        for i in 0..<n {
            for j in 0..<m {
                var dot: Float = 0
                for d in 0..<e { dot += images[i * e + d] * texts[j * e + d] }
                scores[i * m + j] = dot
            }
        }
        func rank(of target: Int, among count: Int, score: (Int) -> Float) -> Int {
            let s = score(target)
            var r = 0
            for c in 0..<count where score(c) > s || (score(c) == s && c < target) { r += 1 }
            return r
        }
        // Image→text: the best rank among the image's own texts.
        var bestTextRank = [Int](repeating: Int.max, count: n)
        for i in 0..<n {
            for j in 0..<m where imageOfText[j] == i {
                bestTextRank[i] = min(bestTextRank[i], rank(of: j, among: m) { scores[i * m + $0] })
            }
        }
        let imageRank = (0..<m).map { j in rank(of: imageOfText[j], among: n) { scores[$0 * m + j] } }
        return (bestTextRank.map { $0 == Int.max ? nil : $0 }, imageRank)
    }
}

/// The retrieval report, `Codable` for `--json`.
public struct RetrievalReport: Codable, Equatable, Sendable {
    public var data: String
    public var checkpoint: String
    public var rounds: Int
    public var images: Int
    public var texts: Int
    public var flopsPerImage: Double
    /// "1", "5", "10" → recall.
    public var imageToText: [String: Double]
    public var textToImage: [String: Double]
    public var skipped: [SkippedImage]

    enum CodingKeys: String, CodingKey {
        case data, checkpoint, rounds, images, texts, flopsPerImage = "flops_per_image"
        case imageToText = "image_to_text_recall", textToImage = "text_to_image_recall", skipped
    }
}
