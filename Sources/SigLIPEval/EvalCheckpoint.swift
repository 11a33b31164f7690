import Foundation
import SigLIPBase
import SigLIPModels
import SigLIPText

/// A checkpoint directory ready for evaluation: `config.json` + `model.safetensors` (ours or
/// Hugging Face's) and the SentencePiece `spiece.model`.
public struct EvalCheckpoint {
    public static let tokenizerFile = "spiece.model"

    public let directory: URL
    public let model: SigLIPModel
    /// Length L = `text_config.max_position_embeddings`, lowercasing on, padding with EOS (1),
    /// no canonicalisation (the evaluators canonicalise class names and templates themselves).
    public let tokenizer: SigLIPTokenizer
    /// How images are brought to the model's size: the directory's Hugging Face image processor
    /// (bicubic for the released models) or, without one, bilinear as in training.
    public let imageProcessor: ImageProcessorConfig

    public init(model: SigLIPModel, tokenizer: SigLIPTokenizer, directory: URL, imageProcessor: ImageProcessorConfig = .training) {
        self.model = model
        self.tokenizer = tokenizer
        self.directory = directory
        self.imageProcessor = imageProcessor
    }

    /// Loads model and tokenizer; a missing `spiece.model` or a tokenizer whose ids do not fit
    /// the model's vocabulary is an `SigLIPError` naming the directory or file.
    public static func load(from directory: URL) throws -> EvalCheckpoint {
        let spiece = directory.appendingPathComponent(tokenizerFile)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SigLIPError(path: directory.path, problem: "no such checkpoint directory")
        }
        guard FileManager.default.fileExists(atPath: spiece.path) else {
            throw SigLIPError(path: directory.path, problem: "checkpoint has no tokenizer (\(tokenizerFile)); copy the SentencePiece model the checkpoint was trained with into it")
        }
        let model = try Checkpoint.load(from: directory)
        let sentencePiece = try SentencePieceTokenizer(contentsOf: spiece)
        let vocabulary = model.config.textTower.vocabularySize
        guard sentencePiece.vocabularySize <= vocabulary else {
            throw SigLIPError(path: spiece.path, problem: "has \(sentencePiece.vocabularySize) pieces but the text tower's vocab_size is \(vocabulary)")
        }
        // The text tower pools at config's EOS when padding is masked, and the padding must be
        // the token the model was trained with: a tokenizer that disagrees gives wrong embeddings
        // silently, so it is refused.
        let text = model.config.textTower
        guard Int(sentencePiece.eosID) == text.padID else {
            throw SigLIPError(path: spiece.path, problem: "pads with its EOS id \(sentencePiece.eosID) but config.json's pad_token_id is \(text.padID)")
        }
        guard !text.maskPadding || Int(sentencePiece.eosID) == text.eosID else {
            throw SigLIPError(path: spiece.path, problem: "has EOS id \(sentencePiece.eosID) but config.json's eos_token_id is \(text.eosID) (the text tower pools at EOS)")
        }
        let tokenizer = try SigLIPTokenizer(sentencePiece: sentencePiece, length: model.config.textTower.length,
                                            lowercase: true, canonicalization: .none, padID: sentencePiece.eosID)
        return EvalCheckpoint(model: model, tokenizer: tokenizer, directory: directory,
                              imageProcessor: try ImageProcessorConfig.read(directory: directory))
    }

    /// The adapter the evaluators use.
    public func encoder(textBatchSize: Int = 256) -> SigLIPEncoder {
        SigLIPEncoder(model: model, tokenizer: tokenizer, textBatchSize: textBatchSize, resizeFilter: imageProcessor.resizeFilter)
    }
}
