import Foundation
import SigLIPBase
import SigLIPData

/// A few-shot benchmark folder: labelled images split into the pool the shots are drawn from
/// and the images the probe is tested on. Two layouts are read:
///
/// - `trainTest`: `ROOT/train/<class>/*` and `ROOT/test/<class>/*` with the same class folders.
///   Shots are drawn from train/ and every image of test/ is tested in every draw, as
///   big_vision's few-shot evaluator draws from a data set's train split and tests on its test
///   split.
/// - `classFolders`: `ROOT/<class>/*`, the zero-shot layout. Every draw shuffles each class's
///   images; the first max(shots) are the class's shot pool and the rest are tested, so a
///   class needs max(shots) + 1 images and each draw tests Σ (images of class − max(shots)).
///
/// `ROOT/train` or `ROOT/test` counts as a split only when it holds sub-folders and no image
/// of its own; a class folder that happens to be named "train" is a class.
public struct FewShotBenchmark: Sendable {
    public enum Layout: String, Codable, Sendable {
        case trainTest = "train/test"
        case classFolders = "class folders"
    }

    public static let trainFolder = "train"
    public static let testFolder = "test"

    public let root: URL
    public let layout: Layout
    /// The shot pool: train/ (`trainTest`) or every image (`classFolders`).
    public let pool: ClassificationDataset
    /// test/ (`trainTest` only).
    public let test: ClassificationDataset?

    public var classFolders: [String] { pool.classFolders }
    public var classCount: Int { pool.classFolders.count }

    /// Reads the folder tree. Throws a `SigLIPError` naming the folder when the layout is
    /// neither of the two, train/ and test/ hold different class folders, a class folder has
    /// no image, or there are fewer than two classes.
    public init(root: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SigLIPError(path: root.path, problem: "no such folder")
        }
        let train = root.appendingPathComponent(Self.trainFolder), test = root.appendingPathComponent(Self.testFolder)
        let expected = "expected ROOT/train/<class>/ and ROOT/test/<class>/ with the same class folders, or ROOT/<class>/ only"
        switch (Self.isSplitFolder(train), Self.isSplitFolder(test)) {
        case (true, true):
            let others = try Self.subfolders(of: root).filter { $0 != Self.trainFolder && $0 != Self.testFolder }
            guard others.isEmpty else {
                throw SigLIPError(path: root.path, problem: "unknown layout: it has train/ and test/ but also the folders "
                                  + others.prefix(3).joined(separator: ", ") + (others.count > 3 ? ", …" : "") + "; \(expected)")
            }
            let pool = try ClassificationDataset(root: train), held = try ClassificationDataset(root: test)
            guard pool.classFolders == held.classFolders else {
                let missing = pool.classFolders.filter { !held.classFolders.contains($0) }
                let extra = held.classFolders.filter { !pool.classFolders.contains($0) }
                let parts = (missing.isEmpty ? [] : ["no \(missing.prefix(3).joined(separator: ", "))"])
                    + (extra.isEmpty ? [] : ["extra \(extra.prefix(3).joined(separator: ", "))"])
                throw SigLIPError(path: test.path, problem: "unknown layout: its class folders differ from train/'s ("
                                  + parts.joined(separator: "; ") + "); \(expected)")
            }
            (layout, self.pool, self.test) = (.trainTest, pool, held)
        case (true, false), (false, true):
            let (present, absent) = Self.isSplitFolder(train) ? ("train", "test") : ("test", "train")
            throw SigLIPError(path: root.path, problem: "unknown layout: \(present)/ holds class folders but there is no \(absent)/ beside it; \(expected)")
        case (false, false):
            (layout, pool, self.test) = (.classFolders, try ClassificationDataset(root: root), nil)
        }
        self.root = root
        guard pool.classFolders.count >= 2 else {
            throw SigLIPError(path: root.path, problem: "has \(pool.classFolders.count) class folder; a few-shot probe needs at least 2 classes")
        }
    }

    /// Images per class needed in the shot pool for `maxShots` shots: max(shots), and in the
    /// class-folders layout one more to test.
    public func imagesNeeded(maxShots: Int) -> Int { layout == .classFolders ? maxShots + 1 : maxShots }

    /// The largest number of shots every class can give (0 when some class cannot give one).
    public func largestShots(poolCounts: [Int]) -> Int {
        max(0, (poolCounts.min() ?? 0) - (layout == .classFolders ? 1 : 0))
    }

    /// Images of each class in the shot pool (in class order), as found on disk.
    public var poolCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for example in pool.examples { counts[example.label] += 1 }
        return counts
    }

    /// Throws, naming the first class folder that is too small and `--shots`, unless every
    /// class has `imagesNeeded(maxShots:)` images among `poolCounts` (per class, in class order;
    /// `undecodable` per class says how many were dropped, for the message).
    public func requireImages(forShots shots: [Int], poolCounts: [Int], undecodable: [Int]? = nil) throws {
        guard let maxShots = shots.max() else { throw SigLIPError(path: "--shots", problem: "no shots values") }
        let needed = imagesNeeded(maxShots: maxShots)
        guard let c = poolCounts.firstIndex(where: { $0 < needed }) else { return }
        let folder = pool.root.appendingPathComponent(pool.classFolders[c]).path
        let have = "has \(poolCounts[c]) usable image\(poolCounts[c] == 1 ? "" : "s")"
            + (undecodable.map { $0[c] > 0 ? " (\($0[c]) could not be decoded)" : "" } ?? "")
        let why = layout == .classFolders ? "\(maxShots) to draw from and at least 1 to test" : "\(maxShots) to draw from"
        throw SigLIPError(path: folder, problem: "\(have), but --shots \(shots.map(String.init).joined(separator: ",")) needs "
                          + "\(needed) per class (\(why)); the most every class allows is \(largestShots(poolCounts: poolCounts))")
    }

    /// Every image to embed: the pool's, then test/'s; `isTest` marks test/'s.
    public var images: [(url: URL, label: Int, isTest: Bool)] {
        pool.examples.map { ($0.url, $0.label, false) } + (test?.examples.map { ($0.url, $0.label, true) } ?? [])
    }

    /// A folder whose visible entries include a folder and no image file.
    static func isSplitFolder(_ url: URL) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return false }
        let visible = entries.filter { !$0.hasPrefix(".") }
        let hasImage = visible.contains { ClassificationDataset.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
        return !hasImage && visible.contains { isFolder(url.appendingPathComponent($0)) }
    }

    static func subfolders(of url: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") && isFolder(url.appendingPathComponent($0)) }.sorted()
    }

    static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
