import Foundation

/// Analytic floating-point operation counts. Every matrix product of shapes [m, k] · [k, n]
/// counts 2·m·n·k; element-wise work (norms, GELU, softmax, adds, diagonal adapters) is left
/// out, as is usual for model-FLOP utilisation. The backward pass is counted as twice the
/// forward: each forward product [m, k]·[k, n] has two backward products of the same size,
/// one for the input gradient and one for the weight gradient.
public enum FLOPs {
    public static let backwardToForwardRatio = 2.0

    /// One pre-LN encoder block on one example of N tokens.
    public static func block(tokens n: Int, width d: Int, mlpWidth m: Int) -> Double {
        let (n, d, m) = (Double(n), Double(d), Double(m))
        let projections = 2 * n * d * 3 * d + 2 * n * d * d     // q, k, v and out
        let attention = 2 * n * n * d * 2                        // scores and weighted sum, all heads
        let mlp = 2 * n * d * m * 2
        return projections + attention + mlp
    }

    /// The encoder of a tower on one example, for `rounds` recursion rounds (fractional for an
    /// expectation), adapters included.
    static func encoder(depth: Int, tokens: Int, width: Int, mlpWidth: Int, recursion: RecursionConfig, rounds: Double) -> Double {
        let blocks = recursion.blockApplications(depth: depth, rounds: rounds) * block(tokens: tokens, width: width, mlpWidth: mlpWidth)
        let adapterCost = recursion.adapter == .linear ? 2 * Double(tokens) * Double(width) * Double(width) : 0
        return blocks + recursion.adapterApplications(rounds: rounds) * adapterCost
    }

    /// The image tower's forward on one image for `rounds` recursion rounds (nil: the
    /// configured training rounds).
    public static func imageForward(_ c: ImageTowerConfig, rounds: Double? = nil) -> Double {
        let (n, d) = (Double(c.tokens), Double(c.width))
        let patch = 2 * n * Double(c.channels * c.patchSize * c.patchSize) * d
        let encoder = encoder(depth: c.depth, tokens: c.tokens, width: c.width, mlpWidth: c.mlpWidth,
                              recursion: c.recursion, rounds: rounds ?? Double(c.recursion.rounds))
        return patch + encoder + imageHead(c)
    }

    /// The image tower's MAP head on one image: q, kv, attention, out, MLP. These are model
    /// FLOPs, counted as the reference computes the head (every token projected to a key and a
    /// value), which is also what PyTorch's side of `evals/bench` counts and what compute
    /// matching has always used. `MAPHead` folds its one query into the key weights and
    /// executes fewer (B/16: 1.3% fewer for the whole image tower); model-FLOP utilisation
    /// credits the model's count, as is usual, not the operations a particular kernel runs.
    static func imageHead(_ c: ImageTowerConfig) -> Double {
        let (n, d, m) = (Double(c.tokens), Double(c.width), Double(c.mlpWidth))
        return 2 * d * d + 2 * n * d * 2 * d + 2 * n * d * 2 + 2 * d * d + 2 * d * m * 2
    }

    /// The text tower's head (the projection of the pooled token).
    static func textHead(_ c: TextTowerConfig) -> Double { 2 * Double(c.width * c.embeddingWidth) }

    /// The text tower's forward on one text of L tokens for `rounds` recursion rounds.
    public static func textForward(_ c: TextTowerConfig, rounds: Double? = nil) -> Double {
        let encoder = encoder(depth: c.depth, tokens: c.length, width: c.width,
                              mlpWidth: c.mlpWidth, recursion: c.recursion, rounds: rounds ?? Double(c.recursion.rounds))
        return encoder + textHead(c)
    }

    /// The logits of one example against a batch of B texts.
    public static func logits(embedding e: Int, batch: Int) -> Double { 2 * Double(e) * Double(batch) }

