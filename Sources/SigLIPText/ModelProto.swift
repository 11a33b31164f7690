import Foundation
import SigLIPBase

/// The parts of SentencePiece's `ModelProto` (sentencepiece_model.proto) that affect
/// encoding and decoding, read with `ProtobufReader`. Unknown fields are skipped.
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
        do {
            var reader = ProtobufReader(bytes)
            while let (number, wire) = try reader.nextField() {
                switch (number, wire) {
                case (1, .lengthDelimited):
                    var sub = try reader.readMessage()
                    pieces.append(try Self.parsePiece(&sub))
                case (2, .lengthDelimited):
                    var sub = try reader.readMessage()
                    try Self.merge(&trainerSpec, from: &sub)
                case (3, .lengthDelimited):
                    var sub = try reader.readMessage()
                    try Self.merge(&normalizerSpec, from: &sub)
                case (5, .lengthDelimited):
                    var sub = try reader.readMessage()
                    var spec = denormalizerSpec ?? NormalizerSpec()
                    try Self.merge(&spec, from: &sub)
                    denormalizerSpec = spec
                case (1...3, _), (5, _):
                    throw ProtobufReader.Failure(offset: reader.position, reason: "field \(number) has wire type \(wire)")
                default:
                    try reader.skip(wire)
                }
            }
        } catch let failure as ProtobufReader.Failure {
            throw TokenizerError.malformedModel(file: file, reason: "\(failure.reason) at byte \(failure.offset)")
        }
        if pieces.isEmpty {
            throw TokenizerError.malformedModel(file: file, reason: "no pieces (is this a SentencePiece .model file?)")
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

    private static func parsePiece(_ reader: inout ProtobufReader) throws -> Piece {
        var piece = Piece()
        while let (number, wire) = try reader.nextField() {
            switch number {
            case 1: try expect(wire, .lengthDelimited, number, &reader); piece.piece = try reader.readString()
            case 2: try expect(wire, .fixed32, number, &reader); piece.score = try reader.readFloat()
            case 3:
                try expect(wire, .varint, number, &reader)
                let raw = try reader.readInt32()
                guard let type = PieceType(rawValue: Int(raw)) else {
                    throw ProtobufReader.Failure(offset: reader.position, reason: "unknown piece type \(raw)")
                }
                piece.type = type
            default: try reader.skip(wire)
            }
        }
        return piece
    }

    private static func merge(_ spec: inout TrainerSpec, from reader: inout ProtobufReader) throws {
        while let (number, wire) = try reader.nextField() {
            let isString = [45, 46, 47, 48, 44].contains(number)
            let isVarint = [3, 4, 21, 22, 23, 24, 25, 26, 35, 40, 41, 42, 43].contains(number)
            if isString { try expect(wire, .lengthDelimited, number, &reader) }
            if isVarint { try expect(wire, .varint, number, &reader) }
            switch number {
            case 3:
                let raw = try reader.readInt32()
                guard let type = ModelType(rawValue: Int(raw)) else {
                    throw ProtobufReader.Failure(offset: reader.position, reason: "unknown model type \(raw)")
                }
                spec.modelType = type
            case 4: spec.vocabularySize = try reader.readInt32()
            case 21: spec.splitByUnicodeScript = try reader.readBool()
            case 22: spec.splitByWhitespace = try reader.readBool()
            case 23: spec.splitByNumber = try reader.readBool()
            case 24: spec.treatWhitespaceAsSuffix = try reader.readBool()
            case 25: spec.splitDigits = try reader.readBool()
            case 26: spec.allowWhitespaceOnlyPieces = try reader.readBool()
            case 35: spec.byteFallback = try reader.readBool()
            case 40: spec.unkID = try reader.readInt32()
            case 41: spec.bosID = try reader.readInt32()
            case 42: spec.eosID = try reader.readInt32()
            case 43: spec.padID = try reader.readInt32()
            case 44: spec.unkSurface = try reader.readString()
            case 45: spec.unkPiece = try reader.readString()
            case 46: spec.bosPiece = try reader.readString()
            case 47: spec.eosPiece = try reader.readString()
            case 48: spec.padPiece = try reader.readString()
            default: try reader.skip(wire)
            }
        }
    }

    private static func merge(_ spec: inout NormalizerSpec, from reader: inout ProtobufReader) throws {
        while let (number, wire) = try reader.nextField() {
            switch number {
            case 1: try expect(wire, .lengthDelimited, number, &reader); spec.name = try reader.readString()
            case 2: try expect(wire, .lengthDelimited, number, &reader); spec.precompiledCharsmap = try reader.readBytes()
            case 3: try expect(wire, .varint, number, &reader); spec.addDummyPrefix = try reader.readBool()
            case 4: try expect(wire, .varint, number, &reader); spec.removeExtraWhitespaces = try reader.readBool()
            case 5: try expect(wire, .varint, number, &reader); spec.escapeWhitespaces = try reader.readBool()
            default: try reader.skip(wire)
            }
        }
    }

    private static func expect(
        _ wire: ProtobufReader.WireType, _ expected: ProtobufReader.WireType, _ number: Int,
        _ reader: inout ProtobufReader
    ) throws {
        guard wire == expected else {
            throw ProtobufReader.Failure(offset: reader.position, reason: "field \(number) has wire type \(wire), expected \(expected)")
        }
    }
}
