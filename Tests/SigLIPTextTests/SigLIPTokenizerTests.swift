import Foundation
import SigLIPBase
import Testing
@testable import SigLIPText

/// The SigLIP wrapper (canonicalise, lowercase, sticky EOS to L) against the Python reference.
@Suite struct SigLIPTokenizerTests {
    struct Setting: CustomTestStringConvertible, Sendable {
        let length: Int
        let lowercase: Bool
        let canonicalize: String
        var testDescription: String { "L=\(length) lowercase=\(lowercase) canonicalize=\(canonicalize)" }
    }

    static let settings: [Setting] = [16, 64].flatMap { length in
        [(true, "none"), (false, "none"), (true, "bigVision"), (true, "huggingFace")].map {
            Setting(length: length, lowercase: $0.0, canonicalize: $0.1)
        }
    }

    @Test("sticky-EOS ids match the Python reference", arguments: settings)
    func golden(setting: Setting) throws {
        let golden = try Fixtures.decodeJSON(Fixtures.SigLIPFile.self, "golden-siglip.json")
        let model = try Fixtures.tokenizer("siglip-emoji-4k")
        let tokenizer = try SigLIPTokenizer(
            sentencePiece: model, length: setting.length, lowercase: setting.lowercase,
            canonicalization: TextCanonicalization(rawValue: setting.canonicalize)!)
        let cases = golden.cases.filter {
            $0.length == setting.length && $0.lowercase == setting.lowercase && $0.canonicalize == setting.canonicalize
        }
        #expect(cases.count > 100)
        var mismatches = 0
        for c in cases {
            let ids = tokenizer.encode(c.text)
            if ids != c.ids {
                mismatches += 1
                if mismatches == 1 {
                    Issue.record("first mismatch on \(c.text.debugDescription) (prepared \(tokenizer.prepare(c.text).debugDescription))\n  expected \(c.ids)\n  got      \(ids)")
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(cases.count) differ")
        // The batch form is the rows concatenated: [B, L] row-major.
        let batch = tokenizer.encode(batch: cases.prefix(5).map(\.text))
        #expect(batch == cases.prefix(5).flatMap(\.ids))
    }

    @Test func conventionsOfTheCommittedModel() throws {
        let model = try Fixtures.tokenizer("siglip-emoji-4k")
        #expect(model.eosID == 1)
        #expect(model.unkID == 2)
        #expect(model.bosID == 0)
        #expect(model.padID == -1)
        #expect(model.byteFallback)
        let tokenizer = try SigLIPTokenizer(sentencePiece: model, length: 16)
        #expect(tokenizer.padID == 1)
        let ids = tokenizer.encode("A picture of a fox")
        #expect(ids.count == 16)
        #expect(ids.last == 1)
        #expect(!ids.contains(0))
        #expect(try tokenizer.decode(ids) == "a picture of a fox")
    }

    @Test func stickyEOSKeepsFirstLMinusOnePieces() throws {
        let model = try Fixtures.tokenizer("siglip-emoji-4k")
        let long = String(repeating: "grinning face with big eyes ", count: 20)
        let pieces = model.encode(long)
        for length in [1, 2, 16, 64] {
            let tokenizer = try SigLIPTokenizer(sentencePiece: model, length: length, lowercase: false, padID: 0)
            let ids = tokenizer.encode(long)
            #expect(ids == Array(pieces.prefix(length - 1)) + [1])
        }
        let empty = try SigLIPTokenizer(sentencePiece: model, length: 4, padID: 0).encode("")
        #expect(empty == [1, 0, 0, 0])
    }

    @Test func rejectsBadArguments() throws {
        let model = try Fixtures.tokenizer("siglip-emoji-4k")
        #expect(throws: SigLIPError.self) { try SigLIPTokenizer(sentencePiece: model, length: 0) }
        #expect(throws: SigLIPError.self) { try SigLIPTokenizer(sentencePiece: model, length: 8, padID: 100_000) }
    }
}

/// Canonicalisation against Python's big_vision and Hugging Face functions.
@Suite struct CanonicalizeTests {
    @Test func goldenAgainstPython() throws {
        let golden = try Fixtures.decodeJSON(Fixtures.CanonicalFile.self, "golden-canonicalize.json")
        #expect(golden.cases.count > 100)
        for c in golden.cases {
            let bv = Canonicalize.bigVision(c.text, keeping: c.keep)
            let hf = Canonicalize.huggingFace(c.text, keeping: c.keep)
            let lower = Canonicalize.pythonLowercased(c.text)
            #expect(Array(bv.unicodeScalars) == Array(c.bigVision.unicodeScalars), "bigVision \(c.text.debugDescription) keep \(String(describing: c.keep))")
            #expect(Array(hf.unicodeScalars) == Array(c.huggingFace.unicodeScalars), "huggingFace \(c.text.debugDescription) keep \(String(describing: c.keep))")
            #expect(Array(lower.unicodeScalars) == Array(c.lower.unicodeScalars), "lower \(c.text.debugDescription)")
        }
    }

    @Test func documentedExamples() {
        #expect(Canonicalize.bigVision("Great_White Shark!") == "great white shark")
        #expect(Canonicalize.huggingFace("Great_White Shark!") == "GreatWhite Shark")
        #expect(Canonicalize.bigVision("A photo of a {}.", keeping: "{}") == "a photo of a {}")
        #expect(Canonicalize.bigVision("tench, Tinca tinca", keeping: ",") == "tench, tinca tinca")
    }
}
