import ArgumentParser
import Foundation
import SigLIP
import SigLIPApp

struct CurvesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curves",
        abstract: "Draw a run's metrics.jsonl as curves.png: loss and zero-shot top-1 against examples and training FLOPs.")

    @Option(help: "The run's metrics.jsonl.") var metrics: String
    @Option(help: "The PNG file to write.") var output: String
    @Option(help: "The title above the charts.") var title = "SigLIP training"

    func run() throws {
        let image = try TrainingRun.curves(metrics: URL(fileURLWithPath: metrics), title: title)
        try PNGEncoder.write(image, to: URL(fileURLWithPath: output))
        print("wrote \(output) (\(image.width)×\(image.height))")
    }
}
