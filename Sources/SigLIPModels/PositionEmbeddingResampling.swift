/// Brings a learned image position embedding to another patch grid, so that a checkpoint
/// trained at one image size runs at another (224 px → 256 or 384 px), as big_vision does when
/// it loads a ViT at a new resolution (`vit.resample_posemb`).
///
/// big_vision reshapes the [N, D] table to its √N × √N grid and calls
/// `scipy.ndimage.zoom(grid, (new/old, new/old, 1), order=1)`: bilinear interpolation with the
/// corner samples aligned (output row y samples input row y·(old − 1)/(new − 1); a 1-row grid
/// repeats), no antialiasing when shrinking, computed in double precision and rounded to Float.
/// This reproduces it operation for operation; it matches the fixture script's NumPy copy
/// exactly and SciPy's own to within one Float ulp (`evals/reference/make_bigvision_fixtures.py`).
public enum PositionEmbeddingResampling {
    /// table: [old², width] row-major (grid row, grid column, channel) → [new², width].
    /// The same table when the grids are equal.
    public static func resample(_ table: [Float], width: Int, from oldGrid: Int, to newGrid: Int) -> [Float] {
        precondition(oldGrid > 0 && newGrid > 0 && width > 0 && table.count == oldGrid * oldGrid * width,
                     "a \(oldGrid)×\(oldGrid) grid of width \(width) has \(oldGrid * oldGrid * width) values, not \(table.count)")
        guard oldGrid != newGrid else { return table }
        let step = newGrid > 1 ? Double(oldGrid - 1) / Double(newGrid - 1) : 1
        // Per output row (or column): the two input rows it falls between and the weight of the second.
        let taps = (0..<newGrid).map { i -> (low: Int, high: Int, t: Double) in
            let c = Double(i) * step
            let low = min(Int(c.rounded(.down)), oldGrid - 1)
            return (low, min(low + 1, oldGrid - 1), c - Double(low))
        }
        var out = [Float](repeating: 0, count: newGrid * newGrid * width)
        for (y, ty) in taps.enumerated() {
            for (x, tx) in taps.enumerated() {
                let a = (ty.low * oldGrid + tx.low) * width, b = (ty.low * oldGrid + tx.high) * width
                let c = (ty.high * oldGrid + tx.low) * width, d = (ty.high * oldGrid + tx.high) * width
                let o = (y * newGrid + x) * width
                for k in 0..<width {
                    let top = (1 - tx.t) * Double(table[a + k]) + tx.t * Double(table[b + k])
                    let bottom = (1 - tx.t) * Double(table[c + k]) + tx.t * Double(table[d + k])
                    out[o + k] = Float((1 - ty.t) * top + ty.t * bottom)
                }
            }
        }
        return out
    }

    /// The side of the square patch grid of `positions` position embeddings, or nil when
    /// `positions` is not a square.
    public static func gridSide(positions: Int) -> Int? {
        guard positions > 0 else { return nil }
        var side = Int(Double(positions).squareRoot())
        while side * side > positions { side -= 1 }
        while (side + 1) * (side + 1) <= positions { side += 1 }
        return side * side == positions ? side : nil
    }
}
