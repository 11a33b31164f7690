/// SentencePiece's normaliser (normalizer.cc): rewrites the longest matching prefix
/// with the precompiled charsmap (user-defined symbols pass through untouched, invalid
/// UTF-8 bytes become U+FFFD one byte at a time), drops leading, trailing and repeated
/// spaces when `removeExtraWhitespaces`, adds the dummy-prefix space, and escapes
/// spaces as "▁" (U+2581) when `escapeWhitespaces`.
struct Normalizer: Sendable {
    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]

    let spec: SentencePieceModelProto.NormalizerSpec
    let treatWhitespaceAsSuffix: Bool
    private let charsMap: PrecompiledCharsMap?
    private let userDefined: PieceTrie

    /// `userDefined` holds the model's USER_DEFINED pieces (matched before the charsmap).
    init(
        spec: SentencePieceModelProto.NormalizerSpec, treatWhitespaceAsSuffix: Bool,
        userDefined: PieceTrie, file: String
    ) throws {
        self.spec = spec
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        self.userDefined = userDefined
        if spec.precompiledCharsmap.isEmpty {
            charsMap = nil
        } else {
            do {
                charsMap = try PrecompiledCharsMap(blob: spec.precompiledCharsmap)
            } catch {
                throw TokenizerError.malformedModel(file: file, reason: "normalizer '\(spec.name)': \(error.reason)")
            }
        }
    }

    /// The normalised form of one prefix of `input[start...]`: replacement bytes and
    /// how many input bytes they replace (NormalizePrefix).
    private func normalizePrefix(_ input: [UInt8], at start: Int) -> (bytes: ArraySlice<UInt8>, consumed: Int) {
        let end = input.count
        let userLength = userDefined.longestPrefix(of: input, from: start, to: end)
        if userLength > 0 { return (input[start..<(start + userLength)], userLength) }
        if let match = charsMap?.longestMatch(input, from: start, to: end) {
            return (match.replacement, match.length)
        }
        let (length, isValid) = UTF8Rules.decode(input, at: start, end: end)
        if !isValid { return (UTF8Rules.replacementCharacter[...], 1) }
        return (input[start..<(start + length)], length)
    }

    /// Normalises raw UTF-8 bytes (which may be invalid) into the string the model sees.
    func normalize(_ input: [UInt8]) -> [UInt8] {
        var position = 0
        if input.isEmpty { return [] }
        if spec.removeExtraWhitespaces {
            while position < input.count {
                let p = normalizePrefix(input, at: position)
                if !(p.bytes.count == 1 && p.bytes.first == 0x20) { break }
                position += p.consumed
            }
        }
        if position == input.count { return [] }

        var out: [UInt8] = []
        out.reserveCapacity(3 * (input.count - position) + 3)
        let space: [UInt8] = spec.escapeWhitespaces ? Self.spaceSymbol : [0x20]
        if !treatWhitespaceAsSuffix && spec.addDummyPrefix { out += space }

        var isPreviousSpace = spec.removeExtraWhitespaces
        while position < input.count {
            let p = normalizePrefix(input, at: position)
            var piece = p.bytes
            // Drop leading spaces of this piece if the previous one ended with a space.
            while isPreviousSpace, piece.first == 0x20 { piece = piece.dropFirst() }
            if !piece.isEmpty {
                for byte in piece {
                    if spec.escapeWhitespaces && byte == 0x20 { out += Self.spaceSymbol } else { out.append(byte) }
                }
                isPreviousSpace = piece.last == 0x20
            }
            position += p.consumed
            if !spec.removeExtraWhitespaces { isPreviousSpace = false }
        }

        if spec.removeExtraWhitespaces {
            while out.count >= space.count, out.suffix(space.count).elementsEqual(space) {
                out.removeLast(space.count)
            }
        }
        if treatWhitespaceAsSuffix && spec.addDummyPrefix { out += space }
        return out
    }
}
