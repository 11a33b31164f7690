import Foundation
import SigLIPBase
import Testing
@testable import SigLIPText

/// Model parsing (swift-protobuf's generated code) and the model checks: malformed input throws
/// errors naming the file.
@Suite struct ModelLoadingTests {
    /// Hand-made ModelProto bytes: field 1 (a piece: "a", score 1.5, type T), then `extra`.
    static func model(pieceType: UInt8, extra: [UInt8] = []) -> [UInt8] {
        let piece: [UInt8] = [0x0A, 0x01, 0x61, 0x15, 0x00, 0x00, 0xC0, 0x3F, 0x18, pieceType]
        return [0x0A, UInt8(piece.count)] + piece + extra
    }

    @Test func generatedParserReadsFieldsAndDefaults() throws {
        let proto = try SentencePieceModelProto(bytes: Self.model(pieceType: 6), file: "m")
        #expect(proto.pieces == [.init(piece: "a", score: 1.5, type: .byte)])
        #expect(proto.trainerSpec == .init() && proto.normalizerSpec == .init() && proto.denormalizerSpec == nil,
                "absent specs keep the .proto defaults")
        // trainer_spec { model_type 1, pad_id -1 (10-byte varint), unk_surface "?" }, and an unknown field 9 skipped.
        let spec: [UInt8] = [0x18, 0x01, 0xD8, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xE2, 0x02, 0x01, 0x3F]
        let withSpec = try SentencePieceModelProto(bytes: Self.model(pieceType: 1, extra: [0x12, UInt8(spec.count)] + spec + [0x48, 0x07]), file: "m")
        #expect(withSpec.trainerSpec.padID == -1 && withSpec.trainerSpec.unkSurface == "?" && withSpec.trainerSpec.eosID == 2)
    }

    @Test func unknownEnumValuesNameTheFile() throws {
        for bytes in [Self.model(pieceType: 7), Self.model(pieceType: 0),
                      Self.model(pieceType: 1, extra: [0x12, 0x02, 0x18, 0x09])] {   // model type 9
            let error = try #require(throws: SigLIPError.self) { try SentencePieceModelProto(bytes: bytes, file: "bad.model") }
            #expect(error.path == "bad.model" && error.kind == .corrupt, "\(error)")
        }
        // A known field number with another wire type is an unknown field, skipped, as SentencePiece's
        // own parser (protobuf's) treats it: here trainer_spec (2) as fixed32 leaves the defaults.
        let skipped = try SentencePieceModelProto(bytes: Self.model(pieceType: 1, extra: [0x15, 0x00, 0x00, 0x00, 0x00]), file: "m")
        #expect(skipped.trainerSpec == .init() && skipped.pieces.count == 1)
    }

    @Test func parsesTheCommittedModel() throws {
        let proto = try SentencePieceModelProto(contentsOf: try Fixtures.modelURL("siglip-emoji-4k"))
        #expect(proto.pieces.count == 3200)
        #expect(proto.trainerSpec.modelType == .unigram)
        #expect(proto.trainerSpec.byteFallback)
        #expect(proto.trainerSpec.eosID == 1 && proto.trainerSpec.unkID == 2 && proto.trainerSpec.bosID == 0 && proto.trainerSpec.padID == -1)
        #expect(proto.normalizerSpec.name == "nmt_nfkc")
        #expect(!proto.normalizerSpec.precompiledCharsmap.isEmpty)
        #expect(proto.pieces[3].piece == "<0x00>" && proto.pieces[3].type == .byte)
        let tiny = try SentencePieceModelProto(contentsOf: try Fixtures.modelURL("tiny-identity-suffix"))
        #expect(tiny.trainerSpec.treatWhitespaceAsSuffix)
        #expect(!tiny.normalizerSpec.addDummyPrefix)
        #expect(tiny.normalizerSpec.precompiledCharsmap.isEmpty)
    }

    @Test func truncatedFilesThrowNamingTheFile() throws {
        let url = try Fixtures.modelURL("tiny-nfkc-cf")
        let bytes = [UInt8](try Data(contentsOf: url))
        for cut in [1, 7, 100, bytes.count / 2, bytes.count - 1] {
            do {
                _ = try SentencePieceTokenizer(bytes: Array(bytes.prefix(cut)), file: "cut.model")
                Issue.record("a model cut to \(cut) bytes loaded")
            } catch let error as SigLIPError {
                #expect(error.description.hasPrefix("cut.model: "), "\(error)")
            }
        }
    }

    @Test func garbageAndMissingFiles() throws {
        #expect(throws: SigLIPError.self) { try SentencePieceTokenizer(bytes: [0xFF, 0xFF, 0xFF], file: "junk.model") }
        #expect(throws: SigLIPError.self) { try SentencePieceTokenizer(bytes: [], file: "empty.model") }
        let missing = URL(fileURLWithPath: "/nonexistent/dir/x.model")
        do {
            _ = try SentencePieceTokenizer(contentsOf: missing)
            Issue.record("a missing file loaded")
        } catch let error as SigLIPError {
            #expect(error.kind == .unreadable && error.path == missing.path, "\(error)")
        }
    }

    @Test func inconsistentModelsAreRejected() throws {
        var proto = try SentencePieceModelProto(contentsOf: try Fixtures.modelURL("tiny-nfkc-cf"))
        var noUnk = proto
        noUnk.pieces[0].type = .normal
        #expect(throws: SigLIPError.self) { try SentencePieceTokenizer(model: noUnk, file: "t") }
        var duplicate = proto
        duplicate.pieces[10].piece = duplicate.pieces[11].piece
        #expect(throws: SigLIPError.self) { try SentencePieceTokenizer(model: duplicate, file: "t") }
        proto.trainerSpec.modelType = .bpe
        #expect(throws: SigLIPError.self) { try SentencePieceTokenizer(model: proto, file: "t") }
    }

    @Test func decodeRejectsOutOfRangeIDs() throws {
        let tokenizer = try Fixtures.tokenizer("tiny-nfkc-cf")
        #expect(throws: SigLIPError.self) { try tokenizer.decode([5, 300]) }
        #expect(throws: SigLIPError.self) { try tokenizer.decode([-1]) }
    }

    @Test func bytePieceSpelling() {
        #expect(SentencePieceTokenizer.bytePiece(0x0A) == "<0x0A>")
        #expect(SentencePieceTokenizer.byteValue(ofPiece: "<0xF0>") == 0xF0)
        #expect(SentencePieceTokenizer.byteValue(ofPiece: "<0xf0>") == nil)
    }
}

/// The normaliser on its own, through the committed model's nmt_nfkc charsmap.
@Suite struct NormalizerTests {
    @Test func charsmapAndWhitespaceRules() throws {
        let model = try Fixtures.tokenizer("siglip-emoji-4k")
        #expect(model.normalize("ＦＯＸ") == "▁FOX")
        #expect(model.normalize("  a   b  ") == "▁a▁b")
        #expect(model.normalize("ﬁ ①") == "▁fi▁1")
        #expect(model.normalize("") == "")
        #expect(model.normalize("   ") == "")
        #expect(try model.decode(model.encode(bytes: [0x61, 0xFF, 0x62])) == "a\u{FFFD}b")
        let tiny = try Fixtures.tokenizer("tiny-identity-suffix")
        #expect(tiny.normalize(" A  b ") == "A▁b")
        #expect(tiny.normalize("ﬁ ①") == "ﬁ▁①")
    }
}
