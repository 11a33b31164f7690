import SigLIPImage
/// The model side of the evaluators: images and texts to L2-normalised embeddings. The
/// evaluators only see this protocol, so tests can supply hand-built embeddings with known
/// answers; `SigLIPEncoder` adapts a `SigLIPModel` and its tokenizer.
public protocol ZeroShotEncoder: AnyObject {
    /// The square input side: images are [H, W, 3] with H = W = `imageSize`.
    var imageSize: Int { get }
    /// How images of another size are resized to `imageSize`.
    var resizeFilter: ResizeFilter { get }
    /// E, the embedding width.
    var embeddingWidth: Int { get }
    /// The recursion rounds the image tower runs when none are asked for.
    var defaultRounds: Int { get }
    /// Whether the image tower recurses at all (otherwise every rounds value gives the same result).
    var imageTowerRecurses: Bool { get }
    /// Whether text embeddings depend on the rounds (the text tower recurses); when false, class
    /// embeddings are computed once and reused for every rounds value.
    var textDependsOnRounds: Bool { get }

    /// pixels: [B, H, W, 3] in [-1, 1] → [B, E] L2-normalised, row-major, at `rounds` rounds.
    func encodeImages(_ pixels: UnsafeBufferPointer<Float>, count: Int, rounds: Int) throws -> [Float]
    /// B texts (already canonicalised where the protocol says so) → [B, E] L2-normalised.
    func encodeTexts(_ texts: [String], rounds: Int) throws -> [Float]
    /// Inference FLOPs of the image tower per image at `rounds` rounds.
    func flopsPerImage(rounds: Int) -> Double
}

extension ZeroShotEncoder {
    /// Bilinear, as in training, unless the encoder says otherwise.
    public var resizeFilter: ResizeFilter { .bilinear }
}
