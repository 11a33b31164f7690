import Foundation
import SigLIPBase

/// Image classification data in the ImageNet folder layout: `root/<class_folder>/*.{jpg,jpeg,png}`.
///
/// Classes are the sub-folders in sorted (byte-wise) order. The class text comes from a
/// `classnames.txt` (one line per class folder, in that order) when given, else from the folder
/// names with '_' as spaces.
public struct ClassificationDataset: Sendable {
    public struct Example: Sendable, Equatable {
        public let url: URL
        public let label: Int
    }

    public let root: URL
    /// Class folder names, sorted.
    public let classFolders: [String]
    /// The text of each class, in the order of `classFolders`.
    public let classNames: [String]
    /// Every image, sorted by class then file name.
    public let examples: [Example]

    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Reads the folder tree. Throws when the root is missing, has no class folders, a class
    /// folder has no image, or `classNamesFile` does not have one non-empty line per folder.
    public init(root: URL, classNamesFile: URL? = nil) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SigLIPError(path: root.path, problem: "no such folder")
        }
        let entries = try fm.contentsOfDirectory(atPath: root.path)
        let folders = entries.filter { name in
            var dir: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &dir) && dir.boolValue
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !folders.isEmpty else { throw SigLIPError(path: root.path, problem: "no class folders (expected ROOT/<class>/*.jpg|png)") }
        var examples: [Example] = []
        for (label, folder) in folders.enumerated() {
            let dir = root.appendingPathComponent(folder)
            let files = try fm.contentsOfDirectory(atPath: dir.path)
                .filter { !$0.hasPrefix(".") && Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            guard !files.isEmpty else { throw SigLIPError(path: dir.path, problem: "class folder has no .jpg, .jpeg or .png image") }
            examples += files.map { Example(url: dir.appendingPathComponent($0), label: label) }
        }
        if let classNamesFile {
            let text = try RegularFile.text(of: classNamesFile, limit: RegularFile.Limit.json, what: "the class names file")
            var lines = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            while lines.last == "" { lines.removeLast() }
            guard lines.count == folders.count else {
                throw SigLIPError(path: classNamesFile.path, problem: "has \(lines.count) class names but \(root.path) has \(folders.count) class folders")
            }
            if let empty = lines.firstIndex(of: "") {
                throw SigLIPError(path: classNamesFile.path, problem: "line \(empty + 1) is empty")
            }
            classNames = lines
        } else {
            classNames = folders.map { $0.replacingOccurrences(of: "_", with: " ") }
        }
        self.root = root
        classFolders = folders
        self.examples = examples
    }
}

/// Prompt templates, one per line, `{}` marking the class (e.g. "a photo of a {}.").
public enum PromptTemplates {
    /// Reads a `templates.txt`; every non-empty line must contain `{}`.
    public static func read(from url: URL) throws -> [String] {
        let text = try RegularFile.text(of: url, limit: RegularFile.Limit.json, what: "the templates file")
        let lines = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw SigLIPError(path: url.path, problem: "no templates") }
        if let bad = lines.firstIndex(where: { !$0.contains("{}") }) {
            throw SigLIPError(path: url.path, problem: "template \(bad + 1) '\(lines[bad])' has no {} for the class")
        }
        return lines
    }
}
