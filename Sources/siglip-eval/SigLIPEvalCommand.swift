import ArgumentParser

struct SigLIPEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "siglip-eval",
        abstract: "Evaluate SigLIP checkpoints: zero-shot classification (with RINS rounds), embeddings, retrieval; compare study runs; convert checkpoints; draw curves.",
        subcommands: [ZeroShotCommand.self, EmbedCommand.self, RetrievalCommand.self, CompareCommand.self,
                      ConvertCommand.self, CurvesCommand.self])
}

/// Options every subcommand shares.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Checkpoint directory: config.json, model.safetensors and spiece.model (ours or Hugging Face's).")
    var checkpoint: String
}

/// "1,2,3,4" → [1, 2, 3, 4].
struct RoundsList: ExpressibleByArgument {
    var values: [Int]
    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        values = parts.map { $0! }
    }
}
