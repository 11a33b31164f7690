/// The named ViT sizes (DESIGN.md §4.11), in one place: width D, depth, MLP width and heads H.
public enum ViTVariant: String, CaseIterable, Codable, Sendable {
    case ti = "Ti", s = "S", m = "M", b = "B", l = "L", so400m = "So400m"

    public var width: Int { sizes.width }
    public var depth: Int { sizes.depth }
    public var mlpWidth: Int { sizes.mlp }
    public var heads: Int { sizes.heads }

    private var sizes: (width: Int, depth: Int, mlp: Int, heads: Int) {
        switch self {
        case .ti: return (192, 12, 768, 3)
        case .s: return (384, 12, 1536, 6)
        case .m: return (512, 12, 2048, 8)
        case .b: return (768, 12, 3072, 12)
        case .l: return (1024, 24, 4096, 16)
        case .so400m: return (1152, 27, 4304, 16)
        }
    }

    /// Parses "B/16" (variant and patch size) or "B" (patch size nil).
    public static func parse(_ name: String) throws -> (variant: ViTVariant, patchSize: Int?) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              let variant = allCases.first(where: { $0.rawValue.lowercased() == parts[0].lowercased() }) else {
            throw ConfigError("unknown model preset '\(name)': expected one of \(allCases.map(\.rawValue).joined(separator: ", ")), optionally with a patch size as in 'B/16'")
        }
        guard parts.count == 2 else { return (variant, nil) }
        guard let patch = Int(parts[1]), patch > 0 else { throw ConfigError("bad patch size in preset '\(name)'") }
        return (variant, patch)
    }
}

/// A configuration that cannot describe a model.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
