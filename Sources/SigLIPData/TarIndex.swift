import Foundation
import SigLIPBase

/// One regular file inside a tar archive: its full path and where its bytes are.
struct TarMember: Sendable, Equatable {
    var name: String
    /// Byte offset of the member's data (just after its header) in the archive.
    var offset: Int
    var size: Int
}

/// A strict reader of POSIX ustar / GNU tar archives: lists the regular files and where
/// their bytes are, without reading the bytes.
///
/// Supported: 512-byte headers with octal (or GNU base-256) sizes, the header checksum,
/// GNU long names (`././@LongLink`, type 'L'; 'K' long link names are skipped), pax
/// extended headers ('x': `path` and `size` applied to the next member; 'g' skipped),
/// regular files ('0', '\0', '7'); directories, links and devices are skipped. The archive
/// ends at a zero block or at the end of the file on a block boundary. A truncated header,
/// a bad checksum or a size running past the end throws `SigLIPError` naming the file and
/// the header's offset.
enum TarIndex {
    static let blockSize = 512
    /// Long names and pax headers larger than this are refused (real ones are a few hundred bytes).
    static let maxHeaderDataSize = 1 << 20

    static func members(of file: ReadOnlyFile) throws -> [TarMember] {
        var members: [TarMember] = []
        var offset = 0
        var longName: String?
        var paxPath: String?
        var paxSize: Int?
        func fail(_ problem: String, at position: Int) -> SigLIPError {
            SigLIPError(path: file.path, problem: "tar header at offset \(position): \(problem)")
        }
        while offset < file.size {
            guard offset + blockSize <= file.size else {
                throw fail("truncated (only \(file.size - offset) of 512 bytes)", at: offset)
            }
            let header = [UInt8](try file.read(offset: offset, count: blockSize))
            if header.allSatisfy({ $0 == 0 }) { break }
            try verifyChecksum(header) { fail($0, at: offset) }
            let type = header[156]
            guard var size = parseNumber(header[124..<136]) else {
                throw fail("size field is not a number", at: offset)
            }
            if let paxSize, type != UInt8(ascii: "x"), type != UInt8(ascii: "g") { size = paxSize }
            let dataOffset = offset + blockSize
            // Compared against what remains, so that no sum of file numbers can overflow.
            guard size >= 0, size <= file.size - dataOffset else {
                throw fail("member size \(size) runs past the end of the file (\(file.size) bytes)", at: offset)
            }
            switch type {
            case UInt8(ascii: "L"):
                guard size <= maxHeaderDataSize else { throw fail("GNU long name of \(size) bytes (limit \(maxHeaderDataSize))", at: offset) }
                longName = cString(try file.read(offset: dataOffset, count: size))
            case UInt8(ascii: "x"):
                guard size <= maxHeaderDataSize else { throw fail("pax header of \(size) bytes (limit \(maxHeaderDataSize))", at: offset) }
                let records = try parsePax(try file.read(offset: dataOffset, count: size)) { fail($0, at: offset) }
                paxPath = records["path"]
                if let text = records["size"] {
                    guard let value = Int(text), value >= 0, text.allSatisfy(\.isASCII) else {
                        throw fail("pax size '\(text.prefix(40))' is not a non-negative integer", at: offset)
                    }
                    paxSize = value
                } else {
                    paxSize = nil
                }
            case UInt8(ascii: "K"), UInt8(ascii: "g"):
                break  // long link name, global pax header: nothing we use
            default:
                if type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7") {
                    let name = paxPath ?? longName ?? headerName(header)
                    members.append(TarMember(name: name, offset: dataOffset, size: size))
                }
                // The long name and pax values apply to this header only.
                longName = nil
                paxPath = nil
                paxSize = nil
            }
            offset = dataOffset + (size + blockSize - 1) / blockSize * blockSize
        }
        return members
    }

    /// The ustar name: `prefix/name` when the ustar prefix field is set.
    static func headerName(_ header: [UInt8]) -> String {
        let name = cString(Data(header[0..<100]))
        // POSIX "ustar\0" only: old GNU headers ("ustar  ") keep other fields there.
        let isUstar = header[257..<263].elementsEqual("ustar\0".utf8)
        let prefix = isUstar ? cString(Data(header[345..<500])) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// The checksum is the sum of the header's bytes with the checksum field read as spaces
    /// (some old writers summed signed bytes: accepted too).
    static func verifyChecksum(_ header: [UInt8], _ fail: (String) -> SigLIPError) throws {
        guard let stored = parseNumber(header[148..<156]) else { throw fail("checksum field is not a number") }
        var unsigned = 0, signed = 0
        for (i, byte) in header.enumerated() {
            let value = (148..<156).contains(i) ? 32 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        guard stored == unsigned || stored == signed else {
            throw fail("bad checksum (stored \(stored), computed \(unsigned)); not a tar file or corrupt")
        }
    }

    /// An octal field (spaces/NULs around the digits) or a GNU base-256 number (high bit set).
    static func parseNumber(_ field: ArraySlice<UInt8>) -> Int? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            var value = 0
            for (i, byte) in field.enumerated() {
                let b = i == 0 ? byte & 0x7F : byte
                guard value <= (Int.max >> 8) else { return nil }
                value = value << 8 | Int(b)
            }
            return value
        }
        var value = 0
        var seenDigit = false
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value <= (Int.max >> 3) else { return nil }
                value = value * 8 + Int(byte - UInt8(ascii: "0"))
                seenDigit = true
            case UInt8(ascii: " "), 0:
                if seenDigit { return value }
            default:
                return nil
            }
        }
        return seenDigit ? value : 0
    }

    /// pax records: "LENGTH key=value\n" repeated.
    static func parsePax(_ data: Data, _ fail: (String) -> SigLIPError) throws -> [String: String] {
        let bytes = [UInt8](data)
        var records: [String: String] = [:]
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0 { break }
            guard let space = bytes[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: bytes[i..<space], as: UTF8.self)),
                  length > space - i, length <= bytes.count - i, bytes[i + length - 1] == UInt8(ascii: "\n")
            else { throw fail("malformed pax extended header record") }
            let record = bytes[(space + 1)..<(i + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                records[String(decoding: record[..<equals], as: UTF8.self)] =
                    String(decoding: record[(equals + 1)...], as: UTF8.self)
            }
            i += length
        }
        return records
    }

    static func cString(_ data: Data) -> String {
        let bytes = data.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}
