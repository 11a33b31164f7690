import ArgumentParser
import SigLIP
import Foundation
import SigLIPEval

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Write image_embeds [N, D], text_embeds [M, D] and logits_per_image [N, M] to a safetensors file.",
        discussion: "Embeddings are L2-normalised, as Hugging Face's SiglipModel returns them. Images already at the "
            + "model's resolution are used as they are; others are resized. Texts are lowercased and canonicalised as Hugging Face's SiglipProcessor does (punctuation removed, whitespace collapsed).")

    @OptionGroup var model: CheckpointOptions
    @OptionGroup var compute: ComputeOptions
    @Option(parsing: .upToNextOption, help: "Image files (PNG or JPEG).") var images: [String] = []
    @Option(parsing: .upToNextOption, help: "Texts.") var texts: [String] = []
    @Option(help: "Recursion rounds of the image tower (default: as configured).") var rounds: Int?
    @Option(help: "Output .safetensors file.") var output: String

    func validate() throws {
        guard !images.isEmpty || !texts.isEmpty else { throw ValidationError("give --images, --texts or both") }
        if let rounds, !(1...ConfigLimits.rounds).contains(rounds) {
            throw ValidationError("--rounds \(rounds) is outside 1…\(ConfigLimits.rounds)")
        }
    }

    func run() throws {
        try compute.apply()
        let checkpoint = try model.load()
        let result = try Embedder.embed(checkpoint: checkpoint, images: images.map { URL(fileURLWithPath: $0) }, texts: texts,
                                        rounds: rounds)
        try result.write(to: URL(fileURLWithPath: output))
        var written: [String] = []
        if result.imageCount > 0 { written.append("image_embeds [\(result.imageCount), \(result.width)]") }
        if result.textCount > 0 { written.append("text_embeds [\(result.textCount), \(result.width)]") }
        if result.logitsPerImage != nil { written.append("logits_per_image [\(result.imageCount), \(result.textCount)]") }
        print("\(output): \(written.joined(separator: ", "))")
    }
}
