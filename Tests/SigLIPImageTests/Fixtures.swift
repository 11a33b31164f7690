import Foundation
import Testing
@testable import SigLIPImage

/// The fixtures written by evals/images/make_fixtures.py (see manifest.json there).
enum Fixtures {
    struct Manifest: Decodable {
        let decode: [DecodeCase]
        let resize: [ResizeCase]
        let scaled: [ScaledCase]
    }

    /// A fixture file and the RGB bytes Pillow decodes it to.
    struct DecodeCase: Decodable, Sendable, CustomTestStringConvertible {
        let file: String
        let format: String
        let expected: String
        let width: Int
        let height: Int
        var testDescription: String { file }
    }

    /// Pillow's uint8 resize of `source` with `filter` to width × height.
    struct ResizeCase: Decodable, Sendable, CustomTestStringConvertible {
        let source: String
        let filter: String
        let expected: String
        let width: Int
        let height: Int
        var testDescription: String { "\(source) \(filter) \(width)x\(height)" }
    }

    /// A reduced-size decode: `file` with `minimum` gives width × height.
    struct ScaledCase: Decodable, Sendable {
        let file: String
        let minimum: [Int]
        let expected: String
        let width: Int
        let height: Int
    }

    /// The copied Resources folder (Foundation on Linux already treats it as the resource directory).
    static let resources: URL = {
        let manifest = Bundle.module.url(forResource: "manifest", withExtension: "json")
            ?? Bundle.module.url(forResource: "manifest", withExtension: "json", subdirectory: "Resources")
        return manifest!.deletingLastPathComponent()
    }()

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: resources.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    static func url(_ relative: String) -> URL { resources.appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(relative))) }

    static func malformedFiles() -> [String] { files(in: "malformed") }

    /// The file names in a resources folder, sorted.
    static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url(folder).path)) ?? []).sorted()
    }
}

/// The largest |a - b| between two equally long sequences, and where it occurs.
struct WorstDifference: CustomStringConvertible {
    var value: Double = 0
    var index: Int = -1
    var channelsPerRow: Int = 0
    var description: String {
        guard index >= 0 else { return "no difference" }
        let pixel = index / 3
        return "worst |diff| \(value) at x \(pixel % max(channelsPerRow / 3, 1)), y \(pixel / max(channelsPerRow / 3, 1)), channel \(index % 3)"
    }

    init<A: Collection, B: Collection>(_ a: A, _ b: B, width: Int) where A.Element: BinaryInteger, B.Element: BinaryInteger {
        channelsPerRow = width * 3
        for (i, (x, y)) in zip(a, b).enumerated() where Double(abs(Int(x) - Int(y))) > value {
            value = Double(abs(Int(x) - Int(y)))
            index = i
        }
    }

    init(_ a: [Float], _ b: [Double], width: Int) {
        channelsPerRow = width * 3
        for i in a.indices where abs(Double(a[i]) - b[i]) > value {
            value = abs(Double(a[i]) - b[i])
            index = i
        }
    }
}
