import Foundation
import SigLIPBase
import SwiftProtobuf

/// The parts of SentencePiece's `ModelProto` (sentencepiece_model.proto) that affect
/// encoding and decoding, parsed by swift-protobuf from the code generated from
/// proto/sentencepiece_model.proto. Unknown fields are skipped.
public struct SentencePieceModelProto: Sendable, Equatable {
    /// `ModelProto.SentencePiece.Type`.
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `TrainerSpec.ModelType`.
    public enum ModelType: Int, Sendable {
        case unigram = 1, bpe = 2, word = 3, char = 4
    }

    /// One vocabulary entry; its id is its index in `pieces`.
    public struct Piece: Sendable, Equatable {
        public var piece: String = ""
        public var score: Float = 0
        public var type: PieceType = .normal
    }

    /// `TrainerSpec` fields that matter after training (defaults as in the .proto).
    public struct TrainerSpec: Sendable, Equatable {
        public var modelType: ModelType = .unigram
        public var vocabularySize: Int32 = 8000
        public var splitByUnicodeScript = true
        public var splitByNumber = true
        public var splitByWhitespace = true
        public var treatWhitespaceAsSuffix = false
        public var allowWhitespaceOnlyPieces = false
        public var splitDigits = false
        public var byteFallback = false
        public var unkID: Int32 = 0
        public var bosID: Int32 = 1
        public var eosID: Int32 = 2
        public var padID: Int32 = -1
        public var unkPiece = "<unk>"
        public var bosPiece = "<s>"
        public var eosPiece = "</s>"
        public var padPiece = "<pad>"
        /// What `decode` prints for `<unk>`.
        public var unkSurface = " \u{2047} "
    }

    /// `NormalizerSpec` (defaults as in the .proto).
    public struct NormalizerSpec: Sendable, Equatable {
        public var name = ""
        /// Darts double-array trie + normalised strings; empty means no rewriting.
        public var precompiledCharsmap: [UInt8] = []
        public var addDummyPrefix = true
        public var removeExtraWhitespaces = true
        public var escapeWhitespaces = true
    }

    public var pieces: [Piece] = []
    public var trainerSpec = TrainerSpec()
    public var normalizerSpec = NormalizerSpec()
    /// Present only for models trained with decoding rules.
    public var denormalizerSpec: NormalizerSpec?

    public init() {}

    /// Parses serialized `ModelProto` bytes; `file` names the source in errors.
    public init(bytes: [UInt8], file: String) throws {
        let message: Sentencepiece_ModelProto
        do {
            message = try Sentencepiece_ModelProto(serializedBytes: bytes)
        } catch {
            throw TokenizerError.malformedModel(file: file, reason: "not a SentencePiece model protobuf (\(Self.describe(error)))")
        }
        func malformed(_ reason: String) -> SigLIPError { TokenizerError.malformedModel(file: file, reason: reason) }
        pieces = try message.pieces.enumerated().map { index, p in
            guard let type = PieceType(rawValue: Int(p.type)) else { throw malformed("piece \(index): unknown piece type \(p.type)") }
            return Piece(piece: p.piece, score: p.score, type: type)
        }
        if message.hasTrainerSpec {
            let t = message.trainerSpec
            guard let modelType = ModelType(rawValue: Int(t.modelType)) else { throw malformed("unknown model type \(t.modelType)") }
            trainerSpec = TrainerSpec(
                modelType: modelType, vocabularySize: t.vocabSize, splitByUnicodeScript: t.splitByUnicodeScript,
                splitByNumber: t.splitByNumber, splitByWhitespace: t.splitByWhitespace,
                treatWhitespaceAsSuffix: t.treatWhitespaceAsSuffix, allowWhitespaceOnlyPieces: t.allowWhitespaceOnlyPieces,
                splitDigits: t.splitDigits, byteFallback: t.byteFallback, unkID: t.unkID, bosID: t.bosID, eosID: t.eosID,
                padID: t.padID, unkPiece: t.unkPiece, bosPiece: t.bosPiece, eosPiece: t.eosPiece, padPiece: t.padPiece,
                unkSurface: t.unkSurface)
        }
        if message.hasNormalizerSpec { normalizerSpec = NormalizerSpec(message.normalizerSpec) }
        if message.hasDenormalizerSpec { denormalizerSpec = NormalizerSpec(message.denormalizerSpec) }
        if pieces.isEmpty {
            throw malformed("no pieces (is this a SentencePiece .model file?)")
        }
    }

    /// swift-protobuf's decoding errors in words.
    static func describe(_ error: any Error) -> String {
        switch error as? BinaryDecodingError {
        case .truncated?: return "truncated"
        case .malformedProtobuf?: return "malformed protobuf data"
        case .invalidUTF8?: return "a string is not valid UTF-8"
        case .messageDepthLimit?: return "messages or groups nested more than 100 deep"
        case .trailingGarbage?: return "trailing bytes after the message"
        default: return "\(error)"
        }
    }

    /// Reads and parses a `.model` file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try RegularFile.contents(of: url, limit: RegularFile.Limit.tokenizer)
        } catch let error as SigLIPError {
            throw TokenizerError.unreadableFile(file: url.path, reason: error.problem)
        }
        try self.init(bytes: [UInt8](data), file: url.path)
    }
}

extension SentencePieceModelProto.NormalizerSpec {
    init(_ spec: Sentencepiece_NormalizerSpec) {
        self.init(name: spec.name, precompiledCharsmap: [UInt8](spec.precompiledCharsmap), addDummyPrefix: spec.addDummyPrefix,
                  removeExtraWhitespaces: spec.removeExtraWhitespaces, escapeWhitespaces: spec.escapeWhitespaces)
    }
}
