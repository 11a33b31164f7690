import Foundation
import SigLIPBase
import SigLIPData
import SigLIPImage

/// A benchmark folder in the ImageNet layout with the class names and templates it is scored
/// with. Without explicit files, `ROOT/classnames.txt` and `ROOT/templates.txt` are used when
/// present; otherwise the class text comes from the folder names and the templates are CLIP's
/// 80 ImageNet templates plus `{}` (`ImageNetPrompts.templates`).
public struct ZeroShotBenchmark: Sendable {
    public static let classNamesFile = "classnames.txt"
    public static let templatesFile = "templates.txt"
    public static let builtInTemplatesSource = "built-in CLIP ImageNet templates (80 + {})"

    public let dataset: ClassificationDataset
    public let templates: [String]
    /// The templates file, or `builtInTemplatesSource`.
    public let templatesSource: String
    /// The class names file, or nil when the folder names are the class text.
    public let classNamesSource: String?

    public init(root: URL, classNamesFile: URL? = nil, templatesFile: URL? = nil) throws {
        let fm = FileManager.default
        let names = classNamesFile ?? root.appendingPathComponent(Self.classNamesFile)
        let useNames = classNamesFile != nil || fm.fileExists(atPath: names.path)
        dataset = try ClassificationDataset(root: root, classNamesFile: useNames ? names : nil)
        classNamesSource = useNames ? names.path : nil
        let local = root.appendingPathComponent(Self.templatesFile)
        if let file = templatesFile ?? (fm.fileExists(atPath: local.path) ? local : nil) {
            templates = try PromptTemplates.read(from: file)
            templatesSource = file.path
        } else {
            templates = ImageNetPrompts.templates
            templatesSource = Self.builtInTemplatesSource
        }
        // A class name or template the classifier cannot use fails here, not after training.
        _ = try Prompts.classTexts(classNames: dataset.classNames, templates: templates)
    }

    /// Decodes images in order until one succeeds; throws when none does, naming the folder and
    /// the first image's problem. A run that evaluates periodically checks this before its first
    /// step, so an unusable benchmark is found in seconds, not after an hour of training.
    public func requireReadableImage() throws {
        var first: Error?
        for example in dataset.examples {
            do {
                _ = try ImageDecoder.decode(contentsOf: example.url)
                return
            } catch {
                first = first ?? error
            }
        }
        throw SigLIPError(path: dataset.root.path, problem: "no image of the benchmark can be decoded"
                          + (first.map { " (first: \($0))" } ?? ""))
    }

    public var task: ZeroShotTask { ZeroShotTask(dataset: dataset, templates: templates) }
}
