/// Text canonicalisation used before tokenising class names and prompts, reproducing
/// the Python references code point by code point (Python's `string.punctuation`,
/// `str.lower()`, `re.sub(r"\s+", " ", …)` and `str.strip()`).
public enum TextCanonicalization: String, Sendable, CaseIterable {
    /// Text is tokenised as given.
    case none
    /// big_vision `prompt_engineering._canonicalize`: '_' → space, ASCII punctuation
    /// removed, lowercased, whitespace runs collapsed to one space, ends trimmed.
    case bigVision
    /// Hugging Face `SiglipTokenizer.canonicalize_text`: ASCII punctuation removed
    /// (including '_'), whitespace runs collapsed, ends trimmed; no lowercasing.
    case huggingFace

    /// Applies this canonicalisation; `keeping` is an exact string whose occurrences
    /// survive punctuation removal (e.g. "{}" for templates, "," for class names).
    public func apply(_ text: String, keeping: String? = nil) -> String {
        switch self {
        case .none: return text
        case .bigVision: return Canonicalize.bigVision(text, keeping: keeping)
        case .huggingFace: return Canonicalize.huggingFace(text, keeping: keeping)
        }
    }
}

/// The canonicalisation functions and their Python-compatible building blocks.
public enum Canonicalize {
    /// Python's `string.punctuation`: the 32 ASCII punctuation characters.
    public static let asciiPunctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)

    /// big_vision `_canonicalize(text, keep_punctuation_exact_string=keeping)`:
    /// `"Great_White Shark!"` → `"great white shark"`.
    public static func bigVision(_ text: String, keeping: String? = nil) -> String {
        let underscoresAsSpaces = String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "_" ? " " : $0 }))
        let stripped = removingPunctuation(underscoresAsSpaces, keeping: keeping)
        return collapsingWhitespace(pythonLowercased(stripped))
    }

    /// Hugging Face `SiglipTokenizer.canonicalize_text(text, keep_punctuation_exact_string=keeping)`:
    /// `"Great_White Shark!"` → `"GreatWhite Shark"`.
    public static func huggingFace(_ text: String, keeping: String? = nil) -> String {
        collapsingWhitespace(removingPunctuation(text, keeping: keeping))
    }

    /// Removes `asciiPunctuation`, except inside occurrences of `keeping`
    /// (Python: `keeping.join(part.translate(...) for part in text.split(keeping))`).
    public static func removingPunctuation(_ text: String, keeping: String? = nil) -> String {
        let scalars = Array(text.unicodeScalars)
        let keep = Array((keeping ?? "").unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if !keep.isEmpty, i + keep.count <= scalars.count, Array(scalars[i..<(i + keep.count)]) == keep {
                out.append(contentsOf: keep)
                i += keep.count
                continue
            }
            if !asciiPunctuation.contains(scalars[i]) { out.append(scalars[i]) }
            i += 1
        }
        return String(out)
    }

    /// Python `str.isspace()` for one code point (also what `\s` and `strip()` use).
    public static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `re.sub(r"\s+", " ", text).strip()`.
    public static func collapsingWhitespace(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if isPythonWhitespace(scalar) {
                pendingSpace = true
            } else {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Python `str.lower()`: full Unicode lowercase mappings, with Greek capital sigma
    /// becoming final 'ς' at the end of a word (the Final_Sigma rule).
    public static func pythonLowercased(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, scalar) in scalars.enumerated() {
            if scalar == "\u{03A3}" {
                out.append(isFinalSigma(scalars, at: i) ? "\u{03C2}" : "\u{03C3}")
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// Final_Sigma: a cased letter before (skipping case-ignorables) and none after.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var j = index - 1
        while j >= 0, scalars[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0, scalars[j].properties.isCased else { return false }
        var k = index + 1
        while k < scalars.count, scalars[k].properties.isCaseIgnorable { k += 1 }
        return !(k < scalars.count && scalars[k].properties.isCased)
    }
}