    /// One training example (forward + backward of both towers and the loss) in a batch of B,
    /// at the expected rounds of stochastic RINS (1 + (r − 1)(1 − p_s) per tower). A locked
    /// tower (`lock`) costs its forward, plus the backward of its unlocked blocks and head.
    public static func trainingExample(_ c: SigLIPConfig, batch: Int, lock: TowerLock? = nil) -> Double {
        trainingExample(c, batch: batch, imageRounds: c.imageTower.recursion.expectedTrainingRounds,
                        textRounds: c.textTower.recursion.expectedTrainingRounds, lock: lock)
    }

    /// One training step of a batch of B at the given rounds of each tower.
    public static func trainingStep(_ c: SigLIPConfig, batch: Int, imageRounds: Int, textRounds: Int, lock: TowerLock? = nil) -> Double {
        Double(batch) * trainingExample(c, batch: batch, imageRounds: Double(imageRounds), textRounds: Double(textRounds), lock: lock)
    }

    static func trainingExample(_ c: SigLIPConfig, batch: Int, imageRounds: Double, textRounds: Double, lock: TowerLock?) -> Double {
        let image = imageForward(c.imageTower, rounds: imageRounds), text = textForward(c.textTower, rounds: textRounds)
        let forward = image + text + logits(embedding: c.textTower.embeddingWidth, batch: batch)
        guard let lock else { return forward * (1 + backwardToForwardRatio) }
        // The backward of everything but the locked tower, and of the locked tower's unlocked part.
        let (locked, depth, recursion, rounds) = lock.tower == .image
            ? (image, c.imageTower.depth, c.imageTower.recursion, imageRounds) : (text, c.textTower.depth, c.textTower.recursion, textRounds)
        var unlocked = 0.0
        if lock.unlockedBlocks > 0 {
            let applications = lock.unlockedApplications(depth: depth, recursion: recursion, rounds: rounds)
            switch lock.tower {
            case .image:
                let t = c.imageTower
                unlocked = applications * block(tokens: t.tokens, width: t.width, mlpWidth: t.mlpWidth) + imageHead(t)
            case .text:
                let t = c.textTower
                unlocked = applications * block(tokens: t.length, width: t.width, mlpWidth: t.mlpWidth) + textHead(t)
            }
        }
        return forward + backwardToForwardRatio * (forward - locked + unlocked)
    }

    /// Inference FLOPs per image at `rounds` recursion rounds of the image tower.
    public static func inferencePerImage(_ c: SigLIPConfig, rounds: Int) -> Double {
        imageForward(c.imageTower, rounds: Double(rounds))
    }
}

/// Compute-matched training: the number of examples a configuration may see to spend the
/// same total training FLOPs as a baseline trained on `baselineExamples`, rounded DOWN to
/// whole batches: the candidate never spends more than the baseline, and less by under one
/// batch's FLOPs (DESIGN.md §5).
public struct ComputeMatch: Sendable {
    public let baselineFLOPs: Double
    public let candidateFLOPsPerExample: Double
    public let examples: Int
    /// examples / baselineExamples.
    public let exampleRatio: Double

    /// `lock`: the tower lock both train with.
    public init(baseline: SigLIPConfig, baselineExamples: Int, candidate: SigLIPConfig, batch: Int, lock: TowerLock? = nil) {
        baselineFLOPs = FLOPs.trainingExample(baseline, batch: batch, lock: lock) * Double(baselineExamples)
        candidateFLOPsPerExample = FLOPs.trainingExample(candidate, batch: batch, lock: lock)
        let batches = max(1, Int((baselineFLOPs / candidateFLOPsPerExample / Double(batch)).rounded(.down)))
        examples = batches * batch
        exampleRatio = Double(examples) / Double(max(baselineExamples, 1))
    }

    /// e.g. "baseline 1.00e+15 FLOPs / candidate 1.00e+15 FLOPs, 0.67× the examples"
    public var summary: String {
        let spent = candidateFLOPsPerExample * Double(examples)
        return "baseline \(scientific(baselineFLOPs)) FLOPs / candidate \(scientific(spent)) FLOPs, "
            + "\(String(format: "%.2f", exampleRatio))× the examples"
    }
}

/// A number as "1.23e+15".
public func scientific(_ x: Double) -> String { String(format: "%.2e", x) }
