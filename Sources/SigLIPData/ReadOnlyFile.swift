import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SigLIPBase

/// A file opened once for positioned reads (`pread`), so several threads can read it at once.
final class ReadOnlyFile: @unchecked Sendable {
    let path: String
    let size: Int
    private let descriptor: Int32

    /// Opens a regular file (a FIFO or device is refused by type, see `RegularFile`).
    init(path: String) throws {
        (descriptor, size) = try RegularFile.open(path)
        self.path = path
    }

    deinit { close(descriptor) }

    /// Exactly `count` bytes at `offset`; throws if the file is shorter or the read fails.
    func read(offset: Int, count: Int) throws -> Data {
        var data = Data(count: count)
        var done = 0
        try data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SigLIPError(path: path, problem: "read of \(count) bytes at offset \(offset) failed (\(String(cString: strerror(errno))))")
                }
                if n == 0 {
                    throw SigLIPError(path: path, problem: "unexpected end of file reading \(count) bytes at offset \(offset)")
                }
                done += n
            }
        }
        return data
    }
}
