import Foundation
import SigLIPBase
import SigLIPEval
import SigLIPData
import SigLIPLayers
import SigLIPModels

/// The end-of-run evaluation of a study: every benchmark split at every inference round, item
/// by item (for paired comparison), plus the held-out pairs' validation loss.
enum StudyEvaluation {
    /// One summary figure (a metric's mean over items).
    struct Figure: Codable {
        var benchmark: String
        var split: String
        var rounds: Int
        var metric: String
        var value: Double
        var items: Int
        var chance: Double
    }

    struct Result {
        var outcomes: [ItemOutcomes] = []
        var figures: [Figure] = []
        /// "dev"/"test" → rounds → the sigmoid loss over the held-out pairs.
        var validationLoss: [String: [String: Double]] = [:]
    }

    /// Rounds for a model: every asked value when the image tower recurses, else just the
    /// smallest (more rounds change nothing).
    static func rounds(_ asked: [Int], for model: SigLIPModel) -> [Int] {
        model.config.imageTower.recursion.signature.isRecursive ? asked : [asked.min() ?? 1]
    }

    static func evaluate(_ encoder: SigLIPEncoder, plan: StudyPlan, rounds asked: [Int], batchSize: Int,
                         progress: (String) -> Void) throws -> Result {
        let rounds = Self.rounds(asked, for: encoder.model)
        var result = Result()
        for benchmark in plan.benchmarks {
            for (split, folder) in [("dev", benchmark.dev), ("test", benchmark.test)] {
                progress("\(benchmark.name) \(split)")
                switch benchmark.kind {
                case .classification:
                    try classify(encoder, benchmark: benchmark.name, split: split, folder: folder, rounds: rounds, into: &result)
                case .retrieval:
                    for r in rounds {
                        try retrieve(encoder, benchmark: benchmark.name, split: split, folder: folder, rounds: r,
                                     batchSize: batchSize, into: &result)
                    }
                }
            }
        }
        return result
    }

    static func classify(_ encoder: SigLIPEncoder, benchmark: String, split: String, folder: String, rounds: [Int],
                         into result: inout Result) throws {
        let root = URL(fileURLWithPath: folder)
        let task = try ZeroShotBenchmark(root: root).task
        let outcome = try ZeroShotEvaluator.evaluate(encoder: encoder, task: task, rounds: rounds)
        let names = outcome.evaluated.map { String($0.path.dropFirst(root.path.count)) }
        let digest = ItemOutcomes.digest(names)
        for (r, hits) in zip(rounds, outcome.itemHits) {
            let k = min(5, task.classNames.count)
            for (metric, list, chance) in [("top1", hits.top1, 1.0), ("top5", hits.topK, Double(k))] {
                add(ItemOutcomes(benchmark: benchmark, split: split, rounds: r, metric: metric, itemsDigest: digest, hits: list,
                                 chance: chance / Double(task.classNames.count)), to: &result)
            }
        }
    }

    static func retrieve(_ encoder: SigLIPEncoder, benchmark: String, split: String, folder: String, rounds: Int,
                         batchSize: Int, into result: inout Result) throws {
        let dataset = try openImageTextDataset(at: URL(fileURLWithPath: folder))
        let embedded = try RetrievalEvaluator.embed(encoder: encoder, dataset: dataset, rounds: rounds, data: folder)
        let (i2t, t2i) = Retrieval.ranks(images: embedded.images, texts: embedded.texts, imageOfText: embedded.imageOfText,
                                         width: encoder.embeddingWidth)
        let imageDigest = ItemOutcomes.digest(embedded.imageNames), textDigest = ItemOutcomes.digest(embedded.captions)
        let (n, m) = (Double(embedded.imageNames.count), Double(embedded.captions.count))
        for k in [1, 5] {
            add(ItemOutcomes(benchmark: benchmark, split: split, rounds: rounds, metric: "i2t_r\(k)", itemsDigest: imageDigest,
                             hits: i2t.map { ($0 ?? .max) < k }, chance: min(1, Double(k) / m)), to: &result)
            add(ItemOutcomes(benchmark: benchmark, split: split, rounds: rounds, metric: "t2i_r\(k)", itemsDigest: textDigest,
                             hits: t2i.map { $0 < k }, chance: min(1, Double(k) / n)), to: &result)
        }
        let model = encoder.model, ctx = model.makeContext()
        let loss = validationLoss(embedded, logScale: ctx.value(model.loss.logScale)[0], bias: ctx.value(model.loss.bias)[0],
                                  width: encoder.embeddingWidth, batch: batchSize)
        result.validationLoss[split, default: [:]][String(rounds)] = loss
    }

    static func add(_ outcome: ItemOutcomes, to result: inout Result) {
        result.outcomes.append(outcome)
        result.figures.append(Figure(benchmark: outcome.benchmark, split: outcome.split, rounds: outcome.rounds,
                                     metric: outcome.metric, value: outcome.value, items: outcome.hits.count, chance: outcome.chance))
    }

    /// The training objective on held-out pairs: texts in file order, in blocks of `batch`,
    /// each text against the images of its block's texts (its own on the diagonal), sigmoid
    /// loss −(1/n) Σ_ij log σ(z_ij (exp(t)·⟨img_i, txt_j⟩ + b)) averaged over blocks weighted
    /// by their size. A block in which an image repeats is scored as it is (pairs share it).
    static func validationLoss(_ e: RetrievalEmbeddings, logScale t: Float, bias b: Float, width: Int, batch: Int) -> Double {
        let m = e.captions.count, scale = Double(exp(t))
        var total = 0.0, start = 0
        while start < m {
            let end = min(start + max(batch, 1), m)
            var block = 0.0
            for i in start..<end {
                let image = e.imageOfText[i]
                for j in start..<end {
                    var dot = 0.0
                    for d in 0..<width { dot += Double(e.images[image * width + d]) * Double(e.texts[j * width + d]) }
                    let z: Float = i == j ? 1 : -1
                    block -= Double(SigmoidLoss.logSigmoid(z * Float(scale * dot + Double(b))))
                }
            }
            total += block   // n · (the block's loss), n = end − start
            start = end
        }
        return total / Double(m)
    }
}
