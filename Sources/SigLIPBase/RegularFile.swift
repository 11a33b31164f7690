import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening a file the user named, safely: only a regular file (a FIFO, a device, a socket or a
/// folder — also behind a symlink — is refused by type, so that opening it can never block),
/// and never more bytes than a stated limit (checked on the size before anything is read).
/// Every input file of the tools is opened through here (DESIGN.md §7).
public enum RegularFile {
    /// Input size limits, in bytes. Each names what it bounds; the README lists them.
    public enum Limit {
        /// config.json, train_config.json, trainer_state.json, a study plan, an options file.
        public static let json = 64 << 20
        /// A SentencePiece model (released ones are under 1 MB).
        public static let tokenizer = 256 << 20
        /// A caption manifest (.jsonl / .tsv): about 10 million lines of typical length.
        public static let manifest = 2 << 30
        /// A metrics.jsonl being resumed or charted.
        public static let metrics = 1 << 30
    }

    /// An open descriptor of a regular file and its size; the caller closes it.
    public static func open(_ path: String) throws -> (descriptor: Int32, size: Int) {
        // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
        let fd = openReadOnly(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw SigLIPError(path: path, problem: "cannot open (\(String(cString: strerror(errno))))", kind: .unreadable)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SigLIPError(path: path, problem: "cannot stat (\(reason))", kind: .unreadable)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw SigLIPError(path: path, problem: "not a regular file (\(typeName(info.st_mode)))", kind: .unreadable)
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return (fd, Int(info.st_size))
    }

    /// The whole file, when it is a regular file of at most `limit` bytes.
    public static func contents(of path: String, limit: Int) throws -> Data {
        let (fd, size) = try open(path)
        defer { close(fd) }
        guard size <= limit else {
            throw SigLIPError(path: path, problem: "file is \(size) bytes, over the limit of \(limit) bytes", kind: .tooLarge)
        }
        var data = Data(count: size)
        var done = 0
        try data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SigLIPError(path: path, problem: "read failed (\(String(cString: strerror(errno))))", kind: .unreadable)
                }
                if n == 0 { break }   // the file shrank while being read
                done += n
            }
        }
        guard done == size else {
            throw SigLIPError(path: path, problem: "file changed size while being read (\(done) of \(size) bytes)", kind: .unreadable)
        }
        return data
    }

    /// `contents(of:limit:)` for a URL.
    public static func contents(of url: URL, limit: Int) throws -> Data {
        try contents(of: url.path, limit: limit)
    }

    /// The whole file as UTF-8 text (`what` names it in the error when it is not UTF-8).
    public static func text(of url: URL, limit: Int, what: String) throws -> String {
        guard let text = String(data: try contents(of: url, limit: limit), encoding: .utf8) else {
            throw SigLIPError(path: url.path, problem: "\(what) is not valid UTF-8", kind: .corrupt)
        }
        return text
    }

    /// Refuses what is not a regular file, without reading it (for files then memory-mapped).
    public static func requireRegular(_ path: String) throws -> Int {
        let (fd, size) = try open(path)
        close(fd)
        return size
    }

    static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }
}

#if canImport(Glibc)
private func openReadOnly(_ path: String, _ flags: Int32) -> Int32 { Glibc.open(path, flags) }
#elseif canImport(Darwin)
private func openReadOnly(_ path: String, _ flags: Int32) -> Int32 { Darwin.open(path, flags) }
#endif
