// Reading NumPy's .npy format, versions 1.0, 2.0 and 3.0:
//   magic "\x93NUMPY" · major and minor version bytes · header length (UInt16 little-endian for
//   1.0, UInt32 for 2.0 and 3.0) · the header: a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and ended by
//   '\n' · the data, raw, in the header's dtype and (C) order.
// Only what a checkpoint holds is accepted: little-endian floats and bfloat16, in C order.

import SigLIPBase

/// The element types of the .npy arrays we read; every one converts exactly to Float except
/// `f64`, which rounds to nearest.
public enum NPYDType: String, CaseIterable, Sendable {
    /// '<f4'
    case f32
    /// '<f2' (IEEE binary16)
    case f16
    /// '<f8'
    case f64
    /// bfloat16, stored by NumPy as a 2-byte void: '<V2' (ml_dtypes' bfloat16, as JAX arrays
    /// are saved), '|V2' (a plain void view) or 'bfloat16'. big_vision reads every 2-byte void
    /// as bfloat16 (`utils.recover_dtype`); so do we.
    case bf16

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64: return 8
        case .f32: return 4
        case .f16, .bf16: return 2
        }
    }

    /// The dtype a header's 'descr' names, or a problem saying why it is refused.
    static func parse(descr: String) throws(NPYProblem) -> NPYDType {
        switch descr {
        case "<f4": return .f32
        case "<f2": return .f16
        case "<f8": return .f64
        case "<V2", "|V2", "bfloat16": return .bf16
        case ">f2", ">f4", ">f8", ">V2": throw NPYProblem("dtype '\(descr)' is big-endian (only little-endian arrays are read)")
        default: throw NPYProblem("unknown dtype '\(descr)' (expected '<f4', '<f2', '<f8' or bfloat16 as '<V2')")
        }
    }

    /// Converts one little-endian element at `raw` to Float.
    @inline(__always)
    func float(at raw: UnsafeRawPointer) -> Float {
        switch self {
        case .f32: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        case .f16: return floatFromFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(as: UInt16.self)))
        case .bf16: return floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(as: UInt16.self)))
        case .f64: return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))))
        }
    }
}

/// The validated header of a .npy array.
public struct NPYHeader: Equatable, Sendable {
    /// Headers (the dict text) longer than this are refused; NumPy's own reader stops at 10,000
    /// bytes unless told otherwise, and writes about 128.
    public static let maxHeaderLength = 65_536
    /// Bytes of the magic, the version and the shortest (1.0) length field.
    static let minimumPreamble = 10

    public let dtype: NPYDType
    /// Row-major dimensions; `[]` is a scalar.
    public let shape: [Int]
    /// Bytes before the data: magic, version, length field and header.
    public let dataOffset: Int
    /// Bytes of data the shape and dtype call for (checked against overflow).
    public let dataByteCount: Int

    /// The number of elements: the product of `shape` (1 for a scalar).
    public var elementCount: Int { dataByteCount / dtype.byteSize }

    /// How many bytes from the start of the file the header ends at, once `prefix` holds the
    /// preamble (at least 12 bytes, or 10 for version 1.0); nil while more bytes are needed.
    static func headerEnd(_ prefix: [UInt8]) throws(NPYProblem) -> Int? {
        guard prefix.count >= minimumPreamble else { return nil }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // "\x93NUMPY"
        guard Array(prefix[0..<6]) == magic else { throw NPYProblem("not a .npy array (bad magic bytes)") }
        let (major, minor) = (prefix[6], prefix[7])
        let length: Int
        switch (major, minor) {
        case (1, 0):
            length = Int(prefix[8]) | Int(prefix[9]) << 8
            guard length <= maxHeaderLength else { throw NPYProblem("header length \(length) is over the limit of \(maxHeaderLength)") }
            return minimumPreamble + length
        case (2, 0), (3, 0):
            guard prefix.count >= minimumPreamble + 2 else { return nil }
            length = (8..<12).reduce(0) { $0 | Int(prefix[$1]) << (8 * ($1 - 8)) }
            guard length <= maxHeaderLength else { throw NPYProblem("header length \(length) is over the limit of \(maxHeaderLength)") }
            return minimumPreamble + 2 + length
        default:
            throw NPYProblem("unsupported .npy version \(major).\(minor) (1.0, 2.0 and 3.0 are read)")
        }
    }

