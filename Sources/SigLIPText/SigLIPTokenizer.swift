import Foundation

/// SigLIP's text pipeline on top of a SentencePiece model: optional canonicalisation,
/// lowercasing (Python `str.lower()`), SentencePiece pieces, then "sticky" EOS to a
/// fixed length L: longer texts keep their first L-1 pieces plus EOS; shorter ones get
/// EOS and are padded with `padID`. No BOS. Every row therefore ends with EOS or pad.
public struct SigLIPTokenizer: Sendable {
    /// The underlying SentencePiece model.
    public let sentencePiece: SentencePieceTokenizer
    /// L, the number of ids per text.
    public let length: Int
    /// Lowercase before encoding (SigLIP's training text is lowercased).
    public let lowercase: Bool
    /// Canonicalisation applied first (the zero-shot evaluator uses `.bigVision`).
    public let canonicalization: TextCanonicalization
    /// The id appended after the pieces.
    public let eosID: Int32
    /// The id filling positions after EOS.
    public let padID: Int32

    /// - Parameters:
    ///   - length: L ≥ 1 (16 when training from scratch, 64 for most released models).
    ///   - padID: defaults to the model's pad id if it has one (≥ 0), else its EOS id.
    ///     Released SigLIP checkpoints pad with EOS (1): pass `padID: 1` if your copy of
    ///     their `spiece.model` declares a separate pad piece.
    public init(
        sentencePiece: SentencePieceTokenizer, length: Int, lowercase: Bool = true,
        canonicalization: TextCanonicalization = .none, padID: Int32? = nil
    ) throws {
        guard length >= 1 else { throw TokenizerError.invalidArgument("SigLIP sequence length must be at least 1, got \(length)") }
        let eos = sentencePiece.eosID
        guard eos >= 0 else {
            throw TokenizerError.unsupportedModel(file: sentencePiece.file, reason: "no EOS piece '\(sentencePiece.model.trainerSpec.eosPiece)'")
        }
        let pad = padID ?? (sentencePiece.padID >= 0 ? sentencePiece.padID : eos)
        guard pad >= 0, Int(pad) < sentencePiece.vocabularySize else {
            throw TokenizerError.invalidArgument("pad id \(pad) is outside the vocabulary 0..<\(sentencePiece.vocabularySize)")
        }
        self.sentencePiece = sentencePiece
        self.length = length
        self.lowercase = lowercase
        self.canonicalization = canonicalization
        self.eosID = eos
        self.padID = pad
    }

    /// Loads the SentencePiece model at `url`; other parameters as in `init(sentencePiece:…)`.
    public init(
        contentsOf url: URL, length: Int, lowercase: Bool = true,
        canonicalization: TextCanonicalization = .none, padID: Int32? = nil
    ) throws {
        try self.init(
            sentencePiece: try SentencePieceTokenizer(contentsOf: url), length: length,
            lowercase: lowercase, canonicalization: canonicalization, padID: padID)
    }

    /// The text actually handed to SentencePiece.
    public func prepare(_ text: String) -> String {
        let canonical = canonicalization.apply(text)
        return lowercase ? Canonicalize.pythonLowercased(canonical) : canonical
    }

    /// One text → ids: [L].
    public func encode(_ text: String) -> [Int32] {
        var ids = Array(sentencePiece.encode(prepare(text)).prefix(length - 1))
        ids.append(eosID)
        ids += repeatElement(padID, count: length - ids.count)
        return ids
    }

    /// A batch of B texts → ids: [B, L], row-major.
    public func encode(batch texts: [String]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(texts.count * length)
        for text in texts { out += encode(text) }
        return out
    }

    /// Decodes one row for reports: the text up to the first EOS (pad and EOS dropped).
    public func decode(_ ids: [Int32]) throws -> String {
        let body = ids.firstIndex(of: eosID).map { Array(ids[..<$0]) } ?? ids
        return try sentencePiece.decode(body)
    }
}
