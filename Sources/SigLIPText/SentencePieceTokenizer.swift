import Foundation

/// A SentencePiece unigram model that encodes exactly as the `sentencepiece` library
/// (`SentencePieceProcessor::Encode` with no extra options: no BOS/EOS) and decodes as
/// its `Decode`. Immutable and safe to share across threads.
public struct SentencePieceTokenizer: Sendable {
    /// The parsed model file.
    public let model: SentencePieceModelProto
    /// Where the model came from (used in error messages).
    public let file: String

    private let normalizer: Normalizer
    /// Applied to decoded text when the model carries a denormalizer charsmap.
    let denormalizer: Normalizer?
    private let unigram: UnigramModel
    private let reserved: [[UInt8]: Int32]
    private let trie: PieceTrie
    private let byteIDs: [Int32]
    private let pieceBytes: [[UInt8]]

    /// Loads a `.model` file.
    public init(contentsOf url: URL) throws {
        try self.init(model: try SentencePieceModelProto(contentsOf: url), file: url.path)
    }

    /// Builds a tokenizer from serialized `ModelProto` bytes.
    public init(bytes: [UInt8], file: String) throws {
        try self.init(model: try SentencePieceModelProto(bytes: bytes, file: file), file: file)
    }

    /// Builds a tokenizer from a parsed model, checking it as the library does
    /// (`ModelInterface::InitializePieces`).
    public init(model: SentencePieceModelProto, file: String) throws {
        guard model.trainerSpec.modelType == .unigram else {
            throw TokenizerError.unsupportedModel(file: file, reason: "model_type \(model.trainerSpec.modelType) (only unigram is implemented)")
        }
        var normal: [(key: [UInt8], value: Int32)] = []
        var userDefined: [(key: [UInt8], value: Int32)] = []
        var reserved: [[UInt8]: Int32] = [:]
        var seenNormal = Set<[UInt8]>()
        var seenReserved = Set<[UInt8]>()
        var unkID: Int32 = -1
        var byteIDs = [Int32](repeating: -1, count: 256)
        for (index, piece) in model.pieces.enumerated() {
            let id = Int32(index)
            guard !piece.piece.isEmpty else {
                throw TokenizerError.malformedModel(file: file, reason: "piece \(id) is empty")
            }
            // The library keys pieces by bytes; Swift String equality is canonical, so use bytes.
            let key = Array(piece.piece.utf8)
            switch piece.type {
            case .normal, .userDefined, .unused:
                guard seenNormal.insert(key).inserted else {
                    throw TokenizerError.malformedModel(file: file, reason: "piece '\(piece.piece)' (id \(id)) is already defined")
                }
                normal.append((key, id))
                if piece.type == .userDefined { userDefined.append((key, id)) }
            case .unknown, .control, .byte:
                guard seenReserved.insert(key).inserted else {
                    throw TokenizerError.malformedModel(file: file, reason: "piece '\(piece.piece)' (id \(id)) is already defined")
                }
                reserved[key] = id
            }
            if piece.type == .unknown {
                guard unkID < 0 else { throw TokenizerError.malformedModel(file: file, reason: "<unk> is defined twice (ids \(unkID) and \(id))") }
                unkID = id
            }
            if piece.type == .byte {
                guard model.trainerSpec.byteFallback else {
                    throw TokenizerError.malformedModel(file: file, reason: "byte piece '\(piece.piece)' found although byte_fallback is false")
                }
                guard let byte = Self.byteValue(ofPiece: piece.piece) else {
                    throw TokenizerError.malformedModel(file: file, reason: "byte piece '\(piece.piece)' is invalid")
                }
                byteIDs[Int(byte)] = id
            }
        }
        guard unkID >= 0 else { throw TokenizerError.malformedModel(file: file, reason: "<unk> is not defined") }
        if model.trainerSpec.byteFallback, byteIDs.contains(-1) {
            throw TokenizerError.malformedModel(file: file, reason: "byte_fallback is true but not all 256 byte pieces are present")
        }
        self.model = model
        self.file = file
        self.reserved = reserved
        self.byteIDs = byteIDs
        self.pieceBytes = model.pieces.map { Array($0.piece.utf8) }
        self.trie = PieceTrie(normal)
        self.unigram = UnigramModel(pieces: model.pieces, trie: trie, unkID: unkID)
        self.normalizer = try Normalizer(
            spec: model.normalizerSpec, treatWhitespaceAsSuffix: model.trainerSpec.treatWhitespaceAsSuffix,
            userDefined: PieceTrie(userDefined), file: file)
        if let spec = model.denormalizerSpec, !spec.precompiledCharsmap.isEmpty {
            self.denormalizer = try Normalizer(spec: spec, treatWhitespaceAsSuffix: false, userDefined: PieceTrie([]), file: file)
        } else {
            self.denormalizer = nil
        }
    }

