import ArgumentParser
import SigLIP
import SigLIPApp
import SigLIPEval
import Foundation

struct SigLIPEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siglip-eval",
        abstract: "Evaluate SigLIP checkpoints: zero-shot classification and few-shot linear probes (with RINS rounds), embeddings, retrieval; compare study runs; convert checkpoints; draw curves.",
        subcommands: [ZeroShotCommand.self, FewShotCommand.self, EmbedCommand.self, RetrievalCommand.self, CompareCommand.self,
                      ConvertCommand.self, CurvesCommand.self])
}

/// Options every subcommand shares.
struct CheckpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Checkpoint: a directory with config.json, model.safetensors and spiece.model (ours or Hugging Face's), "
                               + "or a big_vision .npz with spiece.model beside it."))
    var checkpoint: String
    @Option(help: ArgumentHelp("Run the image tower at this size in pixels (a multiple of the patch size); the position "
                               + "embedding is resampled bilinearly as big_vision does. Default: the checkpoint's own size."))
    var imageSize: Int?

    /// The checkpoint at `path` (default: `--checkpoint`) at the asked image size.
    func load(_ path: String? = nil) throws -> EvalCheckpoint {
        try EvalCheckpoint.load(from: URL(fileURLWithPath: path ?? checkpoint), imageSize: imageSize)
    }
}

/// How a subcommand computes: `--threads` and `--instruction-set`, taken before anything runs.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for BLAS and the kernels (default: all cores).") var threads: Int?
    @Option(help: InstructionSet.flagHelp) var instructionSet: InstructionSet?

    func apply() throws { try ComputeFlags.apply(instructionSet: instructionSet, threads: threads) }
}

/// "1,2,3,4" → [1, 2, 3, 4]: each in 1…`ConfigLimits.rounds`.
struct RoundsList: ExpressibleByArgument {
    var values: [Int]
    init?(argument: String) {
        guard let values = RoundsList.parse(argument) else { return nil }
        self.values = values
    }

    /// The rounds of a comma-separated list, or nil when it is empty or any entry is not a
    /// whole number of rounds within the limit.
    static func parse(_ text: String) -> [Int]? {
        guard let values = parseIntegerList(text), values.allSatisfy({ (1...ConfigLimits.rounds).contains($0) }) else { return nil }
        return values
    }
}

/// Images per forward pass: 1…4096 (the activations of one pass grow with it).
func validateBatchSize(_ batchSize: Int) throws {
    guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size \(batchSize) is outside 1…4096") }
}
