/// A view of contiguous, row-major Float32 memory with a shape.
///
/// A `Tensor` does not own its memory: it points into an `Arena` (activations, reset every
/// step), a `ParameterStore` (weights and their gradients) or a caller's buffer. It is valid
/// as long as that owner is and has not been reset.
public struct Tensor {
    public let data: UnsafeMutablePointer<Float>
    public let shape: [Int]

    public init(_ data: UnsafeMutablePointer<Float>, _ shape: [Int]) {
        self.data = data
        self.shape = shape
    }

    /// Number of elements (the product of the shape; 1 for a scalar).
    @inlinable public var count: Int { shape.reduce(1, *) }

    /// The size of the last axis (the width `D` of `[B, N, D]`).
    @inlinable public var lastDimension: Int { shape.last ?? 1 }

    /// The product of all axes but the last (the rows `B*N` of `[B, N, D]`).
    @inlinable public var rows: Int { count / max(lastDimension, 1) }

    /// The same memory seen with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) → \(newShape) changes the element count")
        return Tensor(data, newShape)
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// A copy of the elements (for tests and reports, not the hot path).
    public func toArray() -> [Float] { Array(buffer) }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
}

/// A Float32 buffer that owns its memory (64-byte aligned), for long-lived storage such as
/// parameters, gradients and optimiser moments.
public final class FloatBuffer {
    public let data: UnsafeMutablePointer<Float>
    public let count: Int
    /// The bytes mapped by `init(zeroPages:)` (0: allocated with `posix_memalign`).
    private let mappedBytes: Int

    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        data = FloatBuffer.allocateAligned(count: count)
        mappedBytes = 0
        if zeroed { data.initialize(repeating: 0, count: count) }
    }

    /// Zeroed memory whose pages the system provides on first write: the parts never written
    /// (the gradients of a locked tower) take no physical memory.
    public init(zeroPages count: Int) {
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            fatalError("out of memory mapping \(bytes) bytes")
        }
        mappedBytes = bytes
        data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        if mappedBytes > 0 { munmap(data, mappedBytes) } else { free(data) }
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    public func zero() { data.update(repeating: 0, count: count) }

    /// 64-byte aligned (cache line and widest SIMD) memory, released with `free`.
    static func allocateAligned(count: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
