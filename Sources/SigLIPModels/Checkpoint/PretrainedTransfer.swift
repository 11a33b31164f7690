import SigLIPBase
import SigLIPCore

/// Starting a model from a pretrained one of another recursion configuration: the paper's
/// "no-regret" use of RINS (DESIGN.md §5.3). A baseline checkpoint (or one with fewer rounds
/// or no adapters) fits a RINS configuration of the same architecture: recursion reuses the
/// same blocks, so every weight of the new model exists in the old one except the per-round
/// adapters, which start at zero. At one round with zero adapters the new model computes
/// exactly what the loaded one does.
public enum PretrainedTransfer {
    /// What a transfer loaded and what it added.
    public struct Report: Sendable, CustomStringConvertible {
        /// Tensors copied from the pretrained model.
        public let loaded: Int
        /// Parameters of the new configuration the pretrained model lacks (zero-initialised
        /// adapters), by name.
        public let added: [String]
        /// The recursion of each tower before and after, e.g. "A B" → "A^r B (r = 2)".
        public let imageRecursion: (from: String, to: String)
        public let textRecursion: (from: String, to: String)

        public var description: String {
            var lines = ["loaded \(loaded) tensors from the pretrained model"]
            if added.isEmpty {
                lines.append("added nothing")
            } else {
                lines.append("added \(added.count) zero-initialised adapter tensor\(added.count == 1 ? "" : "s"): "
                             + added.prefix(4).joined(separator: ", ") + (added.count > 4 ? ", …" : ""))
            }
            for (tower, change) in [("image", imageRecursion), ("text", textRecursion)] where change.from != change.to {
                lines.append("\(tower) tower recursion: \(change.from) → \(change.to)")
            }
            return lines.joined(separator: "; ")
        }
    }

    /// Copies `source`'s weights into `target` (freshly built, its adapters at zero). The two
    /// configurations must agree on everything but the towers' recursion; every parameter of
    /// `target` must come from `source` with the same shape, except adapters; `source` must
    /// not hold weights `target` would drop (adapters of rounds it no longer has).
    /// - Parameter path: where `source` was read, for errors.
    public static func transfer(from source: SigLIPModel, into target: SigLIPModel, path: String) throws -> Report {
        var sameArchitecture = source.config
        sameArchitecture.imageTower.recursion = target.config.imageTower.recursion
        sameArchitecture.textTower.recursion = target.config.textTower.recursion
        guard sameArchitecture == target.config else {
            throw SigLIPError(path: path, problem: "its architecture differs from the one these options describe "
                              + "(\(differences(source.config, target.config))); only the recursion may change")
        }
        let sourceNames = Set(source.parameters.specs.map(\.name))
        let targetNames = Set(target.parameters.specs.map(\.name))
        if let dropped = sourceNames.subtracting(targetNames).sorted().first {
            throw SigLIPError(path: path, problem: "holds '\(dropped)', which the new configuration does not have "
                              + "(fewer rounds or no adapters would drop trained weights)")
        }
        var added: [String] = []
        var loaded = 0
        for spec in target.parameters.specs {
            guard let from = source.parameters.spec(named: spec.name) else {
                guard spec.role == .adapter else {
                    throw SigLIPError(path: path, problem: "lacks '\(spec.name)'")
                }
                (target.parameters.values.data + spec.offset).update(repeating: 0, count: spec.count)
                added.append(spec.name)
                continue
            }
            guard from.shape == spec.shape else {
                throw SigLIPError(path: path, problem: "'\(spec.name)' has shape \(from.shape), the new configuration needs \(spec.shape)")
            }
            (target.parameters.values.data + spec.offset).update(from: source.parameters.values.data + from.offset, count: spec.count)
            loaded += 1
        }
        func describe(_ r: RecursionConfig) -> String {
            r.isBaseline ? "A B" : "\(r.signature) (r = \(r.rounds)\(r.adapter == .none ? "" : ", \(r.adapter) adapters")"
                + (r.skipProbability > 0 ? ", p_s \(r.skipProbability)" : "") + ")"
        }
        return Report(loaded: loaded, added: added,
                      imageRecursion: (describe(source.config.imageTower.recursion), describe(target.config.imageTower.recursion)),
                      textRecursion: (describe(source.config.textTower.recursion), describe(target.config.textTower.recursion)))
    }

    /// The first few fields in which two configurations differ, for an error message.
    static func differences(_ a: SigLIPConfig, _ b: SigLIPConfig) -> String {
        var found: [String] = []
        let (i, j) = (a.imageTower, b.imageTower)
        if i.width != j.width { found.append("image width \(i.width) vs \(j.width)") }
        if i.depth != j.depth { found.append("image depth \(i.depth) vs \(j.depth)") }
        if i.heads != j.heads { found.append("image heads \(i.heads) vs \(j.heads)") }
        if i.mlpWidth != j.mlpWidth { found.append("image MLP width \(i.mlpWidth) vs \(j.mlpWidth)") }
        if i.imageSize != j.imageSize { found.append("image size \(i.imageSize) vs \(j.imageSize)") }
        if i.patchSize != j.patchSize { found.append("patch size \(i.patchSize) vs \(j.patchSize)") }
        let (t, u) = (a.textTower, b.textTower)
        if t.width != u.width { found.append("text width \(t.width) vs \(u.width)") }
        if t.depth != u.depth { found.append("text depth \(t.depth) vs \(u.depth)") }
        if t.vocabularySize != u.vocabularySize { found.append("vocabulary \(t.vocabularySize) vs \(u.vocabularySize)") }
        if t.length != u.length { found.append("text length \(t.length) vs \(u.length)") }
        if t.maskPadding != u.maskPadding { found.append("mask_padding \(t.maskPadding) vs \(u.maskPadding)") }
        return found.isEmpty ? "other settings" : found.prefix(3).joined(separator: ", ")
    }
}
