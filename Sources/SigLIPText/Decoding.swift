/// Decoding ids back to text, as `SentencePieceProcessor::Decode`: control pieces
/// vanish, `<unk>` prints as the model's `unk_surface` (" ⁇ "), "▁" becomes a space
/// (the first piece's leading "▁" is dropped when the model adds a dummy prefix or
/// removes extra whitespace), and runs of byte pieces are reassembled into UTF-8 with
/// each invalid byte shown as U+FFFD. A model's denormalizer, if any, is applied last.
extension SentencePieceTokenizer {
    /// Decodes ids to text. Throws `SigLIPError` (`.invalid`) for ids outside the vocabulary.
    public func decode(_ ids: [Int32]) throws -> String {
        for id in ids where id < 0 || Int(id) >= vocabularySize {
            throw TokenizerError.invalidID(file: file, id: id, vocabularySize: vocabularySize)
        }
        var text: [UInt8] = []
        var pendingBytes: [UInt8] = []
        var isBeginningOfSentence = true
        var consumedLeadingSpace = false
        for id in ids {
            if type(id) == .byte, let byte = byteValue(id) {
                pendingBytes.append(byte)
                continue
            }
            Self.appendBytePieces(&pendingBytes, to: &text)
            if consumedLeadingSpace || !text.isEmpty { isBeginningOfSentence = false }
            let decoded = decodePiece(id, isBeginningOfSentence: isBeginningOfSentence)
            text += decoded.bytes
            consumedLeadingSpace = decoded.consumedLeadingSpace
        }
        Self.appendBytePieces(&pendingBytes, to: &text)
        if let denormalizer { text = denormalizer.normalize(text) }
        return String(decoding: text, as: UTF8.self)
    }

    /// One non-byte piece's surface, and whether it consumed the sentence-initial "▁".
    private func decodePiece(_ id: Int32, isBeginningOfSentence: Bool) -> (bytes: [UInt8], consumedLeadingSpace: Bool) {
        switch type(id) {
        case .control: return ([], false)
        case .unknown: return (Array(model.trainerSpec.unkSurface.utf8), false)
        default: break
        }
        var piece = pieceBytes(id)[...]
        var consumed = false
        let spec = model.normalizerSpec
        if isBeginningOfSentence && (spec.addDummyPrefix || spec.removeExtraWhitespaces) {
            if piece.starts(with: Normalizer.spaceSymbol) {
                piece = piece.dropFirst(Normalizer.spaceSymbol.count)
                consumed = true
            }
            // When removing extra whitespace, every leading "▁" piece is dropped.
            if spec.removeExtraWhitespaces { consumed = false }
        }
        return (Self.unescapeSpaces(piece), consumed)
    }

    /// Replaces every "▁" with a space.
    private static func unescapeSpaces(_ piece: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(piece.count)
        var i = piece.startIndex
        while i < piece.endIndex {
            if piece[i...].starts(with: Normalizer.spaceSymbol) {
                out.append(0x20)
                i += Normalizer.spaceSymbol.count
            } else {
                out.append(piece[i])
                i += 1
            }
        }
        return out
    }

    /// Appends reassembled byte pieces (invalid bytes → U+FFFD) and empties `bytes`.
    private static func appendBytePieces(_ bytes: inout [UInt8], to text: inout [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let (length, isValid) = UTF8Rules.decode(bytes, at: offset, end: bytes.count)
            if isValid { text += bytes[offset..<(offset + length)] } else { text += UTF8Rules.replacementCharacter }
            offset += length
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
