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
        forEachColumnTile(rows: rows, columns: columns, costPerElement: 1) { tile, c, n in
            var total = SIMD8<Float>.load(sums + c, count: n)
            for r in tile { total += SIMD8<Float>.load(x + r * ld + c, count: n) }
            total.store(sums + c, count: n)
        }
    }

    /// For column sums over the rows of an [R, C] matrix: calls `body(rows, column, width)` for
    /// each block of 8 columns (`width` ≤ 8 at the end) and each tile of 32 rows. Each thread
    /// owns a range of column blocks (no two threads write the same sum); the tiles keep the
    /// reads within cache and a block's partial sums in registers; every column is visited in
    /// row order, so the sums have the same bits on any thread count.
    static func forEachColumnTile(rows: Int, columns: Int, costPerElement: Int, _ body: (Range<Int>, Int, Int) -> Void) {
        parallelFor((columns + 7) / 8, costPerItem: 8 * costPerElement * rows) { blocks in
            for tile in stride(from: 0, to: rows, by: 32) {
                for block in blocks {
                    body(tile..<min(rows, tile + 32), block * 8, min(8, columns - block * 8))
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
