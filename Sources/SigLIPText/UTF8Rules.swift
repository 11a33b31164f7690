/// SentencePiece's own UTF-8 rules (util.h `OneCharLen`, `DecodeUTF8`,
/// `IsValidDecodeUTF8`), which the normaliser and the Viterbi search follow byte for byte.
enum UTF8Rules {
    /// U+FFFD REPLACEMENT CHARACTER in UTF-8.
    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// The character length implied by a lead byte alone (1 for stray trail bytes).
    @inline(__always)
    static func oneCharLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// Decodes one character at `bytes[start..<end]`: its length, and whether it is
    /// valid. Invalid sequences have length 1. A literal U+FFFD counts as valid.
    static func decode(_ bytes: [UInt8], at start: Int, end: Int) -> (length: Int, isValid: Bool) {
        let available = end - start
        let b0 = UInt32(bytes[start])
        if b0 < 0x80 { return (1, true) }
        func isTrail(_ k: Int) -> Bool { bytes[start + k] & 0xC0 == 0x80 }
        func isValidScalar(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }
        func trail(_ k: Int) -> UInt32 { UInt32(bytes[start + k] & 0x3F) }
        if available >= 2, b0 & 0xE0 == 0xC0 {
            let c = ((b0 & 0x1F) << 6) | trail(1)
            if isTrail(1), c >= 0x80, isValidScalar(c) { return (2, true) }
        } else if available >= 3, b0 & 0xF0 == 0xE0 {
            let c = ((b0 & 0x0F) << 12) | (trail(1) << 6) | trail(2)
            if isTrail(1), isTrail(2), c >= 0x800, isValidScalar(c) { return (3, true) }
        } else if available >= 4, b0 & 0xF8 == 0xF0 {
            let c = ((b0 & 0x07) << 18) | (trail(1) << 12) | (trail(2) << 6) | trail(3)
            if isTrail(1), isTrail(2), isTrail(3), c >= 0x10000, isValidScalar(c) { return (4, true) }
        }
        return (1, false)
    }
}
