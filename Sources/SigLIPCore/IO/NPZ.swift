// Reading NumPy's .npz format (`np.savez`, `np.savez_compressed`): a zip archive holding one
// .npy member per array, member "NAME.npy" for array NAME.
//
// The zip container is read by ZIPFoundation: its directory (names, types, CRC-32s), stored
// members, and deflated members through its inflater. Before ZIPFoundation reads anything,
// `ZipLayout` walks the records it will read and bounds every offset and size by the file:
// ZIPFoundation 0.9.20 converts ZIP64 values to signed integers unchecked (a trap for values of
// 2^63 or more), and on Linux its inflater asks for input until the deflate stream ends — past
// the member's end and, at the end of the file, forever. So deflated members are inflated from
// a source that ends with the member.
//
// Every member's .npy header is read and checked against the member's size when the file is
// opened; an array's data is read, size- and CRC-checked and converted to Float when asked for.

import Foundation
import SigLIPBase
import ZIPFoundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A NumPy .npz file whose members are all arrays `NPYHeader` accepts.
///
/// Errors are `SigLIPError`s naming the file (`path`) and, where one is at fault, the member
/// (`problem` starts "member 'NAME.npy': ").
public final class NPZFile {
    /// The file this was read from.
    public let url: URL
    /// The header of every array, by array name (the member name without ".npy").
    public private(set) var headers: [String: NPYHeader] = [:]

    /// Bytes per read when an array's data is read (tests make it tiny, so that elements and
    /// the header straddle reads).
    var chunkSize = 1 << 20

    private let archive: Archive
    private let members: [String: Member]

    /// A member as ZIPFoundation lists it and as `ZipLayout` bounded it.
    private struct Member {
        let entry: Entry
        let layout: ZipLayout.Member
    }

