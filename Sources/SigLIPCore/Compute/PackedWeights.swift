import Foundation
import SigLIPBase

/// Weights kept in our GEMM driver's packed form from one product to the next, for a context
/// whose parameters do not change: inference (`SigLIPModel.makeInferenceContext`).
///
/// Our driver packs op(B) into panels before every product: a read and a write of the whole
/// weight, 4-5% of the ViT-B/16 inference products at 1,568 rows (1.3 ms of fc1's 36 ms on a
/// Zen 4 at AVX-512, docs/SPEED.md). With a store passed to `gemm`, the first product that
/// multiplies by a weight packs it into a buffer kept here, and the next ones use that buffer
/// and pack nothing. Products routed to OpenBLAS do not use it.
///
/// A kept weight is checked at every use against a fingerprint of 64 of its values spread over
/// the matrix, taken when it was packed: an optimiser step or a checkpoint load, which change
/// all of them, makes the next product pack it again. A change to a few values only is not
/// seen: make a new store (or context) after editing weights by hand. Holds as much memory
/// again as the weights it keeps (`bytes`). Thread-safe: a weight being packed by one call is
/// packed by a concurrent one in its own workspace, as without a store.
public final class PackedWeights: @unchecked Sendable {
    /// One kept operand: where B lies and how the product reads it, and the level's packing.
    struct Key: Hashable {
        let address: UInt
        let ldb: Int
        let transposed: Bool
        let k: Int
        let n: Int
        let level: Int
    }

    private final class Entry {
        let memory: UnsafeMutablePointer<Float>
        let floats: Int
        var fingerprint: UInt64
        var packing = true

        init(floats: Int, fingerprint: UInt64) {
            self.floats = floats
            self.fingerprint = fingerprint
            memory = UnsafeMutableRawPointer.allocate(byteCount: max(floats, 1) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(floats, 1))
        }

        deinit { memory.deallocate() }
    }

    /// A product's use of a kept buffer: `ready` if it already holds op(B), else the product
    /// packs into it and calls `packed(_:)` when done.
    struct Claim {
        let key: Key
        let memory: UnsafeMutablePointer<Float>
        let ready: Bool
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    public init() {}

    /// Bytes of packed weights held.
    public var bytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.values.reduce(0) { $0 + $1.floats * 4 }
    }

    /// Weights held.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }

    /// Products that used a kept weight as it was, packing nothing.
    public var reuses: Int {
        lock.lock()
        defer { lock.unlock() }
        return reuseCount
    }
    private var reuseCount = 0

    /// The kept buffer (`floats` long) for op(B) of this product, or nil while another call packs it.
    func claim(b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k: Int, n: Int, level: InstructionSet,
               floats: Int) -> Claim? {
        let key = Key(address: UInt(bitPattern: b), ldb: ldb, transposed: transposed, k: k, n: n, level: level.rawValue)
        let fingerprint = Self.fingerprint(b, rows: transposed ? n : k, columns: transposed ? k : n, ld: ldb)
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key] else {
            let entry = Entry(floats: floats, fingerprint: fingerprint)
            entries[key] = entry
            return Claim(key: key, memory: entry.memory, ready: false)
        }
        precondition(entry.floats == floats, "a kept weight's packed size changed")
        if entry.packing { return nil }
        if entry.fingerprint == fingerprint {
            reuseCount += 1
            return Claim(key: key, memory: entry.memory, ready: true)
        }
        entry.fingerprint = fingerprint   // the weight changed: packed again by this call
        entry.packing = true
        return Claim(key: key, memory: entry.memory, ready: false)
    }

    /// The product that claimed `claim` (not ready) has packed op(B) into it.
    func packed(_ claim: Claim) {
        lock.lock()
        entries[claim.key]?.packing = false
        lock.unlock()
    }

    /// 64 values of the stored B ([rows, columns] at row stride ld) spread over it, folded into
    /// one digest (bit patterns, so -0 and NaN payloads count as changes). On every kept
    /// product, so it reads them in place (no array of positions).
    static func fingerprint(_ b: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int) -> UInt64 {
        var hash = FNV1a()
        guard rows > 0, columns > 0 else { return hash.value }
        for s in 0..<samples {
            let (row, column) = sample(s, rows: rows, columns: columns)
            hash.add(UInt64(b[row * ld + column].bitPattern))
        }
        return hash.value
    }

    /// Values `fingerprint` reads.
    static let samples = 64

    /// The (row, column) of the s-th value `fingerprint` reads: rows evenly spread (all, when
    /// fewer than `samples`), each at a column that moves with the sample. rows, columns > 0.
    static func sample(_ s: Int, rows: Int, columns: Int) -> (row: Int, column: Int) {
        let row = s * rows / samples
        return (row, (s * 7_919 + row) % columns)
    }
}
