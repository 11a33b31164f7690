import Foundation
@testable import SigLIPText
import Testing

/// Our tokenizer with the Hugging Face conventions against `transformers.SiglipTokenizer` itself
/// (golden ids written by evals/reference/make_hf_tokenizer_golden.py): canonicalisation,
/// lowercasing, EOS, padding with the pad id and truncation keeping EOS, at the released
/// models' length 64 and at 16. Exact ids.
@Suite("Tokenizer vs transformers") struct HuggingFaceTokenizerGoldenTests {
    struct File: Decodable {
        let transformers: String
        let eos_id: Int32
        let pad_id: Int32
        let cases: [Case]
    }

    struct Case: Decodable {
        let text: String
        let length: Int
        let ids: [Int32]
    }

    @Test func idsEqualTransformers() throws {
        let golden = try Fixtures.decodeJSON(File.self, "golden-hf-siglip.json")
        let model = try Fixtures.tokenizer("siglip-emoji-4k")
        #expect(golden.cases.count >= 90)
        var mismatches: [String] = []
        for length in Set(golden.cases.map(\.length)).sorted() {
            // As `siglip-eval` runs a Hugging Face checkpoint: canonicalised, lowercased, padded with EOS.
            let tokenizer = try SigLIPTokenizer(sentencePiece: model, length: length, lowercase: true,
                                                canonicalization: .huggingFace, padID: golden.pad_id)
            #expect(tokenizer.eosID == golden.eos_id)
            for c in golden.cases where c.length == length {
                let ours = tokenizer.encode(c.text)
                if ours != c.ids { mismatches.append("\(c.text.debugDescription) at L \(length): ours \(ours), transformers \(c.ids)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(golden.cases.count) differ from transformers \(golden.transformers); first: \(mismatches.first ?? "")")
    }
}
