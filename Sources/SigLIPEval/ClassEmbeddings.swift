import SigLIPBase
/// The zero-shot classifier's weights: one embedding per class from its prompts (DESIGN.md §4.9):
/// every prompt's embedding L2-normalised, averaged over the templates, renormalised.
public enum ClassEmbeddings {
    /// Norm floor of DESIGN.md §4.7's `z / (‖z‖ + 1e-8)`.
    public static let normEpsilon: Float = 1e-8

    /// Encodes the K × T prompts of `Prompts.classTexts` in batches and averages them per class.
    /// `progress(done, total)` counts prompts. Returns [K, E] row-major.
    public static func compute(encoder: ZeroShotEncoder, classNames: [String], templates: [String], rounds: Int,
                               batchSize: Int = 256, progress: (Int, Int) -> Void = { _, _ in }) throws -> [Float] {
        let texts = try Prompts.classTexts(classNames: classNames, templates: templates)
        let e = encoder.embeddingWidth
        var embeddings: [Float] = []
        embeddings.reserveCapacity(texts.count * e)
        var start = 0
        progress(0, texts.count)
        while start < texts.count {
            let end = min(start + max(1, batchSize), texts.count)
            let chunk = try encoder.encodeTexts(Array(texts[start..<end]), rounds: rounds)
            guard chunk.count == (end - start) * e else {
                throw SigLIPError(path: "", problem: "text encoder returned \(chunk.count) floats for \(end - start) texts of width \(e)")
            }
            embeddings += chunk
            start = end
            progress(start, texts.count)
        }
        return averagePerClass(embeddings, classes: classNames.count, templates: templates.count, width: e)
    }

    /// embeddings: [K · T, E] class-major → [K, E]: each row L2-normalised, the T rows of a class
    /// averaged, the average renormalised.
    public static func averagePerClass(_ embeddings: [Float], classes k: Int, templates t: Int, width e: Int) -> [Float] {
        precondition(embeddings.count == k * t * e, "averagePerClass: \(embeddings.count) floats for [\(k) · \(t), \(e)]")
        var out = [Float](repeating: 0, count: k * e)
        for c in 0..<k {
            for j in 0..<t {
                let row = (c * t + j) * e
                let scale = 1 / (norm(embeddings, from: row, count: e) + normEpsilon)
                for d in 0..<e { out[c * e + d] += embeddings[row + d] * scale }
            }
            for d in 0..<e { out[c * e + d] /= Float(t) }
            let scale = 1 / (norm(out, from: c * e, count: e) + normEpsilon)
            for d in 0..<e { out[c * e + d] *= scale }
        }
        return out
    }

    static func norm(_ x: [Float], from start: Int, count: Int) -> Float {
        var sum: Float = 0
        for i in start..<(start + count) { sum += x[i] * x[i] }
        return sum.squareRoot()
    }
}
