import Foundation
import SigLIPBase
import SigLIPImage

/// One image–caption pair as stored: the encoded image bytes (PNG or JPEG), a name for
/// error messages (e.g. "train-00000.tar:0000042.png" or "images/0000042.png"), and the caption.
public struct ImageTextSample: Sendable, Equatable {
    public var imageBytes: Data
    public var name: String
    /// The caption text. Several candidate captions of one image (templates, annotations) are
    /// one per line; training draws one of them per epoch (`EpochOrder.captionChoice`).
    public var caption: String

    public init(imageBytes: Data, name: String, caption: String) {
        self.imageBytes = imageBytes
        self.name = name
        self.caption = caption
    }

    /// The candidate captions: the caption's non-blank lines, trimmed (at least one for a
    /// sample that the data sets return). The first is the canonical one (evaluation uses it).
    /// Each is cut to `SampleLimits.maxCaptionBytes` (at a character boundary) before any
    /// normalisation sees it.
    public var captionCandidates: [String] {
        let lines = caption.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return (lines.isEmpty ? [caption] : lines).map { SampleLimits.capped($0) }
    }
}

/// Per-sample byte limits of the training data (README, "Limits"): one sample can never take
/// more than this much memory before it is decoded.
public enum SampleLimits {
    /// An image file or tar member larger than this is skipped as a bad sample (64 MiB; the
    /// default of `siglip-train --max-image-bytes`).
    public static let maxImageBytes = DecodeLimits.default.maxFileBytes
    /// A caption file or tar member larger than this is skipped as a bad sample (1 MiB).
    public static let maxCaptionFileBytes = 1 << 20
    /// Each candidate caption is cut to this many UTF-8 bytes before normalisation: the
    /// tokenizer keeps at most L tokens anyway, so nothing a model sees is lost.
    public static let maxCaptionBytes = 4096

    /// `text` cut to at most `maxCaptionBytes` UTF-8 bytes, at a Unicode scalar boundary.
    static func capped(_ text: String) -> String {
        guard text.utf8.count > maxCaptionBytes else { return text }
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxCaptionBytes { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }
}

/// A sample left out while indexing a data set (e.g. a tar key with an image but no caption).
public struct SkippedEntry: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let reason: String
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }
    public var description: String { "\(name): \(reason)" }
}

/// Image–text training data, indexed once and read lazily, safe to read from several threads.
public protocol ImageTextDataset: Sendable {
    /// Number of samples (after leaving out incomplete ones, see `indexSkipped`).
    var count: Int { get }
    /// Entries left out while indexing, with the reason.
    var indexSkipped: [SkippedEntry] { get }
    /// Sample `index` in 0..<count. Throws `SigLIPError` of kind `.badSample` for a problem with
    /// this sample only (missing image file, empty caption), of another kind when the storage
    /// itself fails.
    func sample(at index: Int) throws -> ImageTextSample
}

/// The image extensions the decoders read; `.webp` and others are refused with a clear error.
enum ImageExtensions {
    static let supported: Set<String> = ["jpg", "jpeg", "png"]
    static let knownUnsupported: Set<String> = ["webp", "gif", "bmp", "tif", "tiff", "avif", "heic"]

    static func problem(unsupported ext: String) -> String {
        "\(ext.uppercased()) images are not supported (only .jpg, .jpeg, .png); convert them first"
    }
}

/// Opens image–text data in any supported layout:
/// - a folder of WebDataset `.tar` shards (sorted by name), or a single `.tar` file;
/// - a `.jsonl` or `.tsv` caption manifest (paths relative to its folder);
/// - a folder containing `captions.jsonl` or `captions.tsv`.
/// Image files or members over `maxImageBytes` are skipped as bad samples.
public func openImageTextDataset(at url: URL, maxImageBytes: Int = SampleLimits.maxImageBytes) throws -> any ImageTextDataset {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw SigLIPError(path: url.path, problem: "no such file or folder")
    }
    if !isDirectory.boolValue {
        switch url.pathExtension.lowercased() {
        case "tar": return try WebDatasetShards(urls: [url], maxImageBytes: maxImageBytes)
        case "jsonl", "tsv": return try CaptionManifest(url: url, maxImageBytes: maxImageBytes)
        default:
            throw SigLIPError(path: url.path, problem: "not a .tar shard or a .jsonl/.tsv caption manifest")
        }
    }
    for manifest in ["captions.jsonl", "captions.tsv"] {
        let candidate = url.appendingPathComponent(manifest)
        if fm.fileExists(atPath: candidate.path) { return try CaptionManifest(url: candidate, maxImageBytes: maxImageBytes) }
    }
    let shards = try WebDatasetShards.shardFiles(in: url)
    guard !shards.isEmpty else {
        throw SigLIPError(path: url.path, problem: "no .tar shards, captions.jsonl or captions.tsv in this folder")
    }
    return try WebDatasetShards(urls: shards, maxImageBytes: maxImageBytes)
}
