import Foundation
import SigLIPData

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
    }

    public var task: ZeroShotTask { ZeroShotTask(dataset: dataset, templates: templates) }
}
