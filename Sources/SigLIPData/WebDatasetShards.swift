import Foundation
import SigLIPBase

/// WebDataset-style `.tar` shards (as OpenCLIP reads them): members sharing a key form one
/// sample, e.g. `0000042.png` + `0000042.txt`.
///
/// The key is the member's path up to the first '.' of its file name; the rest is the
/// extension. A sample needs one image (`.jpg`, `.jpeg` or `.png`; in that preference) and
/// one caption (`.txt`, `.caption`, or a `.json` object with a "caption" string). Keys with
/// only one of the two are left out and listed in `indexSkipped`. A `.webp` (or other
/// unsupported image) member is refused with a `SigLIPError`.
///
/// The tar headers are read once at construction; sample bytes are read on demand with
/// positioned reads, so `sample(at:)` may be called from several threads.
public struct WebDatasetShards: ImageTextDataset {
    struct Entry: Sendable {
        var shard: Int
        var image: TarMember
        var caption: TarMember
        var captionIsJSON: Bool
    }

    /// The shard files, in the order their samples are numbered.
    public let urls: [URL]
    public let indexSkipped: [SkippedEntry]
    /// Samples per shard, in the order of `urls`.
    public let samplesPerShard: [Int]
    /// Image members larger than this are skipped as bad samples.
    public let maxImageBytes: Int
    private let files: [ReadOnlyFile]
    private let entries: [Entry]

    public var count: Int { entries.count }

    /// Indexes the given shards (in this order).
    public init(urls: [URL], maxImageBytes: Int = SampleLimits.maxImageBytes) throws {
        guard !urls.isEmpty else { throw SigLIPError(path: "", problem: "no .tar shards given") }
        var files: [ReadOnlyFile] = []
        var entries: [Entry] = []
        var skipped: [SkippedEntry] = []
        var perShard: [Int] = []
        for (shard, url) in urls.enumerated() {
            let file = try ReadOnlyFile(path: url.path)
            let before = entries.count
            try Self.group(try TarIndex.members(of: file), shard: shard, file: file,
                           label: url.lastPathComponent, into: &entries, skipped: &skipped)
            files.append(file)
            perShard.append(entries.count - before)
        }
        self.urls = urls
        self.maxImageBytes = maxImageBytes
        self.files = files
        self.entries = entries
        self.indexSkipped = skipped
        self.samplesPerShard = perShard
    }

    /// Every `*.tar` in `folder`, sorted by name.
    public init(folder: URL, maxImageBytes: Int = SampleLimits.maxImageBytes) throws {
        let shards = try Self.shardFiles(in: folder)
        guard !shards.isEmpty else { throw SigLIPError(path: folder.path, problem: "no .tar shards in this folder") }
        try self.init(urls: shards, maxImageBytes: maxImageBytes)
    }

    static func shardFiles(in folder: URL) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw SigLIPError(path: folder.path, problem: "cannot list folder (\(error.localizedDescription))")
        }
        return names.filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".tar") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { folder.appendingPathComponent($0) }
    }

    /// The sample's key, e.g. "0000042" (unique within its shard).
    public func key(at index: Int) -> String {
        let name = entries[index].image.name
        return Self.split(name).key
    }

    public func sample(at index: Int) throws -> ImageTextSample {
        precondition(index >= 0 && index < entries.count, "sample index \(index) out of 0..<\(entries.count)")
        let entry = entries[index]
        let file = files[entry.shard]
        let label = urls[entry.shard].lastPathComponent
        let imageName = "\(label):\(entry.image.name)"
        guard entry.image.size <= maxImageBytes else {
            throw SigLIPError(path: imageName, problem: "image member is \(entry.image.size) bytes, over the limit of \(maxImageBytes) (--max-image-bytes)",
                              kind: .badSample)
        }
        guard entry.caption.size <= SampleLimits.maxCaptionFileBytes else {
            throw SigLIPError(path: "\(label):\(entry.caption.name)",
                              problem: "caption member is \(entry.caption.size) bytes, over the limit of \(SampleLimits.maxCaptionFileBytes)",
                              kind: .badSample)
        }
        let image = try file.read(offset: entry.image.offset, count: entry.image.size)
        let captionBytes = try file.read(offset: entry.caption.offset, count: entry.caption.size)
        let caption = try Self.caption(from: captionBytes, json: entry.captionIsJSON, name: "\(label):\(entry.caption.name)")
        return ImageTextSample(imageBytes: image, name: imageName, caption: caption)
    }

    /// (key, lowercased extension): split at the first '.' of the last path component.
    static func split(_ path: String) -> (key: String, ext: String) {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        guard let dot = path[slash...].firstIndex(of: ".") else { return (path, "") }
        return (String(path[..<dot]), path[path.index(after: dot)...].lowercased())
    }

    private static func group(_ members: [TarMember], shard: Int, file: ReadOnlyFile, label: String,
                              into entries: inout [Entry], skipped: inout [SkippedEntry]) throws {
        var order: [String] = []
        var images: [String: TarMember] = [:]
        var captions: [String: (member: TarMember, json: Bool, rank: Int)] = [:]
        let imageRank = ["jpg": 0, "jpeg": 1, "png": 2]
        let captionRank = ["txt": 0, "caption": 1, "json": 2]
        for member in members {
            let (key, ext) = split(member.name)
            if ImageExtensions.knownUnsupported.contains(ext) {
                throw SigLIPError(path: file.path, problem: "member \(member.name): \(ImageExtensions.problem(unsupported: ext))")
            }
            if images[key] == nil && captions[key] == nil && (imageRank[ext] != nil || captionRank[ext] != nil) {
                order.append(key)
            }
            if let rank = imageRank[ext] {
                if let current = images[key], imageRank[split(current.name).ext]! <= rank { continue }
                images[key] = member
            } else if let rank = captionRank[ext] {
                if let current = captions[key], current.rank <= rank { continue }
                captions[key] = (member, ext == "json", rank)
            }
        }
        for key in order {
            switch (images[key], captions[key]) {
            case let (image?, caption?):
                entries.append(Entry(shard: shard, image: image, caption: caption.member, captionIsJSON: caption.json))
            case (_?, nil):
                skipped.append(SkippedEntry(name: "\(label):\(key)", reason: "image without a caption (.txt, .caption or .json)"))
            default:
                skipped.append(SkippedEntry(name: "\(label):\(key)", reason: "caption without an image (.jpg, .jpeg or .png)"))
            }
        }
    }

    /// The caption text: UTF-8, surrounding whitespace trimmed, several candidates one per line
    /// (`.txt`); from JSON, the "caption" string or the "captions" list (one per line).
    static func caption(from bytes: Data, json: Bool, name: String) throws -> String {
        var text: String
        if json {
            let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
            if let caption = object?["caption"] as? String {
                text = caption
            } else if let captions = object?["captions"] as? [String] {
                text = captions.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
            } else {
                throw SigLIPError(path: name, problem: "not a JSON object with a \"caption\" string or \"captions\" list", kind: .badSample)
            }
        } else {
            guard let decoded = String(data: bytes, encoding: .utf8) else {
                throw SigLIPError(path: name, problem: "caption is not valid UTF-8", kind: .badSample)
            }
            text = decoded
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw SigLIPError(path: name, problem: "empty caption", kind: .badSample) }
        return text
    }
}