    /// Opens `url` and reads every member's header. Throws `SigLIPError` for a file that is not
    /// a zip archive, a member that is not a .npy array we read, or a header whose shape
    /// disagrees with the member's size; never traps on hostile input.
    public init(contentsOf url: URL) throws {
        self.url = url
        let layout = try ZipLayout(path: url.path, size: RegularFile.requireRegular(url.path))
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw SigLIPError(path: url.path, problem: "not a readable zip archive (\(error))", kind: .unknownFormat)
        }
        var members: [String: Member] = [:]
        var index = 0
        for entry in archive {
            guard index < layout.members.count, entry.path == layout.members[index].name else {
                throw SigLIPError(path: url.path, problem: "zip directory entry \(index) reads differently from its record", kind: .corrupt)
            }
            let member = layout.members[index]
            index += 1
            guard entry.type == .file else {
                throw SigLIPError(path: url.path, problem: "member '\(member.name)' is a \(entry.type == .directory ? "directory" : "symbolic link"), not an array", kind: .corrupt)
            }
            guard member.name.hasSuffix(".npy") else {
                throw SigLIPError(path: url.path, problem: "member '\(member.name)' is not a .npy array", kind: .corrupt)
            }
            let name = String(member.name.dropLast(4))
            guard members[name] == nil else {
                throw SigLIPError(path: url.path, problem: "member '\(member.name)' appears twice", kind: .corrupt)
            }
            members[name] = Member(entry: entry, layout: member)
        }
        guard index == layout.members.count else {
            throw SigLIPError(path: url.path, problem: "only \(index) of the zip directory's \(layout.members.count) entries could be read", kind: .corrupt)
        }
        self.members = members
        for (name, member) in members { headers[name] = try readHeader(member) }
    }

    /// All array names, sorted by their UTF-8 bytes.
    public var names: [String] { headers.keys.sorted(by: utf8Precedes) }

    /// The header of array `name`.
    public func header(_ name: String) throws -> NPYHeader {
        guard let header = headers[name] else { throw SigLIPError(path: url.path, problem: "no member '\(name).npy'", kind: .invalid) }
        return header
    }

    /// The elements of array `name` converted to Float (exactly, except `f64`, which rounds to
    /// nearest). Allocates `header(name).elementCount` floats: callers that must bound memory
    /// check the header first.
    public func floats(_ name: String) throws -> [Float] {
        let count = try header(name).elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try copyFloats(name, into: buffer.baseAddress!, count: count)
            initialized = count
        }
    }

    /// Reads array `name`, converted to Float, into `destination[0..<count]`; `count` must equal
    /// its element count. The member's bytes are checked against its size and CRC-32.
    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let header = try header(name)
        let member = members[name]!
        guard count == header.elementCount else {
            throw SigLIPError(path: url.path, problem: "member '\(member.layout.name)' has \(header.elementCount) elements (shape \(header.shape)) but \(count) were requested")
        }
        let expected = header.dataOffset + header.dataByteCount
        var received = 0
        var decoder = NPYElementDecoder(dtype: header.dtype, destination: destination, count: count)
        let checksum = try read(member, bufferSize: chunkSize, checkCRC: true) { chunk in
            let skip = min(chunk.count, max(0, header.dataOffset - received))
            received += chunk.count
            guard received <= expected else { throw self.fail(member, "holds more than the \(expected) bytes its header and zip entry declare") }
            let fits = chunk.withUnsafeBytes { raw in decoder.consume(UnsafeRawBufferPointer(rebasing: raw[skip...])) }
            guard fits else { throw self.fail(member, "holds more data than its shape \(header.shape) calls for") }
            return true
        }
        guard received == expected, decoder.isComplete else { throw fail(member, "data ends after \(received) of \(expected) bytes") }
        guard checksum == member.entry.checksum else {
            throw fail(member, "CRC-32 \(String(checksum, radix: 16)) differs from the recorded \(String(member.entry.checksum, radix: 16)) (the data is damaged)")
        }
    }

    private func fail(_ member: Member, _ problem: String) -> SigLIPError {
        SigLIPError(path: url.path, problem: "member '\(member.layout.name)': \(problem)", kind: .corrupt)
    }

    /// Reads just enough of `member` to parse its .npy header, and checks the header's data
    /// size against the member's size.
    private func readHeader(_ member: Member) throws -> NPYHeader {
        var prefix: [UInt8] = []
        var end: Int?
        _ = try read(member, bufferSize: 4_096, checkCRC: false) { chunk in
            prefix.append(contentsOf: chunk)
            do throws(NPYProblem) {
                end = try NPYHeader.headerEnd(prefix)
            } catch {
                throw self.fail(member, error.text)
            }
            return end.map { prefix.count < $0 } ?? true
        }
        guard let end, prefix.count >= end else { throw fail(member, "is \(prefix.count) bytes, too short for its .npy header") }
        let header: NPYHeader
        do throws(NPYProblem) {
            header = try NPYHeader(parsing: prefix)
        } catch {
            throw fail(member, error.text)
        }
        let (total, overflow) = header.dataOffset.addingReportingOverflow(header.dataByteCount)
        guard !overflow, total == member.layout.uncompressedSize else {
            throw fail(member, "shape \(header.shape) of \(header.dtype) needs \(header.dataByteCount) data bytes after a \(header.dataOffset)-byte header, "
                       + "but the member holds \(member.layout.uncompressedSize) bytes")
        }
        return header
    }

    /// Passes `member`'s uncompressed bytes to `consume` in chunks of at most `bufferSize`
    /// until it returns false or the member ends; returns the CRC-32 of what was read (0
    /// unless `checkCRC`). A stored member is read by ZIPFoundation's `extract`; a deflated
    /// one by ZIPFoundation's inflater from the member's bytes alone (see the file comment).
    private func read(_ member: Member, bufferSize: Int, checkCRC: Bool, _ consume: (Data) throws -> Bool) throws -> CRC32 {
        let layout = member.layout
        do {
            return try withoutActuallyEscaping(consume) { consume in
                var received = 0
                let consumer: Consumer = { chunk in
                    guard !chunk.isEmpty || layout.isDeflated || received == layout.uncompressedSize else {
                        throw self.fail(member, "data ends after \(received) of \(layout.uncompressedSize) bytes (the file is truncated)")
                    }
                    received += chunk.count
                    guard try consume(chunk) else { throw EnoughRead() }
                }
                if !layout.isDeflated {
                    return try archive.extract(member.entry, bufferSize: bufferSize, skipCRC32: !checkCRC, consumer: consumer)
                }
                let source = try ZipMemberSource(path: url.path, member: layout)
                return try Data.decompress(size: Int64(layout.compressedSize), bufferSize: bufferSize, skipCRC32: !checkCRC,
                                           provider: { position, size in try source.chunk(at: position, size: size, bufferSize: bufferSize) },
                                           consumer: consumer)
            }
        } catch is EnoughRead {
            return 0
        } catch let error as SigLIPError {
            throw error
        } catch let error as ZipMemberSource.Overrun {
            throw fail(member, "its deflate stream does not end within its \(error.compressedSize) compressed bytes")
        } catch {
            throw fail(member, layout.isDeflated ? "its deflate stream is damaged (\(error))" : "cannot be read (\(error))")
        }
    }
}

