/// A bump allocator for activations and scratch tensors.
///
/// Every forward and backward pass takes its outputs and caches from the arena; `reset()`
/// frees them all at once at the end of a step. Memory never moves while in use (the arena
/// grows by adding blocks), and after a reset the blocks are merged into one block as large
/// as the high-water mark, so from the second step on a step allocates nothing.
///
/// Blocks are mapped pages of their own (`PageBlock`), not heap memory, so a block that is
/// released goes back to the system at once and the process's resident memory follows the
/// arena's use.
public final class Arena {
    private var blocks: [PageBlock] = []
    private var used = 0            // floats used in the last block
    private var totalInUse = 0
    public private(set) var highWaterMark = 0   // floats

    public init(initialCapacity: Int = 0) {
        if initialCapacity > 0 { blocks.append(PageBlock(count: initialCapacity)) }
    }

    /// Floats currently handed out (since the last reset, less what was released).
    public var inUse: Int { totalInUse }

    /// Capacity in floats across all blocks.
    public var capacity: Int { blocks.reduce(0) { $0 + $1.count } }

    /// A new uninitialised tensor of the given shape.
    public func tensor(_ shape: [Int]) -> Tensor {
        Tensor(allocate(shape.reduce(1, *)), shape)
    }

    /// A new tensor filled with zeros.
    public func zeros(_ shape: [Int]) -> Tensor {
        let t = tensor(shape)
        t.fill(0)
        return t
    }

    /// `count` floats, 64-byte aligned.
    public func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let padded = (count + 15) & ~15
        if blocks.isEmpty || used + padded > blocks[blocks.count - 1].count {
            blocks.append(PageBlock(count: max(padded, 1 << 20)))
            used = 0
        }
        let pointer = blocks[blocks.count - 1].data + used
        used += padded
        totalInUse += padded
        highWaterMark = max(highWaterMark, totalInUse)
        return pointer
    }

    /// A position to return to with `release(to:)`, for temporaries inside a pass.
    public struct Mark { fileprivate let blockCount: Int, used: Int, totalInUse: Int }

    public func mark() -> Mark { Mark(blockCount: blocks.count, used: used, totalInUse: totalInUse) }

    /// Frees everything allocated since `mark` (tensors taken after it become invalid).
    public func release(to mark: Mark) {
        if blocks.count > mark.blockCount { blocks.removeLast(blocks.count - mark.blockCount) }
        used = mark.used
        totalInUse = mark.totalInUse
    }

    /// Frees every tensor taken from the arena. Invalidates them all.
    public func reset() {
        if blocks.count > 1 || (blocks.count == 1 && blocks[0].count < highWaterMark) {
            blocks = []    // unmap the old blocks before mapping the merged one
            blocks = [PageBlock(count: highWaterMark)]
        }
        used = 0
        totalInUse = 0
    }
}

/// `count` floats in anonymous mapped pages (page aligned, zero until written), unmapped on
/// deinit.
final class PageBlock {
    let data: UnsafeMutablePointer<Float>
    let count: Int
    private let bytes: Int

    init(count: Int) {
        self.count = count
        bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            fatalError("out of memory mapping \(bytes) bytes for activations")
        }
        data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { munmap(data, bytes) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
