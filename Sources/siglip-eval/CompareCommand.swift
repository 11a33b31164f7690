import ArgumentParser
import Foundation
import SigLIP
import SigLIPEval

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Paired comparison of two groups of study runs (seed k against seed k), with confidence intervals.",
        discussion: """
            Each run is a result file a study writes (siglip-study; see StudyRun). Per benchmark split, inference rounds \
            and metric: mean ± standard deviation over seeds of each group, the mean paired difference A − B, its 95% \
            interval by a two-level bootstrap (seed pairs, then items within a pair) and by a t-interval over the \
            per-seed differences, McNemar's test per seed pair, and a verdict from the bootstrap interval. Rounds whose \
            outcomes are identical in every run (a model without recursion) share one row.
            """)

    @Option(parsing: .upToNextOption, help: "Result files of group A.") var runs: [String] = []
    @Option(parsing: .upToNextOption, help: "Result files of group B.") var against: [String] = []
    @Option(help: "A study's results folder: pick the groups by arm (with --arm and --against-arm).") var results: String?
    @Option(help: "With --results: the arm of group A.") var arm: String?
    @Option(help: "With --results: the arm of group B.") var againstArm: String?
    @Option(help: "With --results: only runs of this budget (default 1).") var budget: Double = 1
    @Option(help: "Bootstrap replicates.") var bootstrap = 10_000
    @Option(help: "Seed of the bootstrap's generator.") var seed: UInt64 = 0
    @Option(help: "Only this split (dev or test).") var split: String?
    @Option(help: "Write the comparison as JSON to this file.") var json: String?

    func validate() throws {
        guard (100...10_000_000).contains(bootstrap) else { throw ValidationError("--bootstrap \(bootstrap) is outside 100…10000000") }
        if results != nil {
            guard arm != nil, againstArm != nil, runs.isEmpty, against.isEmpty else {
                throw ValidationError("--results takes --arm and --against-arm (and no --runs/--against)")
            }
        } else {
            guard !runs.isEmpty, !against.isEmpty else { throw ValidationError("give --runs A... and --against B... (or --results)") }
        }
    }

    func run() throws {
        var (filesA, filesB) = (runs, against)
        if let results {
            let folder = URL(fileURLWithPath: results)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
            let all = try names.map { (folder.appendingPathComponent($0).path, try Self.read($0, in: folder)) }
            filesA = all.filter { $0.1.arm == arm && $0.1.budget == budget }.map(\.0)
            filesB = all.filter { $0.1.arm == againstArm && $0.1.budget == budget }.map(\.0)
        }
        let groupA = try filesA.map(Self.load), groupB = try filesB.map(Self.load)
        let result = try PairedComparison.compare(groupA, groupB, replicates: bootstrap, seed: seed, split: split,
                                                  namesA: filesA, namesB: filesB)
        let labelA = arm ?? "A", labelB = againstArm ?? "B"
        print("A = \(labelA) (\(filesA.count) runs), B = \(labelB) (\(filesB.count) runs); seeds paired: "
              + "\(result.rows.first?.seeds.map(String.init).joined(separator: ",") ?? "none"); \(bootstrap) bootstrap replicates")
        if !result.unpairedSeeds.isEmpty { print("left out (in one group only): seeds \(result.unpairedSeeds)") }
        print(PairedComparison.table(result, labelA: labelA, labelB: labelB))
        if let json { try writeJSON(result, to: json, computed: false) }   // it compares runs computed elsewhere
    }

    /// The arm and budget of a study result file (for --results).
    struct Header: Decodable {
        var arm: String
        var budget: Double?
    }

    static func read(_ name: String, in folder: URL) throws -> (arm: String, budget: Double) {
        let url = folder.appendingPathComponent(name)
        guard let header = try? JSONDecoder().decode(Header.self, from: RegularFile.contents(of: url, limit: RegularFile.Limit.json)) else {
            throw SigLIPError(path: url.path, problem: "not a study result")
        }
        return (header.arm, header.budget ?? 1)
    }

    static func load(_ path: String) throws -> StudyRun {
        let data = try RegularFile.contents(of: path, limit: RegularFile.Limit.json)
        do { return try JSONDecoder().decode(StudyRun.self, from: data) } catch {
            throw SigLIPError(path: path, problem: "not a study result (\(error))")
        }
    }
}
