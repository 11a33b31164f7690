import SigLIPBase

/// The tokenizer's failures, as `SigLIPError`s naming the model file (or model name) with the
/// SentencePiece wording, e.g. "x.model: malformed SentencePiece model: <unk> is not defined".
enum TokenizerError {
    /// The model file could not be read at all.
    static func unreadableFile(file: String, reason: String) -> SigLIPError {
        SigLIPError(path: file, problem: "cannot read SentencePiece model: \(reason)", kind: .unreadable)
    }

    /// The bytes are not a well-formed SentencePiece `ModelProto`, or the model is internally
    /// inconsistent (duplicate pieces, missing `<unk>`, …).
    static func malformedModel(file: String, reason: String) -> SigLIPError {
        SigLIPError(path: file, problem: "malformed SentencePiece model: \(reason)", kind: .corrupt)
    }

    /// A well-formed model that this implementation does not support (e.g. BPE).
    static func unsupportedModel(file: String, reason: String) -> SigLIPError {
        SigLIPError(path: file, problem: "unsupported SentencePiece model: \(reason)", kind: .unsupported)
    }

    /// An id outside `0..<vocabularySize` was passed to `decode`.
    static func invalidID(file: String, id: Int32, vocabularySize: Int) -> SigLIPError {
        SigLIPError(path: file, problem: "id \(id) is outside the vocabulary 0..<\(vocabularySize)")
    }

    /// A caller-supplied argument is out of range (e.g. a sequence length below 1).
    static func invalidArgument(_ message: String) -> SigLIPError {
        SigLIPError(path: "", problem: "invalid argument: \(message)")
    }
}