    // MARK: Vocabulary

    /// The number of pieces (V).
    public var vocabularySize: Int { model.pieces.count }
    /// The `<unk>` id.
    public var unkID: Int32 { unigram.unkID }
    /// The BOS id, or -1 (as `sp.bos_id()`: the id of `bos_piece` if it is a control piece).
    public var bosID: Int32 { controlID(model.trainerSpec.bosPiece) }
    /// The EOS id, or -1 (as `sp.eos_id()`).
    public var eosID: Int32 { controlID(model.trainerSpec.eosPiece) }
    /// The pad id, or -1 (as `sp.pad_id()`).
    public var padID: Int32 { controlID(model.trainerSpec.padPiece) }
    /// Whether unknown characters are spelled as `<0xXX>` byte pieces.
    public var byteFallback: Bool { model.trainerSpec.byteFallback }

    /// The piece string of `id`.
    public func piece(for id: Int32) throws -> String {
        guard id >= 0, Int(id) < vocabularySize else {
            throw TokenizerError.invalidID(file: file, id: id, vocabularySize: vocabularySize)
        }
        return model.pieces[Int(id)].piece
    }

    /// The id of a piece string; `unkID` if it is not in the vocabulary (`PieceToId`).
    public func id(for piece: String) -> Int32 {
        let key = Array(piece.utf8)
        if let id = reserved[key] { return id }
        return trie.value(for: key) ?? unkID
    }

    private func controlID(_ piece: String) -> Int32 {
        let id = self.id(for: piece)
        return model.pieces[Int(id)].type == .control ? id : -1
    }

    // MARK: Encoding

    /// The normalised text the model segments (spaces already escaped as "▁").
    public func normalize(_ text: String) -> String {
        String(decoding: normalizer.normalize(Array(text.utf8)), as: UTF8.self)
    }

    /// Encodes text to ids (no BOS/EOS), as `sp.encode(text)`.
    public func encode(_ text: String) -> [Int32] { encode(bytes: Array(text.utf8)) }

    /// Encodes raw bytes, which need not be valid UTF-8 (invalid bytes become U+FFFD).
    public func encode(bytes: [UInt8]) -> [Int32] {
        encodePieces(bytes: bytes).map(\.id)
    }

    /// Encodes text to piece strings, as `sp.encode(text, out_type=str)`.
    public func encodeAsPieces(_ text: String) -> [String] {
        encodePieces(bytes: Array(text.utf8)).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Segments, then applies byte fallback to `<unk>` segments, or else merges runs of
    /// `<unk>` into one (PopulateSentencePieceText).
    private func encodePieces(bytes: [UInt8]) -> [(id: Int32, bytes: [UInt8])] {
        let normalized = normalizer.normalize(bytes)
        var out: [(id: Int32, bytes: [UInt8])] = []
        var previousWasUnknown = false
        for segment in unigram.encode(normalized) {
            let surface = Array(normalized[segment.range])
            let isUnknown = model.pieces[Int(segment.id)].type == .unknown
            if isUnknown && byteFallback {
                for byte in surface { out.append((byteIDs[Int(byte)], Array(Self.bytePiece(byte).utf8))) }
            } else if isUnknown && previousWasUnknown {
                out[out.count - 1].bytes += surface
            } else {
                out.append((segment.id, surface))
            }
            previousWasUnknown = isUnknown
        }
        return out
    }

    // MARK: Byte pieces

    /// "<0xXX>" (upper-case hex), the piece spelling a byte.
    static func bytePiece(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    /// The byte a "<0xXX>" piece spells, or nil.
    static func byteValue(ofPiece piece: String) -> UInt8? {
        let utf8 = Array(piece.utf8)
        guard utf8.count == 6, let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16),
              Array(bytePiece(byte).utf8) == utf8 else { return nil }
        return byte
    }

    // MARK: Decoding (internal helpers used by Decoding.swift)

    func pieceBytes(_ id: Int32) -> [UInt8] { pieceBytes[Int(id)] }
    func type(_ id: Int32) -> SentencePieceModelProto.PieceType { model.pieces[Int(id)].type }
    func byteValue(_ id: Int32) -> UInt8? { Self.byteValue(ofPiece: model.pieces[Int(id)].piece) }
}