/// Thrown by a consumer to stop reading a member early (once its header is in).
private struct EnoughRead: Error {}

/// The compressed bytes of one deflated member, served to ZIPFoundation's inflater: reads past
/// the member's end throw `Overrun` instead of reaching into the next record. On Linux the
/// inflater declares `bufferSize` input bytes whatever chunk it is handed, so each chunk is
/// padded with zeros to that size (zeros past a stream's end are never read; a stream that has
/// not ended reads them as an invalid block or as output past the member's size).
private final class ZipMemberSource {
    struct Overrun: Error { let compressedSize: Int }

    #if canImport(Compression)
    static let padsChunks = false   // Apple's decoder takes each chunk's own length
    #else
    static let padsChunks = true
    #endif

    let path: String
    let descriptor: Int32
    let member: ZipLayout.Member

    init(path: String, member: ZipLayout.Member) throws {
        self.path = path
        descriptor = try RegularFile.open(path).descriptor
        self.member = member
    }

    deinit { close(descriptor) }

    func chunk(at position: Int64, size: Int, bufferSize: Int) throws -> Data {
        let start = Int(position)
        guard start < member.compressedSize else { throw Overrun(compressedSize: member.compressedSize) }
        let count = min(size, member.compressedSize - start)
        var data = Data(count: Self.padsChunks ? max(count, bufferSize) : count)
        try data.withUnsafeMutableBytes { buffer in
            try ZipLayout.read(descriptor, path: path, into: buffer.baseAddress!, count: count, at: member.dataStart + start)
        }
        return data
    }
}

/// The zip records ZIPFoundation acts on, read the way it reads them and bounded by the file
/// before it does: the last end-of-central-directory record in the file's last 64 KiB, the
/// ZIP64 locator and record just before it when both are there, then the central directory's
/// entries in order, each with its ZIP64 extra field and its local header.
struct ZipLayout {
    /// Archives with more members are refused (a SigLIP So400m checkpoint has about 900).
    static let maxMembers = 65_536
    /// Central directories larger than this are refused (65,536 members with long names fit).
    static let maxDirectoryBytes = 256 << 20
    /// The largest compression ratio deflate reaches (about 1032:1), with slack for tiny members.
    static let maxDeflateRatio = 1_040
    /// ZIP64 values are refused from this up (256 TiB): every sum of a few of them stays far
    /// from overflowing, in ZIPFoundation's arithmetic and in ours.
    static let maxZIP64Value: UInt64 = 1 << 48

    /// One member's name and where its data lies.
    struct Member {
        let name: String
        /// The compression method of the local header (the one ZIPFoundation acts on).
        let isDeflated: Bool
        /// The file offset of the data, and its stored and uncompressed sizes.
        let dataStart: Int
        let compressedSize: Int
        let uncompressedSize: Int
    }

    let members: [Member]

