import Foundation

/// A path that cannot be used as given — an image, a data set, a checkpoint, a safetensors file,
/// a benchmark folder, an option, a file to write — with the problem, so that every module
/// reports it the same way: "<path>: <problem>".
///
/// `kind` says what went wrong broadly, where a caller must tell cases apart: the input
/// pipeline skips a `.badSample` or a `.corrupt` image but stops on `.outOfMemory` or on a
/// data set it cannot read.
public struct SigLIPError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Could not be read at all (missing, no permission, an I/O error).
        case unreadable
        /// Not in any format we read (e.g. neither PNG nor JPEG).
        case unknownFormat
        /// In a known format, but damaged or malformed.
        case corrupt
        /// Over a size limit checked before anything large is allocated.
        case tooLarge
        /// Well-formed, but uses a feature we do not implement.
        case unsupported
        /// Memory ran out while reading it.
        case outOfMemory
        /// Readable and well-formed, but not what is asked for (a mismatched configuration, a
        /// bad option value, an empty folder, a caption-less sample).
        case invalid
        /// An output file that could not be written or moved into place.
        case unwritable
        /// One sample of a data set is unusable (an empty caption, a missing image file) while
        /// the rest may be fine: the input pipeline skips it and counts it.
        case badSample
    }

    /// The file, folder, sample name or option concerned ("" when there is none).
    public let path: String
    /// A human-readable explanation, e.g. "PNG: IHDR: CRC error".
    public let problem: String
    public let kind: Kind

    public init(path: String, problem: String, kind: Kind = .invalid) {
        self.path = path
        self.problem = problem
        self.kind = kind
    }

    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}

/// Whole seconds of a measured or estimated duration, for display: NaN and negative values
/// give 0, and anything over 10⁹ s (32 years; an ETA from a near-zero rate) is held there, so
/// no duration a clock or a division yields can trap the conversion to Int.
public func displaySeconds(_ seconds: Double) -> Int {
    guard seconds.isFinite else { return seconds == .infinity ? 1_000_000_000 : 0 }
    return Int(min(max(seconds.rounded(), 0), 1e9))
}

/// Writes `text` to standard error. Foundation's `FileHandle.write(_:)` traps when the write
/// fails (a closed descriptor); a message that cannot be shown is dropped instead.
public func writeStandardError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
}
