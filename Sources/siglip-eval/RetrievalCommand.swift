import ArgumentParser
import Foundation
import SigLIP
import SigLIPEval

struct RetrievalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Image→text and text→image recall@1/5/10 on an image–text data set.",
        discussion: "PATH is any training format: a folder of WebDataset .tar shards or one .tar, a .jsonl/.tsv caption "
            + "manifest, or a folder with captions.jsonl or captions.tsv.")

    @OptionGroup var model: CheckpointOptions
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Image–text data set.") var data: String
    @Option(help: "Recursion rounds of the image tower (default: as configured).") var rounds: Int?
    @Option(help: "Images per forward pass.") var batchSize: Int = 32
    @Option(help: "Write the report as JSON to this file.") var json: String?

    func validate() throws {
        try validateBatchSize(batchSize)
        if let rounds, !(1...ConfigLimits.rounds).contains(rounds) {
            throw ValidationError("--rounds \(rounds) is outside 1…\(ConfigLimits.rounds)")
        }
    }

    func run() throws {
        try compute.apply()
        let dataset = try openImageTextDataset(at: URL(fileURLWithPath: data))
        let checkpoint = try model.load()
        let encoder = checkpoint.encoder()
        let display = ProgressDisplay()
        let report = try RetrievalEvaluator.evaluate(encoder: encoder, dataset: dataset, rounds: rounds ?? encoder.defaultRounds,
                                                     batchSize: batchSize, data: data, checkpoint: model.checkpoint,
                                                     progress: display.update)
        for s in report.skipped.prefix(10) { Terminal.note("skipped \(s.path): \(s.reason)") }
        if !report.skipped.isEmpty { Terminal.note("warning: \(report.skipped.count) samples skipped") }
        print("\(report.images) images, \(report.texts) texts, rounds \(report.rounds), "
              + String(format: "%.4g", report.flopsPerImage / 1e9) + " GFLOPs/image")
        print(ReportTable.retrieval(report))
        if let json {
            try writeJSON(report, to: json)
            Terminal.note("report: \(json)")
        }
    }
}
