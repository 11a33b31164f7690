import Foundation
import ArgumentParser
import SigLIPApp
import SigLIPModels
import SigLIPTraining

extension AdapterKind: ExpressibleByArgument {}
extension TowerLock.Tower: ExpressibleByArgument {}

/// Every option of `TrainingOptions` as an optional flag: only the flags given override.
struct TrainFlags: ParsableArguments {
    @Option(help: "Model preset with patch size, e.g. Ti/8, S/16, B/16.") var model: String?
    @Option(help: "Blocks per tower (overrides the preset's depth).") var depth: Int?
    @Option(help: "Image resolution in pixels.") var imageSize: Int?
    @Option(help: "Text length L in tokens.") var textLength: Int?
    @Option(help: "Mask text padding in attention: true or false.") var maskPadding: Bool?
    @Option(help: "Image tower recursion signature: 'A B' (baseline), 'A^r B' (RINS), '(A B)^r', 'A B^r'.") var signature: String?
    @Option(help: "Recursion rounds r used in training.") var rounds: Int?
    @Option(help: "Stochastic RINS: probability of skipping each extra round.") var skipProbability: Double?
    @Option(help: "Per-round adapters: none, linear, diagonal.") var adapter: AdapterKind?
    @Option(help: "Text tower recursion signature.") var textSignature: String?
    @Option(help: "Text tower recursion rounds.") var textRounds: Int?

    @Option(help: "Training data: a folder of .tar shards, a .tar, or a .jsonl/.tsv manifest.") var data: String?
    @Option(help: "SentencePiece .model file.") var tokenizer: String?
    @Option(help: "Zero-shot benchmark folder (ImageNet layout) for periodic evaluation.") var evalData: String?
    @Flag(help: "Do not evaluate during training.") var noEval = false
    @Option(help: "Evaluate every N steps.") var evalEvery: Int?
    @Option(help: "Rounds for the periodic evaluation, e.g. 1,2.") var evalRounds: String?
    @Option(help: "Random horizontal flips: true or false.") var randomFlip: Bool?
    @Option(help: "Decoding worker threads.") var workers: Int?
    @Option(help: "Skip training images larger than this many bytes (default 64 MiB).") var maxImageBytes: Int?
    @Option(help: "Skip training images with more pixels than this (default 100 million).") var maxImagePixels: Int?

    @Option(help: "Examples per step.") var batchSize: Int?
    @Option(help: "Gradient accumulation: run the batch in N micro-batches against the exact loss over the whole batch.") var accumulate: Int?
    @Option(help: "Peak learning rate.") var learningRate: Float?
    @Option(help: "Linear warm-up steps.") var warmupSteps: Int?
    @Option(help: "Decoupled weight decay (on weight matrices).") var weightDecay: Float?
    @Option(help: "Adam beta1.") var beta1: Float?
    @Option(help: "Adam beta2.") var beta2: Float?
    @Option(help: "Global gradient-norm clip.") var gradientClipNorm: Float?
    @Option(help: "Initial log temperature t.") var initialLogScale: Float?
    @Option(help: "Initial bias b (default -ln(batch size)).") var initialBias: Float?

    @Option(help: "Budget: training steps.") var steps: Int?
    @Option(help: "Budget: training examples.") var examples: Int?
    @Option(help: "Budget: total training FLOPs.") var flops: Double?
    @Option(help: "Budget: the FLOPs of the same model without recursion trained for N steps.") var matchBaselineSteps: Int?

    @Option(help: "Random seed (weights, data order, flips, stochastic rounds).") var seed: UInt64?
    @Option(help: "Run directory.") var output: String?
    @Option(help: "Checkpoint every N steps.") var checkpointEvery: Int?
    @Option(help: "Checkpoints to keep.") var keepCheckpoints: Int?
    @Option(help: "Start from the weights of this checkpoint directory.") var initFrom: String?
    @Option(help: "Lock a tower (LiT): image or text; its weights are not trained.") var lock: TowerLock.Tower?
    @Option(help: "With --lock: the locked tower's last K blocks, final norm and head still train.") var unlockedBlocks: Int?

    /// The architecture options (`TrainingOptions.architectureKeys`) given as flags.
    var architectureKeysGiven: Set<String> {
        let given: [(String, Bool)] = [("model", model != nil), ("depth", depth != nil), ("imageSize", imageSize != nil),
                                       ("textLength", textLength != nil), ("maskPadding", maskPadding != nil), ("tokenizer", tokenizer != nil)]
        return Set(given.filter(\.1).map(\.0))
    }

    func apply(to o: inout TrainingOptions) throws {
        if let model { o.model = model }
        if let depth { o.depth = depth }
        if let imageSize { o.imageSize = imageSize }
        if let textLength { o.textLength = textLength }
        if let maskPadding { o.maskPadding = maskPadding }
        if let signature { o.signature = signature }
        if let rounds { o.rounds = rounds }
        if let skipProbability { o.skipProbability = skipProbability }
        if let adapter { o.adapter = adapter }
        if let textSignature { o.textSignature = textSignature }
        if let textRounds { o.textRounds = textRounds }
        if let data { o.data = data }
        if let tokenizer { o.tokenizer = tokenizer }
        if let evalData { o.evalData = evalData }
        if noEval { o.evalData = nil }
        if let evalEvery { o.evalEvery = evalEvery }
        if let evalRounds {
            guard let values = parseIntegerList(evalRounds) else {
                throw TrainingError.badOptions("--eval-rounds: '\(evalRounds)' is not a comma-separated list of whole numbers")
            }
            o.evalRounds = values
        }
        if let randomFlip { o.randomFlip = randomFlip }
        if let workers { o.workers = workers }
        if let maxImageBytes { o.maxImageBytes = maxImageBytes }
        if let maxImagePixels { o.maxImagePixels = maxImagePixels }
        if let batchSize { o.batchSize = batchSize }
        if let accumulate { o.accumulate = accumulate }
        if let learningRate { o.learningRate = learningRate }
        if let warmupSteps { o.warmupSteps = warmupSteps }
        if let weightDecay { o.weightDecay = weightDecay }
        if let beta1 { o.beta1 = beta1 }
        if let beta2 { o.beta2 = beta2 }
        if let gradientClipNorm { o.gradientClipNorm = gradientClipNorm }
        if let initialLogScale { o.initialLogScale = initialLogScale }
        if let initialBias { o.initialBias = initialBias }
        if steps != nil || examples != nil || flops != nil || matchBaselineSteps != nil {
            (o.steps, o.examples, o.flops, o.matchBaselineSteps) = (steps, examples, flops, matchBaselineSteps)
        }
        if let seed { o.seed = seed }
        if let output { o.output = output }
        if let checkpointEvery { o.checkpointEvery = checkpointEvery }
        if let keepCheckpoints { o.keepCheckpoints = keepCheckpoints }
        if let initFrom { o.initFrom = initFrom }
        if let lock { o.lock = lock }
        if let unlockedBlocks { o.unlockedBlocks = unlockedBlocks }
    }
}
