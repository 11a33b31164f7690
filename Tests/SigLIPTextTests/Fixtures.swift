import Foundation
@testable import SigLIPText

/// Fixtures written by evals/tokenizer/make_golden.py and datasets/tokenizer/train_tokenizer.py.
enum Fixtures {
    /// One input of a golden file: UTF-8 bytes (maybe invalid) and the library's answers.
    struct EncodeCase: Decodable {
        let hex: String
        let text: String?
        let ids: [Int32]
        let pieces: [String]
        let decoded: String

        var bytes: [UInt8] {
            var out: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                out.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
            return out
        }

        /// A short printable label for failure messages.
        var label: String {
            let shown = text.map { $0.debugDescription } ?? "<invalid UTF-8 \(hex)>"
            return shown.count > 120 ? String(shown.prefix(120)) + "…(\(bytes.count) bytes)" : shown
        }
    }

    struct EncodeFile: Decodable {
        let model: String
        let sentencepiece: String
        let cases: [EncodeCase]
    }

    struct SigLIPCase: Decodable {
        let text: String
        let length: Int
        let lowercase: Bool
        let canonicalize: String
        let ids: [Int32]
    }

    struct SigLIPFile: Decodable {
        let model: String
        let cases: [SigLIPCase]
    }

    struct CanonicalCase: Decodable {
        let text: String
        let keep: String?
        let bigVision: String
        let huggingFace: String
        let lower: String
    }

    struct CanonicalFile: Decodable {
        let cases: [CanonicalCase]
    }

    /// The models with golden files.
    static let modelNames = ["siglip-emoji-4k", "tiny-nfkc-cf", "tiny-identity-suffix"]

    /// The committed training model lives in datasets/; the tiny ones in Resources/.
    static func modelURL(_ name: String) throws -> URL {
        if name == "siglip-emoji-4k" {
            return URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("datasets/tokenizer/siglip-emoji-4k.model")
        }
        return try resource(name + ".model")
    }

    struct MissingFixture: Error, CustomStringConvertible {
        let file: String
        var description: String { "missing test fixture \(file) (run evals/tokenizer/make_golden.py)" }
    }

    static func resource(_ file: String) throws -> URL {
        guard let folder = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            throw MissingFixture(file: "Resources/")
        }
        let url = folder.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingFixture(file: url.path) }
        return url
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ file: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: try resource(file)))
    }

    static func tokenizer(_ name: String) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(contentsOf: try modelURL(name))
    }
}
