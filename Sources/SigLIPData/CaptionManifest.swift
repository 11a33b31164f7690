import Foundation
import SigLIPBase

/// A folder of images plus a caption manifest, one sample per line:
/// - JSONL (`.jsonl`): `{"image": "images/0000000.png", "caption": "a fox"}`, or several
///   candidate captions as `"captions": ["a fox", "fox, face"]` (kept one per line);
/// - TSV (`.tsv`): `path<TAB>caption`, with an optional header line `image<TAB>caption`
///   or `filepath<TAB>title` (OpenCLIP's column names); the caption is everything after
///   the first tab.
///
/// Paths are relative to the manifest's folder (absolute paths are kept). Empty lines are
/// ignored; a malformed line throws `SigLIPError` naming the file and the line number. The
/// images are read when sampled: a missing file or an empty caption is a `SigLIPError` of kind `.badSample`.
public struct CaptionManifest: ImageTextDataset {
    public struct Entry: Sendable, Equatable {
        /// The path as written in the manifest (used in error messages).
        public let path: String
        public let url: URL
        public let caption: String
    }

    public let url: URL
    public let entries: [Entry]
    /// Image files larger than this are skipped as bad samples.
    public let maxImageBytes: Int
    public var count: Int { entries.count }
    public var indexSkipped: [SkippedEntry] { [] }

    public init(url: URL, maxImageBytes: Int = SampleLimits.maxImageBytes) throws {
        let text = try RegularFile.text(of: url, limit: RegularFile.Limit.manifest, what: "the manifest")
        let folder = url.deletingLastPathComponent()
        let isJSONL: Bool
        switch url.pathExtension.lowercased() {
        case "jsonl": isJSONL = true
        case "tsv": isJSONL = false
        default: throw SigLIPError(path: url.path, problem: "a caption manifest must end in .jsonl or .tsv")
        }
        var entries: [Entry] = []
        // Split on bytes: Swift treats "\r\n" as one Character.
        for (number, bytes) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = Substring(String(decoding: bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes, as: UTF8.self))
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            func fail(_ problem: String) -> SigLIPError {
                SigLIPError(path: url.path, problem: "line \(number + 1): \(problem)")
            }
            let pair = isJSONL ? try Self.parseJSONLine(line, fail) : try Self.parseTSVLine(line, isFirst: number == 0, fail)
            guard let (path, caption) = pair else { continue }
            let ext = (path as NSString).pathExtension.lowercased()
            if !ImageExtensions.supported.contains(ext) {
                throw fail("'\(path)': " + (ImageExtensions.knownUnsupported.contains(ext)
                    ? ImageExtensions.problem(unsupported: ext) : "not a .jpg, .jpeg or .png path"))
            }
            let imageURL = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
            entries.append(Entry(path: path, url: imageURL, caption: caption))
        }
        guard !entries.isEmpty else { throw SigLIPError(path: url.path, problem: "no samples") }
        self.url = url
        self.entries = entries
        self.maxImageBytes = maxImageBytes
    }

    public func sample(at index: Int) throws -> ImageTextSample {
        precondition(index >= 0 && index < entries.count, "sample index \(index) out of 0..<\(entries.count)")
        let entry = entries[index]
        let caption = entry.caption.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !caption.isEmpty else { throw SigLIPError(path: entry.path, problem: "empty caption", kind: .badSample) }
        let bytes: Data
        do { bytes = try RegularFile.contents(of: entry.url, limit: maxImageBytes) } catch let error as SigLIPError {
            throw SigLIPError(path: entry.path, problem: "cannot read image \(entry.url.path) (\(error.problem))", kind: .badSample)
        }
        return ImageTextSample(imageBytes: bytes, name: entry.path, caption: caption)
    }

    static func parseJSONLine(_ line: Substring, _ fail: (String) -> SigLIPError) throws -> (String, String)? {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(line.utf8)) } catch {
            throw fail("not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw fail("not a JSON object") }
        guard let path = dictionary["image"] as? String, !path.isEmpty else {
            throw fail("no \"image\" path string")
        }
        if let captions = dictionary["captions"] as? [String], dictionary["caption"] == nil {
            return (path, captions.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n"))
        }
        guard let caption = dictionary["caption"] as? String else { throw fail("no \"caption\" string (or \"captions\" list)") }
        return (path, caption)
    }

    static func parseTSVLine(_ line: Substring, isFirst: Bool, _ fail: (String) -> SigLIPError) throws -> (String, String)? {
        guard let tab = line.firstIndex(of: "\t") else { throw fail("no tab between image path and caption") }
        let path = String(line[..<tab]), caption = String(line[line.index(after: tab)...])
        if isFirst {
            let header = (path.lowercased(), caption.lowercased())
            if header == ("image", "caption") || header == ("filepath", "title") { return nil }
        }
        guard !path.isEmpty else { throw fail("empty image path") }
        return (path, caption)
    }
}
