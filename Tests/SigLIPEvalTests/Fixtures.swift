import Foundation
import SigLIPEval

/// Paths into the repository, found from this file.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let zeroshot = root.appendingPathComponent("datasets/default/zeroshot")
    static let tokenizer = root.appendingPathComponent("datasets/tokenizer/siglip-emoji-4k.model")
    static let reference = root.appendingPathComponent("Tests/SigLIPModelsTests/Resources/reference")
    static let templatesFile = root.appendingPathComponent("evals/imagenet/templates.txt")
    static let classNamesFile = root.appendingPathComponent("evals/imagenet/classnames.txt")

    /// The first `count` bundled emoji images (32 × 32 PNG), each a different class.
    static func emojiImages(_ count: Int) throws -> [URL] {
        let folders = try FileManager.default.contentsOfDirectory(atPath: zeroshot.path).filter { !$0.contains(".") }.sorted()
        return try folders.prefix(count).map { folder in
            let dir = zeroshot.appendingPathComponent(folder)
            let file = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".png") }.sorted()[0]
            return dir.appendingPathComponent(file)
        }
    }
}

/// Hand-built embeddings: texts and images (by their pixels) map to given vectors, optionally
/// different per rounds value, so the expected accuracy is known exactly.
final class TableEncoder: ZeroShotEncoder {
    let imageSize: Int
    let embeddingWidth: Int
    var defaultRounds = 1
    var imageTowerRecurses = true
    var textDependsOnRounds = false
    var texts: [String: [Float]] = [:]
    /// pixels → embedding, per rounds value (rounds 0: any rounds without its own entry).
    var images: [Int: [[Float]: [Float]]] = [:]
    private(set) var textCalls: [[String]] = []

    init(imageSize: Int, embeddingWidth: Int) {
        self.imageSize = imageSize
        self.embeddingWidth = embeddingWidth
    }

    struct Missing: Error { let what: String }

    func encodeImages(_ pixels: UnsafeBufferPointer<Float>, count: Int, rounds: Int) throws -> [Float] {
        let stride = imageSize * imageSize * 3
        return try (0..<count).flatMap { b -> [Float] in
            let key = Array(pixels[(b * stride)..<((b + 1) * stride)])
            guard let v = images[rounds]?[key] ?? images[0]?[key] else { throw Missing(what: "image \(b)") }
            return v
        }
    }

    func encodeTexts(_ batch: [String], rounds: Int) throws -> [Float] {
        textCalls.append(batch)
        return try batch.flatMap { text -> [Float] in
            guard let v = texts[text] else { throw Missing(what: "text '\(text)'") }
            return v
        }
    }

    func flopsPerImage(rounds: Int) -> Double { Double(1000 * rounds) }
}

/// e_i of width n scaled to unit length, optionally mixed: `unit(n, [0: 0.8, 2: 0.6])`.
func unit(_ n: Int, _ parts: [Int: Float]) -> [Float] {
    var v = [Float](repeating: 0, count: n)
    for (i, x) in parts { v[i] = x }
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return v.map { $0 / norm }
}
