// Reading the Hugging Face safetensors format:
//   8-byte little-endian UInt64 header length N · N bytes of UTF-8 JSON · data section.
// The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data section), plus an optional "__metadata__" string map.
// Data is little-endian and row-major.

import Foundation
import SigLIPBase

/// The element types a safetensors file may hold.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .u8, .bool: return 1
        }
    }

    /// True for the floating-point types.
    public var isFloatingPoint: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        case .i64, .i32, .u8, .bool: return false
        }
    }
}

/// Where one tensor lives in a safetensors file.
public struct SafeTensorInfo: Equatable, Sendable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// Row-major dimensions; `[]` is a scalar.
    public let shape: [Int]
    /// The tensor's bytes, relative to the start of the data section.
    public let byteRange: Range<Int>

    /// The number of elements: the product of `shape` (1 for a scalar).
    public var elementCount: Int { byteRange.count / dtype.byteSize }
}

/// A safetensors file, memory-mapped, with its header fully validated at open.
public final class SafeTensorsFile: Sendable {
    /// Header lengths above this are rejected as corrupt.
    public static let maxHeaderLength = 100_000_000

    /// The file this was read from.
    public let url: URL
    /// The "__metadata__" entry, or empty.
    public let metadata: [String: String]

    private let bytes: Data
    private let dataStart: Int
    private let tensors: [String: SafeTensorInfo]

    /// Opens and validates `url`. Throws `SigLIPError` for an unreadable or malformed
    /// file; never traps on hostile input.
    public init(contentsOf url: URL) throws {
        self.url = url
        let fail = { (problem: String) in SigLIPError(path: url.path, problem: problem) }
        let size = try RegularFile.requireRegular(url.path)
        // (Checked before mapping: Foundation leaks a page when it maps an empty file.)
        guard size >= 8 else { throw fail("file is \(size) bytes, shorter than the 8-byte header length") }
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw fail("cannot read the file (\(error.localizedDescription))")
        }
        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw fail("header length \(headerLength) is absurd (over \(Self.maxHeaderLength) bytes)")
        }
        guard 8 + Int(headerLength) <= bytes.count else {
            throw fail("header length \(headerLength) exceeds the \(bytes.count - 8) bytes after the length field")
        }
        dataStart = 8 + Int(headerLength)
        let header: SafeTensorsHeader
        do throws(HeaderProblem) {
            header = try SafeTensorsHeader(json: [UInt8](bytes[8..<dataStart]), dataSize: bytes.count - dataStart)
        } catch {
            throw fail(error.text)
        }
        tensors = header.tensors
        metadata = header.metadata
    }

    /// All tensor names, sorted by their UTF-8 bytes.
    public var names: [String] { tensors.keys.sorted(by: utf8Precedes) }

    /// The dtype, shape and location of `name`.
    public func info(_ name: String) throws -> SafeTensorInfo {
        guard let info = tensors[name] else { throw error("no tensor named '\(name)'") }
        return info
    }

    /// The elements of `name` converted to Float (exactly, except F64, I64 and I32
    /// values that Float cannot represent, which round to nearest).
    public func floats(_ name: String) throws -> [Float] {
        let info = try info(name)
        return [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            decodeFloats(info, into: buffer)
            initialized = info.elementCount
        }
    }

    /// Writes the elements of `name`, converted to Float, to `destination`.
    /// `count` must equal the tensor's element count.
    public func copyFloats(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        let info = try info(name)
        guard count == info.elementCount else {
            throw error("tensor '\(name)' has \(info.elementCount) elements (shape \(info.shape)) but \(count) were requested")
        }
        decodeFloats(info, into: UnsafeMutableBufferPointer(start: destination, count: count))
    }

    /// The elements of an integer (I64, I32, U8) or BOOL tensor as Int64.
    public func int64s(_ name: String) throws -> [Int64] {
        let info = try info(name)
        guard !info.dtype.isFloatingPoint else {
            throw error("tensor '\(name)' has dtype \(info.dtype.rawValue), not an integer type")
        }
        return [Int64](unsafeUninitializedCapacity: info.elementCount) { out, initialized in
            withElements(of: info) { elements in
                switch info.dtype {
                case .i64: elements.forEach(Int64.self) { out[$0] = $1 }
                case .i32: elements.forEach(Int32.self) { out[$0] = Int64($1) }
                default: elements.forEach(UInt8.self) { out[$0] = Int64($1) }  // U8, BOOL
                }
            }
            initialized = info.elementCount
        }
    }

    private func error(_ problem: String) -> SigLIPError {
        SigLIPError(path: url.path, problem: problem)
    }

    private func withElements(of info: SafeTensorInfo, _ body: (TensorElements) -> Void) {
        bytes.withUnsafeBytes { all in
            let start = dataStart + info.byteRange.lowerBound
            body(TensorElements(raw: UnsafeRawBufferPointer(rebasing: all[start..<(start + info.byteRange.count)])))
        }
    }

    /// out: [elementCount]; converts every dtype to Float.
    private func decodeFloats(_ info: SafeTensorInfo, into out: UnsafeMutableBufferPointer<Float>) {
        withElements(of: info) { elements in
            switch info.dtype {
            case .f32: elements.forEach(UInt32.self) { out[$0] = Float(bitPattern: $1) }
            case .f16: elements.forEach(UInt16.self) { out[$0] = floatFromFloat16Bits($1) }
            case .bf16: elements.forEach(UInt16.self) { out[$0] = floatFromBFloat16Bits($1) }
            case .f64: elements.forEach(UInt64.self) { out[$0] = Float(Double(bitPattern: $1)) }
            case .i64: elements.forEach(Int64.self) { out[$0] = Float($1) }
            case .i32: elements.forEach(Int32.self) { out[$0] = Float($1) }
            case .u8, .bool: elements.forEach(UInt8.self) { out[$0] = Float($1) }
            }
        }
    }
}

/// The bytes of one tensor, read as little-endian elements at any alignment.
private struct TensorElements {
    let raw: UnsafeRawBufferPointer

    /// Calls `body(index, element)` for every element, read as `T`.
    func forEach<T: FixedWidthInteger>(_: T.Type, _ body: (Int, T) -> Void) {
        let size = MemoryLayout<T>.size
        for i in 0..<(raw.count / size) {
            body(i, T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self)))
        }
    }
}

/// Orders strings by their UTF-8 bytes (the order Python's `sorted` gives).
func utf8Precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

/// Exact IEEE binary16 → binary32, bit by bit: subnormals, infinities and NaN payloads kept.
public func floatFromFloat16Bits(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h) & 0x3FF
    switch exponent {
    case 0x1F:  // infinity or NaN
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    case 0:  // zero or subnormal: mantissa × 2^-24, exact in Float
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    default:  // normal: rebias the exponent from 15 to 127
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
}

/// Exact bfloat16 → binary32: bfloat16 is the top half of a Float.
public func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}
