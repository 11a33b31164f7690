/// The unigram language model's best segmentation (unigram_model.cc,
/// `Model::EncodeOptimized`): Viterbi over every vocabulary piece matching at every
/// character start, with user-defined symbols boosted so they always win and an
/// `<unk>` node (score `minScore - 10`) for characters no single piece covers.
struct UnigramModel: Sendable {
    /// One segment of the normalised string: its byte range and vocabulary id.
    struct Segment: Equatable {
        var range: Range<Int>
        var id: Int32
    }

    /// The library's penalty for unknown characters, below the lowest piece score.
    static let unknownPenalty: Float = 10

    private let trie: PieceTrie
    private let types: [SentencePieceModelProto.PieceType]
    private let scores: [Float]
    let unkID: Int32
    let minScore: Float
    let maxScore: Float

    /// `trie` maps NORMAL, USER_DEFINED and UNUSED pieces to their ids.
    init(pieces: [SentencePieceModelProto.Piece], trie: PieceTrie, unkID: Int32) {
        self.trie = trie
        self.types = pieces.map(\.type)
        self.scores = pieces.map(\.score)
        self.unkID = unkID
        // As in the library: FLT_MAX / FLT_MIN (the smallest *positive* float) start values.
        var lo = Float.greatestFiniteMagnitude
        var hi = Float.leastNormalMagnitude
        for piece in pieces where piece.type == .normal {
            lo = min(lo, piece.score)
            hi = max(hi, piece.score)
        }
        minScore = lo
        maxScore = hi
    }

    /// The best segmentation of `normalized` (UTF-8 bytes), left to right.
    func encode(_ normalized: [UInt8]) -> [Segment] {
        let size = normalized.count
        if size == 0 { return [] }
        // Best path ending at each byte position: total score, start of its last piece, id.
        var bestScore = [Float](repeating: 0, count: size + 1)
        var bestStart = [Int](repeating: -1, count: size + 1)
        var bestID = [Int32](repeating: -1, count: size + 1)
        let unkScore = minScore - Self.unknownPenalty

        var start = 0
        while start < size {
            let scoreHere = bestScore[start]
            let charLength = min(UTF8Rules.oneCharLength(normalized[start]), size - start)
            var hasSingleNode = false
            trie.forEachPrefix(of: normalized, from: start, to: size) { length, id in
                let type = types[Int(id)]
                if type == .unused { return }
                // The library computes this in double precision (a float/double ternary).
                let score: Double = type == .userDefined
                    ? Double(Float(length) * maxScore) - 0.1
                    : Double(scores[Int(id)])
                let candidate = score + Double(scoreHere)
                let end = start + length
                if bestStart[end] == -1 || candidate > Double(bestScore[end]) {
                    bestScore[end] = Float(candidate)
                    bestStart[end] = start
                    bestID[end] = id
                }
                if length == charLength { hasSingleNode = true }
            }
            if !hasSingleNode {
                let end = start + charLength
                let candidate = unkScore + scoreHere
                if bestStart[end] == -1 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = unkID
                }
            }
            start += charLength
        }

        var segments: [Segment] = []
        var end = size
        while end > 0 {
            let begin = bestStart[end]
            guard begin >= 0 else { break }  // unreachable: every start is reachable via <unk>
            segments.append(Segment(range: begin..<end, id: bestID[end]))
            end = begin
        }
        return segments.reversed()
    }
}
