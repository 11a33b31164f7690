import Foundation
import SigLIPBase
import Testing
@testable import SigLIPText

/// The protobuf reader and the model checks: malformed input throws errors naming the file.
@Suite struct ModelLoadingTests {
    @Test func varintsAndFixed32() throws {
        // field 1 varint 300; field 2 int32 -1 (10 bytes); field 3 fixed32 1.5; field 4 "hi"
        let bytes: [UInt8] = [0x08, 0xAC, 0x02, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                              0x1D, 0x00, 0x00, 0xC0, 0x3F, 0x22, 0x02, 0x68, 0x69]
        var r = ProtobufReader(bytes)
        #expect(try r.nextField()! == (1, .varint)); #expect(try r.readVarint() == 300)
        #expect(try r.nextField()! == (2, .varint)); #expect(try r.readInt32() == -1)
        #expect(try r.nextField()! == (3, .fixed32)); #expect(try r.readFloat() == 1.5)
        #expect(try r.nextField()! == (4, .lengthDelimited)); #expect(try r.readString() == "hi")
        #expect(try r.nextField() == nil)
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
