/// A minimal reader for the protobuf wire format: just enough to walk the fields of a
/// SentencePiece `ModelProto` (varints, 64-bit and 32-bit fixed values,
/// length-delimited fields; groups are skipped).
struct ProtobufReader {
    /// The wire types of the protobuf encoding.
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    /// A wire-format violation, with the byte offset where it was found.
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    /// Groups nested deeper than this are refused (protobuf's own parsers stop at 100).
    static let maxGroupDepth = 100

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    /// Reads `bytes[range]` (the whole buffer by default).
    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        self.position = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws -> (number: Int, wireType: WireType)? {
        if isAtEnd { return nil }
        let start = position
        let key = try readVarint()
        guard let wire = WireType(rawValue: UInt8(key & 7)) else {
            throw Failure(offset: start, reason: "unknown wire type \(key & 7)")
        }
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else {
            throw Failure(offset: start, reason: "invalid field number \(number)")
        }
        return (Int(number), wire)
    }

    /// A base-128 varint (at most 10 bytes).
    mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < end else { throw Failure(offset: start, reason: "truncated varint") }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw Failure(offset: start, reason: "varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// A little-endian 32-bit value (wire type 5).
    mutating func readFixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw Failure(offset: position, reason: "truncated fixed32") }
        var value: UInt32 = 0
        for k in 0..<4 { value |= UInt32(bytes[position + k]) << (8 * UInt32(k)) }
        position += 4
        return value
    }

    /// A 32-bit float (wire type 5).
    mutating func readFloat() throws -> Float { Float(bitPattern: try readFixed32()) }

    /// A proto `int32` (negative values are sign-extended to 10-byte varints).
    mutating func readInt32() throws -> Int32 { Int32(truncatingIfNeeded: try readVarint()) }

    /// A proto `bool`.
    mutating func readBool() throws -> Bool { try readVarint() != 0 }

    /// The byte range of a length-delimited field (string, bytes or sub-message).
    mutating func readLengthDelimited() throws -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw Failure(offset: start, reason: "length \(length) runs past the end of the message")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// The bytes of a length-delimited field.
    mutating func readBytes() throws -> [UInt8] { Array(bytes[try readLengthDelimited()]) }

    /// A length-delimited field that must be valid UTF-8.
    mutating func readString() throws -> String {
        let start = position
        let raw = try readBytes()
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw Failure(offset: start, reason: "string field is not valid UTF-8")
        }
        return text
    }

    /// A reader over the sub-message in a length-delimited field.
    mutating func readMessage() throws -> ProtobufReader {
        ProtobufReader(bytes, range: try readLengthDelimited())
    }

    /// Skips the value of a field of the given wire type.
    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed32: _ = try readFixed32()
        case .fixed64:
            guard end - position >= 8 else { throw Failure(offset: position, reason: "truncated fixed64") }
            position += 8
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup:
            // Iteratively, counting open groups: a file cannot drive the recursion depth.
            var open = 1
            while let (_, inner) = try nextField() {
                switch inner {
                case .startGroup:
                    open += 1
                    guard open <= Self.maxGroupDepth else {
                        throw Failure(offset: position, reason: "groups nested more than \(Self.maxGroupDepth) deep")
                    }
                case .endGroup:
                    open -= 1
                    if open == 0 { return }
                default:
                    try skip(inner)
                }
            }
            throw Failure(offset: position, reason: "unterminated group")
        case .endGroup: throw Failure(offset: position, reason: "unexpected end-group")
        }
    }
}
