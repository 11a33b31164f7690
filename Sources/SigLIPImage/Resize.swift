/// A sample type the resampling passes read: bytes from the image, or the Float scratch.
protocol ResampleSample { var floatValue: Float { get } }
extension UInt8: ResampleSample { @inline(__always) var floatValue: Float { Float(self) } }
extension Float: ResampleSample { @inline(__always) var floatValue: Float { self } }

/// The optimised separable resampler: one pass into a Float scratch buffer (clipped to
/// [0, 255] like Pillow's 8-bit intermediate), the other pass into the caller's buffer, then
/// clipping, `scale * value + offset` and an optional mirror. Its plain twin is `ResizeReference`.
///
/// Pass order follows Pillow 13: horizontal first, except when the width grows while the
/// height shrinks (then the shrinking vertical pass runs first).
enum Resampler {
    /// Resamples `image` [h, w, 3] to [resizedHeight, resizedWidth, 3] and writes the window
    /// `columns` × `rows` of that result to `output` [rows.count, columns.count, 3], each value v
    /// (clipped to 0...255) as `scale * v + offset`; with `flip` each output row is mirrored.
    static func resample(_ image: RGBImage, resizedWidth: Int, resizedHeight: Int,
                         columns: Range<Int>, rows: Range<Int>, filter: ResizeFilter,
                         scale: Float, offset: Float, flip: Bool, output: UnsafeMutablePointer<Float>) {
        precondition(image.width > 0 && image.height > 0, "Resampler: empty image")
        precondition(columns.lowerBound >= 0 && columns.upperBound <= resizedWidth && !columns.isEmpty
                     && rows.lowerBound >= 0 && rows.upperBound <= resizedHeight && !rows.isEmpty,
                     "Resampler: window outside the resized image")
        let horizontal = AxisWeights(inputSize: image.width, outputSize: resizedWidth, filter: filter, outputs: columns)
        let vertical = AxisWeights(inputSize: image.height, outputSize: resizedHeight, filter: filter, outputs: rows)
        let verticalFirst = verticalPassFirst(inputWidth: image.width, inputHeight: image.height,
                                              outputWidth: resizedWidth, outputHeight: resizedHeight)
        let outputRow = columns.count * 3
        image.pixels.withUnsafeBufferPointer { pixels in
            let input = pixels.baseAddress!, inputRow = image.width * 3
            if verticalFirst {
                let span = horizontal.inputSpan, scratchRow = span.count * 3
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * scratchRow)
                defer { scratch.deallocate() }
                verticalPass(input + span.lowerBound * 3, rowStride: inputRow, firstRow: 0, rowLength: scratchRow,
                             weights: vertical, into: scratch)
                clip(scratch, count: rows.count * scratchRow)
                horizontalPass(scratch, rowStride: scratchRow, rowCount: rows.count, firstColumn: span.lowerBound,
                               weights: horizontal, into: output)
            } else {
                let span = vertical.inputSpan
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: span.count * outputRow)
                defer { scratch.deallocate() }
                horizontalPass(input + span.lowerBound * inputRow, rowStride: inputRow, rowCount: span.count,
                               firstColumn: 0, weights: horizontal, into: scratch)
                clip(scratch, count: span.count * outputRow)
                verticalPass(UnsafePointer(scratch), rowStride: outputRow, firstRow: span.lowerBound,
                             rowLength: outputRow, weights: vertical, into: output)
            }
        }
        for row in 0..<rows.count {
            finish(row: output + row * outputRow, length: outputRow, scale: scale, offset: offset, flip: flip)
        }
    }

    /// Pillow 13's pass order: vertical first only when the width grows and the height shrinks.
    static func verticalPassFirst(inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int) -> Bool {
        outputWidth > inputWidth && outputHeight < inputHeight
    }

    /// input rows [rowCount, rowStride] (pixel x at x * 3, counted from `firstColumn`)
    /// → output [rowCount, weights.outputs.count, 3].
    private static func horizontalPass<T: ResampleSample>(
        _ input: UnsafePointer<T>, rowStride: Int, rowCount: Int, firstColumn: Int,
        weights: AxisWeights, into output: UnsafeMutablePointer<Float>
    ) {
        let outputs = weights.outputs.count, taps = weights.taps
        let span = weights.inputSpan
        // Each input row is converted to Float once (it is read by several outputs).
        let row = UnsafeMutablePointer<Float>.allocate(capacity: max(span.count * 3, 1))
        defer { row.deallocate() }
        weights.weights.withUnsafeBufferPointer { w in
            weights.first.withUnsafeBufferPointer { first in
                weights.count.withUnsafeBufferPointer { count in
                    for y in 0..<rowCount {
                        let source = input + y * rowStride + (span.lowerBound - firstColumn) * 3
                        for i in 0..<(span.count * 3) { row[i] = source[i].floatValue }
                        let target = output + y * outputs * 3
                        for o in 0..<outputs {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            let tap = w.baseAddress! + o * taps
                            var p = row + (first[o] - span.lowerBound) * 3
                            for k in 0..<count[o] {
                                let weight = tap[k]
                                r += weight * p[0]
                                g += weight * p[1]
                                b += weight * p[2]
                                p += 3
                            }
                            target[o * 3] = r
                            target[o * 3 + 1] = g
                            target[o * 3 + 2] = b
                        }
                    }
                }
            }
        }
    }

    /// input [rows, rowStride] (row r holds input row r + firstRow) → output [weights.outputs.count, rowLength].
    private static func verticalPass<T: ResampleSample>(
        _ input: UnsafePointer<T>, rowStride: Int, firstRow: Int, rowLength: Int,
        weights: AxisWeights, into output: UnsafeMutablePointer<Float>
    ) {
        let taps = weights.taps
        weights.weights.withUnsafeBufferPointer { w in
            for o in 0..<weights.outputs.count {
                let target = output + o * rowLength
                target.update(repeating: 0, count: rowLength)
                let start = weights.first[o] - firstRow
                for k in 0..<weights.count[o] {
                    let weight = w[o * taps + k]
                    let source = input + (start + k) * rowStride
                    for i in 0..<rowLength { target[i] += weight * source[i].floatValue }
                }
            }
        }
    }

    /// Clips `count` values to [0, 255].
    private static func clip(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { values[i] = min(max(values[i], 0), 255) }
    }

    /// Clips a row [n, 3] to [0, 255], applies `scale * v + offset`, and mirrors it when `flip`.
    @inline(__always)
    private static func finish(row: UnsafeMutablePointer<Float>, length: Int, scale: Float, offset: Float, flip: Bool) {
        for i in 0..<length { row[i] = scale * min(max(row[i], 0), 255) + offset }
        guard flip else { return }
        var left = 0, right = length / 3 - 1
        while left < right {
            for c in 0..<3 { swap(&row[left * 3 + c], &row[right * 3 + c]) }
            left += 1
            right -= 1
        }
    }
}

/// Resizing to 8-bit images (Pillow's `Image.resize` semantics: antialiased when shrinking).
public enum Resize {
    /// `image` [h, w, 3] → [height, width, 3], rounded to the nearest byte.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: ResizeFilter) -> RGBImage {
        precondition(width > 0 && height > 0, "Resize: target must be positive")
        var values = [Float](repeating: 0, count: width * height * 3)
        values.withUnsafeMutableBufferPointer { buffer in
            Resampler.resample(image, resizedWidth: width, resizedHeight: height, columns: 0..<width,
                               rows: 0..<height, filter: filter, scale: 1, offset: 0, flip: false,
                               output: buffer.baseAddress!)
        }
        return RGBImage(width: width, height: height,
                        pixels: values.map { UInt8(min(max($0.rounded(), 0), 255)) })
    }
}
