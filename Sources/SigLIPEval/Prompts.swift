import SigLIPBase
import SigLIPText

/// Class names and prompt templates as the zero-shot protocol uses them (DESIGN.md §4.9;
/// big_vision `prompt_engineering`): both are canonicalised ('_' → space,
/// ASCII punctuation removed except the `{}` slot, lowercased, whitespace collapsed), and only
/// the first of a comma-separated list of synonyms names a class.
public enum Prompts {
    /// The slot a template fills with the class name.
    public static let slot = "{}"

    /// "Great_White_Shark, white shark" → "great white shark".
    public static func canonicalClassName(_ name: String) -> String {
        let first = name.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? name
        return Canonicalize.bigVision(first)
    }

    /// "A photo of a {}." → "a photo of a {}".
    public static func canonicalTemplate(_ template: String) -> String {
        Canonicalize.bigVision(template, keeping: slot)
    }

    /// The K × T texts of the classifier, class-major: `texts[k * T + t]` is template t filled
    /// with class k. Throws when a class name canonicalises to nothing or a template has no slot.
    public static func classTexts(classNames: [String], templates: [String]) throws -> [String] {
        guard !templates.isEmpty else { throw SigLIPError(path: "templates", problem: "no prompt templates") }
        let canonicalTemplates = try templates.map { template -> String in
            let canonical = canonicalTemplate(template)
            guard canonical.contains(slot) else {
                throw SigLIPError(path: "templates", problem: "template '\(template)' has no \(slot) for the class name")
            }
            return canonical
        }
        var texts: [String] = []
        texts.reserveCapacity(classNames.count * templates.count)
        for (k, name) in classNames.enumerated() {
            let canonical = canonicalClassName(name)
            guard !canonical.isEmpty else {
                throw SigLIPError(path: "class names", problem: "class \(k) '\(name)' is empty after canonicalisation")
            }
            texts += canonicalTemplates.map { $0.replacingOccurrences(of: slot, with: canonical) }
        }
        return texts
    }
}
