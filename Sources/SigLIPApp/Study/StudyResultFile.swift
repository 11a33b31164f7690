import Foundation
import SigLIPBase
import SigLIPCore
import SigLIPEval
import SigLIPTraining

/// A finished study run's file, `<results>/<name>.json`: the `StudyRun` fields (name, arm,
/// seed, training_flops, outcomes) that `siglip-eval compare` reads, plus what a reader needs
/// to trust and redraw it: phase, learning rate, budget, the full options, steps, examples,
/// training and wall seconds, the machine, summary figures, the held-out pairs' validation
/// loss, and the training curve (loss every few steps, every periodic dev evaluation).
enum StudyResultFile {
    struct Curve: Codable {
        /// [step, examples, training FLOPs, loss], at most about 150 points.
        var steps: [[Double]]
        var evaluations: [EvaluationRecord]
    }

    struct Extras: Codable {
        var phase: String
        var learningRate: Float
        var budget: Double
        var steps: Int
        var examples: Int
        var trainingSeconds: Double
        var wallSeconds: Double
        var machine: ComputeSetup
        var evaluatedRounds: [Int]
        var figures: [StudyEvaluation.Figure]
        var validationLoss: [String: [String: Double]]
        var curve: Curve

        enum CodingKeys: String, CodingKey {
            case phase, learningRate = "learning_rate", budget, steps, examples, trainingSeconds = "training_seconds"
            case wallSeconds = "wall_seconds", machine, evaluatedRounds = "evaluated_rounds", figures
            case validationLoss = "validation_loss", curve
        }
    }

    static func encode(run: PlannedRun, directory: RunDirectory, evaluation: StudyEvaluation.Result, wallSeconds: Double) throws -> Data {
        let summary = try JSONDecoder().decode(TrainingSummaryFields.self, from: Data(contentsOf: directory.summaryFile))
        let (steps, evaluations) = try MetricsLog.read(directory.metricsFile)
        let every = max(1, steps.count / 150)
        let curve = Curve(steps: steps.enumerated().filter { $0.offset % every == 0 || $0.offset == steps.count - 1 }
                            .map { [Double($0.element.step), Double($0.element.examples), $0.element.flops, Double($0.element.loss)] },
                          evaluations: evaluations)
        let record = StudyRun(name: run.name, arm: run.arm, seed: run.seed, trainingFLOPs: summary.flops, outcomes: evaluation.outcomes)
        let extras = Extras(phase: run.phase, learningRate: run.learningRate, budget: run.budget, steps: summary.steps,
                            examples: summary.examples, trainingSeconds: summary.seconds, wallSeconds: wallSeconds,
                            machine: summary.compute ?? .current, evaluatedRounds: Array(Set(evaluation.outcomes.map(\.rounds))).sorted(),
                            figures: evaluation.figures, validationLoss: evaluation.validationLoss, curve: curve)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var object = try JSONSerialization.jsonObject(with: encoder.encode(record)) as! [String: Any]
        object.merge(try JSONSerialization.jsonObject(with: encoder.encode(extras)) as! [String: Any]) { a, _ in a }
        object["options"] = try JSONSerialization.jsonObject(with: run.options.jsonData())
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// The `StudyRun` part of a result file.
    static func read(_ url: URL) throws -> StudyRun { try decode(StudyRun.self, url) }

    /// The fields `T` decodes from a result file, or an error naming the file.
    static func decode<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
        do { return try JSONDecoder().decode(type, from: RegularFile.contents(of: url, limit: RegularFile.Limit.json)) } catch {
            throw SigLIPError(path: url.path, problem: "not a study result (\(error))")
        }
    }

    /// The level a study continued on this CPU takes from a result file (`ComputeSetup.levelToResume`
    /// on its `machine`'s CPU and instruction set, the two fields results of every age record;
    /// the other fields came later). Nil without them, or from another CPU.
    static func levelToResume(_ url: URL) throws -> InstructionSet? {
        struct Machine: Decodable {
            var cpu: String
            var instructionSet: String
            enum CodingKeys: String, CodingKey { case cpu, instructionSet = "instruction_set" }
        }
        struct Fields: Decodable { var machine: Machine? }
        return try decode(Fields.self, url).machine.flatMap { ComputeSetup.levelToResume(cpu: $0.cpu, instructionSet: $0.instructionSet) }
    }

    /// The fields of summary.json the result file takes.
    struct TrainingSummaryFields: Decodable {
        var steps: Int
        var examples: Int
        var flops: Double
        var seconds: Double
        /// How the run's last stretch was computed (summaries written before it was recorded lack it).
        var compute: ComputeSetup?
    }
}
