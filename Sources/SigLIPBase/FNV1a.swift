import Foundation

/// The 64-bit FNV-1a hash: a cheap, stable digest for telling contents apart (the same bytes give
/// the same digest in every process and on every machine), not for security. Each `add` folds in
/// one word: a byte for text and files, a value's bit pattern for numbers.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Folds in one word: XOR, then multiply by the FNV prime.
    public mutating func add(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01b3
    }

    /// Folds in every byte of `bytes`, in order.
    public mutating func add(bytes: some Sequence<UInt8>) {
        for byte in bytes { add(UInt64(byte)) }
    }

    /// The digest as 16 hex digits.
    public var hex: String { String(format: "%016llx", value) }

    /// The digest of `bytes` as 16 hex digits.
    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        var hash = FNV1a()
        hash.add(bytes: bytes)
        return hash.hex
    }
}
