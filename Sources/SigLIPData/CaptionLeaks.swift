/// Held-out class names that occur in training captions, compared word by word: a benchmark
/// of classes "never trained on" is only clean if no training caption names one of them.
///
/// Text is lowercased and split into words at every character that is not a letter or a digit;
/// a class name leaks into a caption when its words occur there consecutively, the last one
/// also in a simple plural form (+s, +es). So "fox" is found in "two foxes." and "a fox, face",
/// but "apple" is not found in "pineapple", nor "red apple" in "red, green apple".
public enum CaptionLeaks {
    public struct Leak: Equatable, Sendable, CustomStringConvertible {
        public let className: String
        public let caption: String
        public init(className: String, caption: String) {
            self.className = className
            self.caption = caption
        }

        public var description: String { "'\(className)' in \"\(caption)\"" }
    }

    /// Lowercased words: maximal runs of letters and digits.
    public static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The leaks of `classNames` into `captions`, at most `limit` of them, in caption order.
    public static func find<Captions: Sequence<String>>(classNames: [String], captions: Captions, limit: Int = 20) -> [Leak] {
        // Class phrases by their first word.
        var phrases: [String: [(name: String, words: [String])]] = [:]
        for name in classNames {
            let w = words(name)
            if let first = w.first { phrases[first, default: []].append((name, w)) }
        }
        var leaks: [Leak] = []
        for caption in captions {
            let w = words(caption)
            for start in w.indices {
                // A one-word name may stand there in the plural: look it up singular too.
                let word = w[start]
                let keys = [word] + (word.hasSuffix("s") ? [String(word.dropLast())] : [])
                    + (word.hasSuffix("es") ? [String(word.dropLast(2))] : [])
                for phrase in keys.flatMap({ phrases[$0] ?? [] }) where matches(phrase.words, w, at: start) {
                    leaks.append(Leak(className: phrase.name, caption: caption))
                    if leaks.count >= limit { return leaks }
                }
            }
        }
        return leaks
    }

    /// Whether `phrase` occurs in `words` at `start`, its last word possibly plural.
    static func matches(_ phrase: [String], _ words: [String], at start: Int) -> Bool {
        guard start + phrase.count <= words.count else { return false }
        for (offset, word) in phrase.enumerated() {
            let found = words[start + offset]
            if offset < phrase.count - 1 {
                guard found == word else { return false }
            } else {
                guard found == word || found == word + "s" || found == word + "es" else { return false }
            }
        }
        return true
    }
}
