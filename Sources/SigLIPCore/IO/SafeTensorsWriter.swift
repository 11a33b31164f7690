// Writing safetensors files that the Python `safetensors` library reads: tensors in sorted
// name order with contiguous data, sorted JSON keys, header padded with spaces to 8 bytes.

import Foundation
import SigLIPBase

/// Collects tensors in memory, then writes them atomically as one safetensors file.
///
/// Problems found while adding (a shape that does not match the element count, a repeated
/// or reserved name) are reported by `write(to:)`.
public struct SafeTensorsWriter: Sendable {
    private struct Entry: Sendable {
        let dtype: SafeTensorsDType
        let shape: [Int]
        let bytes: [UInt8]  // little-endian
    }

    private var entries: [String: Entry] = [:]
    private var problem: String?

    /// Written as the "__metadata__" entry (omitted when empty).
    public var metadata: [String: String] = [:]

    public init() {}

    /// Adds `floats`, stored as F32. `shape` is row-major; `[]` is a scalar.
    public mutating func add(_ name: String, shape: [Int], floats: UnsafeBufferPointer<Float>) {
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, x) in floats.enumerated() {
                raw.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        add(name, Entry(dtype: .f32, shape: shape, bytes: bytes), count: floats.count)
    }

    /// Adds `int64s`, stored as I64. `shape` is row-major; `[]` is a scalar.
    public mutating func add(_ name: String, shape: [Int], int64s: [Int64]) {
        var bytes = [UInt8](repeating: 0, count: int64s.count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (i, x) in int64s.enumerated() {
                raw.storeBytes(of: x.littleEndian, toByteOffset: 8 * i, as: Int64.self)
            }
        }
        add(name, Entry(dtype: .i64, shape: shape, bytes: bytes), count: int64s.count)
    }

    private mutating func add(_ name: String, _ entry: Entry, count: Int) {
        guard problem == nil else { return }
        if name == "__metadata__" {
            problem = "the tensor name \"__metadata__\" is reserved"
        } else if entries[name] != nil {
            problem = "tensor '\(name)' was added twice"
        } else if entry.shape.contains(where: { $0 < 0 }) {
            problem = "tensor '\(name)': shape \(entry.shape) has a negative dimension"
        } else if Self.elementCount(entry.shape) != count {
            problem = "tensor '\(name)': shape \(entry.shape) does not hold the \(count) elements given"
        } else {
            entries[name] = entry
        }
    }

    /// The product of `shape`, or nil on overflow.
    private static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// Writes the file atomically: to a temporary file in the same directory, flushed to
    /// disk, then renamed over `url`.
    public func write(to url: URL) throws {
        let fail = { (problem: String) in SigLIPError(path: url.path, problem: problem) }
        if let problem { throw fail(problem) }
        let names = entries.keys.sorted(by: utf8Precedes)
        var header = headerJSON(names: names)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        try AtomicFile.write(to: url) { handle in
            try handle.write(contentsOf: withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) })
            try handle.write(contentsOf: header)
            for name in names { try handle.write(contentsOf: entries[name]!.bytes) }
        }
    }

    /// The header JSON, keys sorted, offsets contiguous in `names` order.
    private func headerJSON(names: [String]) -> [UInt8] {
        var members: [(key: String, json: String)] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted(by: utf8Precedes).map { "\(quoted($0)):\(quoted(metadata[$0]!))" }
            members.append(("__metadata__", "{\(pairs.joined(separator: ","))}"))
        }
        var offset = 0
        for name in names {
            let entry = entries[name]!
            let shape = entry.shape.map(String.init).joined(separator: ",")
            members.append((name, "{\"data_offsets\":[\(offset),\(offset + entry.bytes.count)],"
                + "\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)]}"))
            offset += entry.bytes.count
        }
        members.sort { utf8Precedes($0.key, $1.key) }
        return Array("{\(members.map { "\(quoted($0.key)):\($0.json)" }.joined(separator: ","))}".utf8)
    }
}

/// `text` as a JSON string literal.
private func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case ..."\u{1F}":
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