    /// Parses the header at the start of `bytes` (which must hold at least the whole header; any
    /// data after it is ignored). Throws a problem description; the caller adds the file name.
    public init(parsing bytes: [UInt8]) throws(NPYProblem) {
        guard let end = try Self.headerEnd(bytes) else {
            throw NPYProblem("file is \(bytes.count) bytes, shorter than the .npy preamble")
        }
        guard end <= bytes.count else { throw NPYProblem("header needs \(end) bytes but only \(bytes.count) are there") }
        let start = bytes[6] == 1 ? Self.minimumPreamble : Self.minimumPreamble + 2
        var parser = PythonLiteralParser(bytes[start..<end])
        let fields = try parser.headerDict()
        guard let descr = fields.descr, let fortranOrder = fields.fortranOrder, let shape = fields.shape else {
            throw NPYProblem("header lacks " + [("'descr'", fields.descr == nil), ("'fortran_order'", fields.fortranOrder == nil),
                                                ("'shape'", fields.shape == nil)].filter(\.1).map(\.0).joined(separator: " and "))
        }
        guard !fortranOrder else { throw NPYProblem("array is in Fortran (column-major) order; only C order is read") }
        dtype = try NPYDType.parse(descr: descr)
        var byteCount = dtype.byteSize
        for dim in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw NPYProblem("shape \(shape) of '\(descr)' overflows the byte count") }
            byteCount = product
        }
        self.shape = shape
        dataOffset = end
        dataByteCount = byteCount
    }
}

/// A problem found in a .npy header, before the file (and member) name is attached.
public struct NPYProblem: Error, Equatable, Sendable {
    public let text: String
    init(_ text: String) { self.text = text }
}

/// Converts a stream of raw little-endian elements, arriving in chunks of any size (an element
/// may straddle two chunks), into Floats written to `destination[0..<count]`.
struct NPYElementDecoder {
    let dtype: NPYDType
    let destination: UnsafeMutablePointer<Float>
    let count: Int
    private(set) var written = 0
    /// The first bytes of an element split between chunks (at most 7).
    private var pending: [UInt8] = []

    init(dtype: NPYDType, destination: UnsafeMutablePointer<Float>, count: Int) {
        self.dtype = dtype
        self.destination = destination
        self.count = count
        pending.reserveCapacity(8)
    }

    /// True once every element has been written and no partial element is left.
    var isComplete: Bool { written == count && pending.isEmpty }

    /// Decodes `chunk`; returns false (writing nothing past `count`) if it holds more bytes than
    /// the remaining elements need.
    mutating func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        let size = dtype.byteSize
        var offset = 0
        if !pending.isEmpty {
            let take = min(size - pending.count, chunk.count)
            pending.append(contentsOf: chunk[0..<take])
            offset = take
            guard pending.count == size else { return true }
            guard written < count else { return false }
            destination[written] = pending.withUnsafeBytes { dtype.float(at: $0.baseAddress!) }
            written += 1
            pending.removeAll(keepingCapacity: true)
        }
        let whole = (chunk.count - offset) / size
        guard whole <= count - written else { return false }
        if whole > 0, let base = chunk.baseAddress {
            let out = destination + written
            for i in 0..<whole { out[i] = dtype.float(at: base + offset + i * size) }
            written += whole
            offset += whole * size
        }
        if offset < chunk.count {
            guard written < count else { return false }
            pending.append(contentsOf: chunk[offset...])
        }
        return true
    }
}

