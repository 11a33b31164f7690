import Foundation
import SigLIPTestSupport
import Testing

/// docs/DESIGN.md draws the target graph; this test draws it again from Package.swift and
/// fails when the two differ (printing the block to paste), so the picture cannot drift. It
/// also holds the layering the design promises: Training and Eval are siblings.
@Suite("Target graph") struct TargetGraphTests {
    static let repository = Commands.repository
    static let begin = "<!-- target-graph:begin -->", end = "<!-- target-graph:end -->"

    /// A target of Package.swift under Sources/ and the targets it depends on.
    struct Target {
        let name: String
        let dependencies: [String]
    }

    /// The library and executable targets declared in Package.swift (not tests, nor targets
    /// whose sources live under Tests/), with their local dependencies, in file order.
    static func targets() throws -> [Target] {
        let text = try String(contentsOf: repository.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declaration = try NSRegularExpression(pattern: #"\.(target|executableTarget|systemLibrary)\(\s*name:\s*"([^"]+)""#)
        let quoted = try NSRegularExpression(pattern: #""([^"]+)""#)
        var found: [Target] = []
        for match in declaration.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 2), in: text)!])
            // The declaration's arguments: up to the parenthesis that closes `.target(`.
            var depth = 1, end = Range(match.range, in: text)!.upperBound
            while depth > 0, end < text.endIndex {
                if text[end] == "(" { depth += 1 } else if text[end] == ")" { depth -= 1 }
                end = text.index(after: end)
            }
            let arguments = String(text[Range(match.range, in: text)!.upperBound..<end])
            if arguments.contains("path: \"Tests/") { continue }
            var dependencies: [String] = []
            if let open = arguments.range(of: "dependencies: ["), let close = arguments[open.upperBound...].firstIndex(of: "]") {
                // Quoted names outside `.product(...)` (external packages are left out).
                let list = arguments[open.upperBound..<close]
                    .replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
                dependencies = quoted.matches(in: list, range: NSRange(list.startIndex..., in: list))
                    .map { String(list[Range($0.range(at: 1), in: list)!]) }
            }
            found.append(Target(name: name, dependencies: dependencies))
        }
        return found
    }

    /// One line per target, lowest layer first: `name  ← dependencies`.
    static func render(_ targets: [Target]) -> String {
        var level: [String: Int] = [:]
        func depth(_ name: String) -> Int {
            if let known = level[name] { return known }
            let deps = targets.first { $0.name == name }?.dependencies ?? []
            let value = deps.map { depth($0) + 1 }.max() ?? 0
            level[name] = value
            return value
        }
        let ordered = targets.sorted { (depth($0.name), $0.name) < (depth($1.name), $1.name) }
        let width = (targets.map(\.name.count).max() ?? 0) + 2
        return ordered.map { target in
            let padded = target.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let deps = target.dependencies.sorted { (depth($0), $0) < (depth($1), $1) }
            return "L\(depth(target.name))  \(padded)← " + (deps.isEmpty ? "(none)" : deps.joined(separator: ", "))
        }.joined(separator: "\n")
    }

    @Test func designDocumentDrawsPackageSwift() throws {
        let expected = "```text\n" + Self.render(try Self.targets()) + "\n```"
        let doc = try String(contentsOf: Self.repository.appendingPathComponent("docs/DESIGN.md"), encoding: .utf8)
        let start = try #require(doc.range(of: Self.begin), "docs/DESIGN.md has no \(Self.begin) marker")
        let stop = try #require(doc.range(of: Self.end), "docs/DESIGN.md has no \(Self.end) marker")
        let drawn = doc[start.upperBound..<stop.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(drawn == expected, "docs/DESIGN.md's target graph differs from Package.swift; replace the block with:\n\(expected)")
    }

    @Test func trainingAndEvalAreSiblings() throws {
        let targets = try Self.targets()
        #expect(targets.count >= 15, "parsed only \(targets.map(\.name)) from Package.swift")
        func reaches(_ from: String, _ to: String) -> Bool {
            let deps = targets.first { $0.name == from }?.dependencies ?? []
            return deps.contains(to) || deps.contains { reaches($0, to) }
        }
        #expect(!reaches("SigLIPTraining", "SigLIPEval") && !reaches("SigLIPEval", "SigLIPTraining"))
        for library in ["SigLIPTraining", "SigLIPEval"] {
            #expect(reaches(library, "SigLIPModels") && reaches(library, "SigLIPCore"), "\(library)")
        }
        #expect(!reaches("SigLIPCharts", "SigLIPTraining"), "charts stand on the image module only")
    }
}
