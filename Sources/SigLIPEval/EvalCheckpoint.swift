import Foundation
import SigLIPBase
import SigLIPModels
import SigLIPText

/// A checkpoint ready for evaluation: a directory with `config.json` + `model.safetensors` (ours
/// or Hugging Face's) and the SentencePiece `spiece.model`, or a big_vision `.npz` file with
/// `spiece.model` beside it.
public struct EvalCheckpoint {
    public static let tokenizerFile = "spiece.model"

    /// The checkpoint directory, or the `.npz` file.
    public let directory: URL
    public let model: SigLIPModel
    /// Length L = `text_config.max_position_embeddings`, lowercasing on, padding with EOS (1),
    /// no canonicalisation (the evaluators canonicalise class names and templates themselves).
    public let tokenizer: SigLIPTokenizer
    /// How images are brought to the model's size: the directory's Hugging Face image processor
    /// (bicubic for the released models) or, without one (ours, and big_vision's `.npz`),
    /// bilinear as in training.
    public let imageProcessor: ImageProcessorConfig

    public init(model: SigLIPModel, tokenizer: SigLIPTokenizer, directory: URL, imageProcessor: ImageProcessorConfig = .training) {
        self.model = model
        self.tokenizer = tokenizer
        self.directory = directory
        self.imageProcessor = imageProcessor
    }

    /// Where a checkpoint's tokenizer is: `spiece.model` in the directory, or beside the `.npz`.
    public static func tokenizer(of url: URL) -> URL {
        (Checkpoint.isBigVision(url) ? url.deletingLastPathComponent() : url).appendingPathComponent(tokenizerFile)
    }

    /// Loads model and tokenizer from a checkpoint directory or a big_vision `.npz` file (whose
    /// tokenizer is the `spiece.model` in the same folder). `imageSize` nil keeps the
    /// checkpoint's image size; another resamples its position embedding (`Checkpoint.load`).
    /// A missing `spiece.model` or a tokenizer whose ids do not fit the model's vocabulary is
    /// an `SigLIPError` naming the checkpoint or file.
    public static func load(from url: URL, imageSize: Int? = nil) throws -> EvalCheckpoint {
        let isBigVision = Checkpoint.isBigVision(url)
        let spiece = tokenizer(of: url)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        guard exists, isDirectory.boolValue != isBigVision else {
            throw SigLIPError(path: url.path, problem: isBigVision ? "no such .npz checkpoint file" : "no such checkpoint directory")
        }
        guard FileManager.default.fileExists(atPath: spiece.path) else {
            throw SigLIPError(path: url.path, problem: isBigVision
                ? "checkpoint has no tokenizer: put the SentencePiece model it was trained with beside it as \(spiece.path)"
                : "checkpoint has no tokenizer (\(tokenizerFile)); copy the SentencePiece model the checkpoint was trained with into it")
        }
        let model = try Checkpoint.load(from: url, imageSize: imageSize)
        let sentencePiece = try SentencePieceTokenizer(contentsOf: spiece)
        let vocabulary = model.config.textTower.vocabularySize
        guard sentencePiece.vocabularySize <= vocabulary else {
            throw SigLIPError(path: spiece.path, problem: "has \(sentencePiece.vocabularySize) pieces but the text tower's vocab_size is \(vocabulary)")
        }
        // The text tower pools at config's EOS when padding is masked, and the padding must be
        // the token the model was trained with: a tokenizer that disagrees gives wrong embeddings
        // silently, so it is refused.
        let text = model.config.textTower
        let settings = isBigVision ? "the checkpoint's" : "config.json's"
        guard Int(sentencePiece.eosID) == text.padID else {
            throw SigLIPError(path: spiece.path, problem: "pads with its EOS id \(sentencePiece.eosID) but \(settings) pad_token_id is \(text.padID)")
        }
        guard !text.maskPadding || Int(sentencePiece.eosID) == text.eosID else {
            throw SigLIPError(path: spiece.path, problem: "has EOS id \(sentencePiece.eosID) but \(settings) eos_token_id is \(text.eosID) (the text tower pools at EOS)")
        }
        let tokenizer = try SigLIPTokenizer(sentencePiece: sentencePiece, length: model.config.textTower.length,
                                            lowercase: true, canonicalization: .none, padID: sentencePiece.eosID)
        return EvalCheckpoint(model: model, tokenizer: tokenizer, directory: url,
                              imageProcessor: isBigVision ? .training : try ImageProcessorConfig.read(directory: url))
    }

    /// The adapter the evaluators use.
    public func encoder(textBatchSize: Int = 256) -> SigLIPEncoder {
        SigLIPEncoder(model: model, tokenizer: tokenizer, textBatchSize: textBatchSize, resizeFilter: imageProcessor.resizeFilter)
    }
}
