/// Analytic floating-point operation counts. Every matrix product of shapes [m, k] · [k, n]
/// counts 2·m·n·k; element-wise work (norms, GELU, softmax, adds) is left out, as is usual
/// for model-FLOP utilisation. The backward pass is counted as twice the forward (one
/// product for the input gradient and one for the weight gradient per forward product).
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

    /// The image tower's forward on one image, running `blockApplications` blocks in all
    /// (the depth for a plain tower; more under recursion).
    public static func imageForward(_ c: VisionConfig, blockApplications: Int? = nil) -> Double {
        let (n, d, m) = (Double(c.tokens), Double(c.hiddenSize), Double(c.intermediateSize))
        let patch = 2 * n * Double(c.numChannels * c.patchSize * c.patchSize) * d
        let blocks = Double(blockApplications ?? c.numHiddenLayers) * block(tokens: c.tokens, width: c.hiddenSize, mlpWidth: c.intermediateSize)
        let head = 2 * d * d + 2 * n * d * 2 * d + 2 * n * d * 2 + 2 * d * d + 2 * d * m * 2   // q, kv, attention, out, mlp
        return patch + blocks + head
    }

    /// The text tower's forward on one text of L tokens.
    public static func textForward(_ c: TextConfig, blockApplications: Int? = nil) -> Double {
        let blocks = Double(blockApplications ?? c.numHiddenLayers)
            * block(tokens: c.maxPositionEmbeddings, width: c.hiddenSize, mlpWidth: c.intermediateSize)
        return blocks + 2 * Double(c.hiddenSize * c.embeddingSize)
    }

    /// The logits of one example against a batch of B texts.
    public static func logits(embedding e: Int, batch: Int) -> Double { 2 * Double(e) * Double(batch) }

    /// One training example (forward + backward of both towers and the loss) in a batch of B.
    public static func trainingExample(_ c: SiglipConfig, batch: Int) -> Double {
        let forward = imageForward(c.visionConfig) + textForward(c.textConfig) + logits(embedding: c.textConfig.embeddingSize, batch: batch)
        return forward * (1 + backwardToForwardRatio)
    }
}
