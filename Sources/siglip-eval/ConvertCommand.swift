import ArgumentParser
import Foundation
import SigLIP
import SigLIPEval

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Read a checkpoint (ours or a Hugging Face SigLIP directory) and write it as ours: config.json, "
            + "model.safetensors in Float32, and spiece.model when the source has one.")

    @OptionGroup var model: CheckpointOptions
    @Option(help: "The directory to write (created if needed).") var output: String

    func run() throws {
        let source = URL(fileURLWithPath: model.checkpoint), target = URL(fileURLWithPath: output)
        let loaded = try Checkpoint.load(from: source, imageSize: model.imageSize)
        try Checkpoint.save(loaded, to: target)
        let spiece = source.appendingPathComponent(EvalCheckpoint.tokenizerFile)
        if FileManager.default.fileExists(atPath: spiece.path) {
            let copy = target.appendingPathComponent(EvalCheckpoint.tokenizerFile)
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: spiece, to: copy)
        }
        print("wrote \(output): \(loaded.parameters.count) parameters")
    }
}
