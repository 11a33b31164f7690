import Foundation

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord files check their
/// records with. Table-driven, one byte at a time: event files are small (a few hundred bytes
/// a step), so speed does not matter here.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The masked form TFRecord stores (so that a CRC of data containing CRCs stays useful).
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// TFRecord framing: each record is its length (UInt64, little-endian), the masked CRC-32C of
/// those 8 bytes, the data, and the masked CRC-32C of the data (both UInt32, little-endian).
public enum TFRecord {
    public static func frame(_ data: Data) -> Data {
        var out = Data(capacity: data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Data($0) }
        out.append(length)
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out.append(contentsOf: $0) }
        out.append(data)
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// What is wrong with a file's framing.
    public struct FramingError: Error, CustomStringConvertible {
        public let offset: Int
        public let problem: String
        public var description: String { "record at byte \(offset): \(problem)" }
    }

    /// The records of a whole file, every CRC checked (for tests and readers of our own files).
    public static func records(in file: Data) throws -> [Data] {
        let bytes = [UInt8](file)
        var records: [Data] = []
        var at = 0
        func word<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
            var value: T = 0
            for i in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + i]) << (8 * i) }
            return value
        }
        while at < bytes.count {
            guard bytes.count - at >= 12 else { throw FramingError(offset: at, problem: "truncated header") }
            let length = word(UInt64.self, at)
            guard word(UInt32.self, at + 8) == CRC32C.masked(bytes[at..<(at + 8)]) else {
                throw FramingError(offset: at, problem: "length CRC mismatch")
            }
            guard length <= UInt64(bytes.count - at - 16) else { throw FramingError(offset: at, problem: "truncated data") }
            let start = at + 12, end = start + Int(length)
            guard word(UInt32.self, end) == CRC32C.masked(bytes[start..<end]) else {
                throw FramingError(offset: at, problem: "data CRC mismatch")
            }
            records.append(Data(bytes[start..<end]))
            at = end + 4
        }
        return records
    }
}