    init(path: String, size: Int) throws {
        func refuse(_ problem: String, _ kind: SigLIPError.Kind = .corrupt) -> SigLIPError {
            SigLIPError(path: path, problem: problem, kind: kind)
        }
        guard size >= 22 else { throw refuse("file is \(size) bytes, too short for a zip archive", .unknownFormat) }
        let descriptor = try RegularFile.open(path).descriptor
        defer { close(descriptor) }
        /// `count` bytes at `offset`, which must lie inside the file.
        func bytes(_ offset: Int, _ count: Int, _ what: String) throws -> ZipBytes {
            guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
                throw refuse("\(what) (\(count) bytes at \(offset)) extends past the end of the \(size)-byte file")
            }
            var buffer = [UInt8](repeating: 0, count: count)
            try buffer.withUnsafeMutableBytes { try Self.read(descriptor, path: path, into: $0.baseAddress!, count: count, at: offset) }
            return ZipBytes(buffer)
        }

        // The end-of-central-directory record, and the ZIP64 one when both of its parts are there.
        let tailLength = min(size, 22 + 65_535)
        let tail = try bytes(size - tailLength, tailLength, "the end of the file")
        guard let at = stride(from: tailLength - 22, through: 0, by: -1).first(where: { tail.u32($0) == 0x0605_4B50 }) else {
            throw refuse("not a zip archive, or a truncated one (no end-of-central-directory record at its end)", .unknownFormat)
        }
        let end = size - tailLength + at
        guard tail.u16(at + 4) == 0, tail.u16(at + 6) == 0 else { throw refuse("a zip archive split over several disks is not read", .unsupported) }
        var count = UInt64(tail.u16(at + 10)), directorySize = UInt64(tail.u32(at + 12)), directoryOffset = UInt64(tail.u32(at + 16))
        if end > 20 + 56 {
            let locator = try bytes(end - 20, 20, "the ZIP64 locator"), record = try bytes(end - 76, 56, "the ZIP64 record")
            if locator.u32(0) == 0x0706_4B50, record.u32(0) == 0x0606_4B50, record.u16(14) >= 45 {
                (count, directorySize, directoryOffset) = (record.u64(32), record.u64(40), record.u64(48))
            }
        }
        guard count <= UInt64(Self.maxMembers) else { throw refuse("declares \(count) members, over the limit of \(Self.maxMembers)", .tooLarge) }
        guard directorySize <= UInt64(Self.maxDirectoryBytes) else {
            throw refuse("central directory of \(directorySize) bytes is over the limit of \(Self.maxDirectoryBytes)", .tooLarge)
        }
        guard directoryOffset <= UInt64(size) else { throw refuse("central directory offset \(directoryOffset) is past the end of the \(size)-byte file") }
        let directory = try bytes(Int(directoryOffset), Int(directorySize), "the central directory")

