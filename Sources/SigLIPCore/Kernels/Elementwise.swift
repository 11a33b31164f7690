import CKernels
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
                                            into sums: UnsafeMutablePointer<Float>, isa: InstructionSet = .selected) {
        let ld = rowStride ?? columns, level = Int32(isa.rawValue)
        forEachColumnBlock(rows: rows, columns: columns, costPerElement: 1) { c, n in
            ck_column_sums(level, x + c, rows, n, ld, sums + c)
        }
    }

    /// For column sums over the rows of an [R, C] matrix: calls `body(column, width)` for blocks
    /// of 64 columns (`width` ≤ 64 at the end). Each thread owns a range of blocks (no two
    /// threads write the same sum); the C kernels visit every column in row order, so the sums
    /// have the same bits on any thread count.
    static func forEachColumnBlock(rows: Int, columns: Int, costPerElement: Int, _ body: (Int, Int) -> Void) {
        forEachSpan(columns, unit: 64, costPerUnit: 64 * costPerElement * rows, body)
    }

    /// Splits `0..<n` over the threads in chunks of whole 16-float vectors (so every chunk
    /// but the last runs without a tail) and calls `body(start, count)` for each.
    static func forEachChunk(_ n: Int, costPerItem: Int, _ body: (Int, Int) -> Void) {
        forEachSpan(n, unit: 16, costPerUnit: 16 * costPerItem, body)
    }

    /// Splits `0..<n` over the threads in spans of whole `unit`s (the last may be shorter) and
    /// calls `body(start, count)` once per thread's span.
    private static func forEachSpan(_ n: Int, unit: Int, costPerUnit: Int, _ body: (Int, Int) -> Void) {
        parallelFor((n + unit - 1) / unit, costPerItem: costPerUnit) { units in
            let start = units.lowerBound * unit
            body(start, min(n, units.upperBound * unit) - start)
        }
    }
}