/// The fields of a .npy header dict, as NumPy writes it: a Python literal with exactly the keys
/// 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a tuple of non-negative
/// integers), spaces allowed between tokens, a trailing comma allowed, then only spaces and a
/// final newline. Anything else (a structured dtype's list descr, escapes, other keys) is refused.
private struct PythonLiteralParser {
    struct Fields {
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
    }

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    mutating func headerDict() throws(NPYProblem) -> Fields {
        var fields = Fields()
        try expect(UInt8(ascii: "{"), "header is not a Python dict")
        while true {
            skipSpaces()
            if peek == UInt8(ascii: "}") { index += 1; break }
            let key = try string()
            skipSpaces()
            try expect(UInt8(ascii: ":"), "expected ':' after '\(key)'")
            skipSpaces()
            switch key {
            case "descr":
                guard fields.descr == nil else { throw NPYProblem("header repeats 'descr'") }
                guard peek == UInt8(ascii: "'") || peek == UInt8(ascii: "\"") else {
                    throw NPYProblem("'descr' is not a string (structured dtypes are not read)")
                }
                fields.descr = try string()
            case "fortran_order":
                guard fields.fortranOrder == nil else { throw NPYProblem("header repeats 'fortran_order'") }
                fields.fortranOrder = try boolean()
            case "shape":
                guard fields.shape == nil else { throw NPYProblem("header repeats 'shape'") }
                fields.shape = try tuple()
            default:
                throw NPYProblem("header has an unexpected key '\(key)'")
            }
            skipSpaces()
            if peek == UInt8(ascii: ",") { index += 1; continue }
            skipSpaces()
            try expect(UInt8(ascii: "}"), "expected ',' or '}' in the header dict")
            break
        }
        while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\n") { index += 1 }
        guard index == bytes.endIndex else { throw NPYProblem("header has text after its dict") }
        return fields
    }

    private var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    private mutating func skipSpaces() {
        while let c = peek, c == UInt8(ascii: " ") { index += 1 }
    }

    private mutating func expect(_ c: UInt8, _ problem: String) throws(NPYProblem) {
        guard peek == c else { throw NPYProblem(problem) }
        index += 1
    }

    /// A quoted string without escapes, printable ASCII only.
    private mutating func string() throws(NPYProblem) -> String {
        guard let quote = peek, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw NPYProblem("expected a quoted key in the header dict")
        }
        index += 1
        let start = index
        while let c = peek, c != quote {
            guard (0x20..<0x7F).contains(c), c != UInt8(ascii: "\\") else { throw NPYProblem("header string has an escape or a non-ASCII byte") }
            index += 1
        }
        guard peek == quote else { throw NPYProblem("header has an unterminated string") }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        index += 1
        return text
    }

    private mutating func boolean() throws(NPYProblem) -> Bool {
        for (word, value) in [("True", true), ("False", false)] {
            let utf8 = Array(word.utf8)
            if bytes[index...].starts(with: utf8) {
                index += utf8.count
                return value
            }
        }
        throw NPYProblem("'fortran_order' is not True or False")
    }

    /// `()`, `(n,)`, `(n, m)`, `(n, m,)`: a Python tuple of non-negative integers.
    private mutating func tuple() throws(NPYProblem) -> [Int] {
        try expect(UInt8(ascii: "("), "'shape' is not a tuple")
        var dims: [Int] = []
        var trailingComma = false
        while true {
            skipSpaces()
            if peek == UInt8(ascii: ")") { index += 1; break }
            dims.append(try integer())
            trailingComma = false
            skipSpaces()
            if peek == UInt8(ascii: ",") { index += 1; trailingComma = true; continue }
            try expect(UInt8(ascii: ")"), "'shape' is not a tuple of integers")
            break
        }
        guard dims.count != 1 || trailingComma else { throw NPYProblem("'shape' is not a tuple (a 1-tuple needs its comma)") }
        return dims
    }

    private mutating func integer() throws(NPYProblem) -> Int {
        var value = 0
        let start = index
        while let c = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw NPYProblem("'shape' has a dimension too large to represent") }
            value = sum
            index += 1
        }
        guard index > start else { throw NPYProblem("'shape' has an entry that is not a non-negative integer") }
        return value
    }
}
