import Foundation

/// Errors thrown while loading or using a SentencePiece model. Each names the file (or
/// model name) it concerns and says what is wrong.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The model file could not be read at all.
    case unreadableFile(file: String, reason: String)
    /// The bytes are not a well-formed SentencePiece `ModelProto`, or the model is
    /// internally inconsistent (duplicate pieces, missing `<unk>`, …).
    case malformedModel(file: String, reason: String)
    /// A well-formed model that this implementation does not support (e.g. BPE).
    case unsupportedModel(file: String, reason: String)
    /// An id outside `0..<vocabularySize` was passed to `decode`.
    case invalidID(file: String, id: Int32, vocabularySize: Int)
    /// A caller-supplied argument is out of range (e.g. a sequence length below 1).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadableFile(file, reason): return "\(file): cannot read SentencePiece model: \(reason)"
        case let .malformedModel(file, reason): return "\(file): malformed SentencePiece model: \(reason)"
        case let .unsupportedModel(file, reason): return "\(file): unsupported SentencePiece model: \(reason)"
        case let .invalidID(file, id, size): return "\(file): id \(id) is outside the vocabulary 0..<\(size)"
        case let .invalidArgument(message): return "invalid argument: \(message)"
        }
    }
}
