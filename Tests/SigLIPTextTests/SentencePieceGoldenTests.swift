import Foundation
import Testing
@testable import SigLIPText

/// Exact agreement with the Python `sentencepiece` library on ~400 inputs per model.
@Suite struct SentencePieceGoldenTests {
    @Test("encode matches sentencepiece exactly", arguments: Fixtures.modelNames)
    func encodeMatchesLibrary(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let golden = try Fixtures.decodeJSON(Fixtures.EncodeFile.self, "golden-\(model).json")
        #expect(golden.cases.count >= 300)
        var mismatches = 0
        for c in golden.cases {
            let ids = tokenizer.encode(bytes: c.bytes)
            if ids != c.ids {
                mismatches += 1
                if mismatches == 1 {
                    let pieces = ids.map { (try? tokenizer.piece(for: $0)) ?? "?" }
                    Issue.record("""
                        \(model): first mismatch on \(c.label)
                          expected \(c.ids) \(c.pieces)
                          got      \(ids) \(pieces)
                        """)
                }
            }
        }
        #expect(mismatches == 0, "\(model): \(mismatches) of \(golden.cases.count) inputs differ")
    }

    @Test("String and byte entry points agree", arguments: Fixtures.modelNames)
    func stringEntryPoint(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let golden = try Fixtures.decodeJSON(Fixtures.EncodeFile.self, "golden-\(model).json")
        var mismatches = 0
        for c in golden.cases {
            guard let text = c.text else { continue }
            let ids = tokenizer.encode(text)
            // `id_to_piece` spelling (the library's `out_type=str` shows <unk> surfaces instead).
            let pieces = try ids.map { try tokenizer.piece(for: $0) }
            if ids != c.ids || pieces != c.pieces {
                mismatches += 1
                if mismatches == 1 { Issue.record("\(model): \(c.label): \(pieces) != \(c.pieces)") }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("decode matches sentencepiece exactly", arguments: Fixtures.modelNames)
    func decodeMatchesLibrary(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let golden = try Fixtures.decodeJSON(Fixtures.EncodeFile.self, "golden-\(model).json")
        var mismatches = 0
        for c in golden.cases {
            let text = try tokenizer.decode(c.ids)
            if text != c.decoded || Array(text.utf8) != Array(c.decoded.utf8) {
                mismatches += 1
                if mismatches == 1 {
                    Issue.record("\(model): decode of \(c.ids) for \(c.label): expected \(c.decoded.debugDescription), got \(text.debugDescription)")
                }
            }
        }
        #expect(mismatches == 0, "\(model): \(mismatches) decodes differ")
    }

    @Test("decode(encode(x)) == x wherever the library round-trips", arguments: Fixtures.modelNames)
    func roundTrip(model: String) throws {
        let tokenizer = try Fixtures.tokenizer(model)
        let golden = try Fixtures.decodeJSON(Fixtures.EncodeFile.self, "golden-\(model).json")
        var checked = 0
        for c in golden.cases {
            guard let text = c.text, Array(c.decoded.utf8) == Array(text.utf8) else { continue }
            let back = try tokenizer.decode(tokenizer.encode(text))
            #expect(Array(back.utf8) == Array(text.utf8), "\(model): \(c.label) came back as \(back.debugDescription)")
            checked += 1
        }
        #expect(checked >= 50, "\(model): only \(checked) round-trip cases")
    }
}
