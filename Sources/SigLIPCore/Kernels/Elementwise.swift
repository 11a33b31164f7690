/// Element-wise kernels over rows of a `[R, C]` matrix: bias, residual, column sums.
/// Each has a plain twin in `ReferenceKernels`.
public enum Kernels {
    /// out[r, c] = bias[c] for every row: the starting value of a GEMM with `beta = 1`.
    /// out: [R, C] at row stride `rowStride` (default C), bias: [C]
    public static func broadcastRows(_ bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                     rowStride: Int? = nil) {
        let ld = rowStride ?? columns
        parallelFor(rows, costPerItem: columns) { range in
            for r in range { (out + r * ld).update(from: bias, count: columns) }
        }
    }

    /// y[i] += x[i]: the residual add. x, y: [n]
    public static func addInPlace(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        parallelFor(n) { range in
            Vector.add(x + range.lowerBound, into: y + range.lowerBound, range.count)
        }
    }

    /// sums[c] += Σ_r x[r, c]: the gradient of a bias. x: [R, C] at row stride `rowStride`
    /// (default C), sums: [C]
    public static func accumulateColumnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil,
                                            into sums: UnsafeMutablePointer<Float>) {
        let ld = rowStride ?? columns
        // Each thread owns a range of 8-column blocks; tiles of 32 rows keep the reads within
        // cache and each block's partial sum in a register. Every column is summed in row order
        // (the same bits on any thread count).
        parallelFor((columns + 7) / 8, costPerItem: 8 * rows) { blocks in
            for tile in stride(from: 0, to: rows, by: 32) {
                let tileEnd = min(rows, tile + 32)
                for block in blocks {
                    let c = block * 8, n = min(8, columns - c)
                    var total = SIMD8<Float>.load(sums + c, count: n)
                    for r in tile..<tileEnd { total += SIMD8<Float>.load(x + r * ld + c, count: n) }
                    total.store(sums + c, count: n)
                }
            }
        }
    }

    /// Splits `0..<n` over the threads in chunks of whole 16-float vectors (so every chunk
    /// but the last runs without a tail) and calls `body(start, count)` for each.
    static func forEachChunk(_ n: Int, costPerItem: Int, _ body: (Int, Int) -> Void) {
        let vector = 16
        parallelFor((n + vector - 1) / vector, costPerItem: vector * costPerItem) { blocks in
            let start = blocks.lowerBound * vector
            body(start, min(n, blocks.upperBound * vector) - start)
        }
    }
}