        var members: [Member] = []
        var position = 0
        for index in 0..<Int(count) {
            let what = "zip directory entry \(index)"
            guard position + 46 <= directory.count, directory.u32(position) == 0x0201_4B50 else {
                throw refuse("\(what) is missing or damaged (the central directory is shorter than its \(count) entries)")
            }
            let (nameLength, extraLength, commentLength) = (directory.u16(position + 28), directory.u16(position + 30), directory.u16(position + 32))
            let next = position + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else { throw refuse("\(what) extends past the central directory") }
            let name = String(decoding: directory.slice(position + 46, nameLength), as: UTF8.self)
            let flags = directory.u16(position + 8)
            guard flags & 0x1 == 0 else { throw refuse("member '\(name)' is encrypted", .unsupported) }
            guard flags & 0x8 == 0 else { throw refuse("member '\(name)' has a data descriptor (a streamed zip), which is not read", .unsupported) }
            // ZIP64 values replace the 32-bit fields that hold their maximum (ZIPFoundation's reading).
            let extra = directory.slice(position + 46 + nameLength, extraLength)
            var (compressed, uncompressed, offset) = (UInt64(directory.u32(position + 20)), UInt64(directory.u32(position + 24)),
                                                      UInt64(directory.u32(position + 42)))
            let present = [uncompressed == 0xFFFF_FFFF, compressed == 0xFFFF_FFFF, offset == 0xFFFF_FFFF]
            if let zip64 = try Self.zip64Values(extra, present: present, diskField: directory.u16(position + 34) == 0xFFFF, name: name, path: path) {
                if zip64[0] > 0 { uncompressed = zip64[0] }
                if zip64[1] > 0 { compressed = zip64[1] }
                if zip64[2] > 0 { offset = zip64[2] }
            }
            guard offset <= UInt64(size), compressed <= UInt64(size) else {
                throw refuse("member '\(name)' lies past the end of the \(size)-byte file")
            }
            let local = try bytes(Int(offset), 30, "the local header of member '\(name)'")
            guard local.u32(0) == 0x0403_4B50 else { throw refuse("member '\(name)' has no local header at offset \(offset)") }
            let (localName, localExtra) = (local.u16(26), local.u16(28))
            _ = try Self.zip64Values(try bytes(Int(offset) + 30 + localName, localExtra, "the local header of member '\(name)'").bytes[...],
                                     present: [], diskField: false, name: name, path: path)
            let method = local.u16(8)
            guard method == 0 || method == 8 else { throw refuse("member '\(name)' uses compression method \(method) (only stored and deflated are read)", .unsupported) }
            guard method == directory.u16(position + 10) else { throw refuse("member '\(name)' has different compression methods in its two headers") }
            let dataStart = Int(offset) + 30 + localName + localExtra
            guard dataStart <= size, compressed <= UInt64(size - dataStart) else {
                throw refuse("member '\(name)': its \(compressed) bytes at \(dataStart) extend past the end of the \(size)-byte file")
            }
            if method == 0, uncompressed != compressed {
                throw refuse("member '\(name)' is stored but declares \(uncompressed) bytes for \(compressed) stored ones")
            }
            if method == 8, uncompressed / UInt64(Self.maxDeflateRatio) > compressed {
                throw refuse("member '\(name)' declares \(uncompressed) bytes from \(compressed) deflated ones, beyond what deflate reaches")
            }
            members.append(Member(name: name, isDeflated: method == 8, dataStart: dataStart, compressedSize: Int(compressed),
                                  uncompressedSize: Int(uncompressed)))
            position = next
        }
        self.members = members
    }

    /// The values of the first ZIP64 extra field (id 1) in `extra`, for the fields `present`
    /// says (uncompressed, compressed, offset; then a 4-byte disk number when `diskField`): nil
    /// when there is none or its length does not fit those fields, as ZIPFoundation reads it.
    /// Refuses any 8-byte value in the field from `maxZIP64Value` up, whichever fields are present.
    static func zip64Values(_ extra: ArraySlice<UInt8>, present: [Bool], diskField: Bool, name: String, path: String) throws -> [UInt64]? {
        let bytes = ZipBytes(Array(extra))
        var at = 0
        while at + 4 <= bytes.count {
            let (id, length) = (bytes.u16(at), bytes.u16(at + 2))
            guard at + 4 + length <= bytes.count else { return nil }
            if id == 1 {
                for value in stride(from: at + 4, through: at + 4 + length - 8, by: 8).map(bytes.u64) where value >= maxZIP64Value {
                    throw SigLIPError(path: path, problem: "member '\(name)' has a ZIP64 size or offset of \(value), beyond any file", kind: .corrupt)
                }
                guard length == 8 * present.filter({ $0 }).count + (diskField ? 4 : 0) else { return nil }
                var next = at + 4
                return present.map { isPresent in
                    guard isPresent else { return 0 }
                    defer { next += 8 }
                    return bytes.u64(next)
                }
            }
            at += 4 + length
        }
        return nil
    }

    /// Reads exactly `count` bytes at `offset` of an open file (which the caller has bounded).
    static func read(_ descriptor: Int32, path: String, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw SigLIPError(path: path, problem: "read failed (\(n < 0 ? String(cString: strerror(errno)) : "end of file"))", kind: .unreadable) }
            done += n
        }
    }
}

/// Little-endian integers from a byte array, read within its bounds (callers check them).
struct ZipBytes {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
    func slice(_ at: Int, _ length: Int) -> ArraySlice<UInt8> { bytes[at..<(at + length)] }
}
