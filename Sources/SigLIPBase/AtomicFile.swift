import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing a file so that readers see the old file or the whole new one, never a part: write a
/// temporary file beside it, flush it to disk, rename it over the target, flush the folder.
///
/// A failure throws `SigLIPError` naming `url`, of kind `.unwritable`.
public enum AtomicFile {
    /// Writes `data` to `url`, atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try $0.write(contentsOf: data) }
    }

    /// Writes the file `url` through `body`, atomically.
    public static func write(to url: URL, _ body: (FileHandle) throws -> Void) throws {
        let fail = { (problem: String) in SigLIPError(path: url.path, problem: problem, kind: .unwritable) }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw fail("cannot create the temporary file \(temporary.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try body(handle)
            try handle.synchronize()
            guard rename(temporary.path, url.path) == 0 else {
                throw fail("cannot rename \(temporary.path) over the target (\(String(cString: strerror(errno))))")
            }
            sync(url.deletingLastPathComponent())
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error as? SigLIPError ?? fail("cannot write the file (\(error.localizedDescription))")
        }
    }

    /// Flushes a file or a folder (a folder: its entries, so a completed rename survives a
    /// crash). Best effort.
    public static func sync(_ url: URL) {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = close(descriptor)
    }
}
