import Foundation
import SigLIPCore
import SigLIPImage

/// An image that could not be used, with the decoder's reason.
public struct SkippedImage: Codable, Equatable, Sendable {
    public let path: String
    public let reason: String
}

/// Image files to model inputs: decode, bring to the model resolution, scale to [-1, 1].
public enum ImageLoading {
    /// Decodes `url` and writes [size, size, 3] floats in [-1, 1] to `output`. An image already at
    /// size × size is used as it is (no resampling: each byte v becomes `v · 2/255 − 1`); any
    /// other size is resized with `filter`: bilinear as in training (`Preprocess(size:)`,
    /// big_vision's `resize`), or what a Hugging Face checkpoint's image processor names
    /// (`ImageProcessorConfig`, bicubic for the released SigLIP models).
    public static func load(_ url: URL, size: Int, filter: ResizeFilter = .bilinear, into output: UnsafeMutablePointer<Float>) throws {
        let image = try ImageDecoder.decode(contentsOf: url, minimumSize: (size, size))
        write(image, size: size, filter: filter, into: output)
    }

    /// As `load(_:size:into:)` for an encoded image in memory (`name` names it in errors).
    public static func load(data: Data, name: String, size: Int, filter: ResizeFilter = .bilinear,
                            into output: UnsafeMutablePointer<Float>) throws {
        let image = try ImageDecoder.decode(data: data, name: name, minimumSize: (size, size))
        write(image, size: size, filter: filter, into: output)
    }

    /// A decoded image [h, w, 3] → [size, size, 3] floats in [-1, 1], resampled with `filter`
    /// only when h or w differ from `size`.
    public static func write(_ image: RGBImage, size: Int, filter: ResizeFilter = .bilinear, into output: UnsafeMutablePointer<Float>) {
        if image.width == size && image.height == size {
            let scale: Float = 2 / 255
            image.pixels.withUnsafeBufferPointer { bytes in
                for i in 0..<bytes.count { output[i] = Float(bytes[i]) * scale - 1 }
            }
        } else {
            Preprocess(size: size, filter: filter).apply(image, into: output)
        }
    }

    /// One image as [size, size, 3] floats in [-1, 1].
    public static func load(_ url: URL, size: Int, filter: ResizeFilter = .bilinear) throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: size * size * 3) { buffer, initialized in
            try load(url, size: size, filter: filter, into: buffer.baseAddress!)
            initialized = size * size * 3
        }
    }

    /// Decodes `urls` in parallel on all cores into `output` [urls.count, size, size, 3]. Returns,
    /// per input, nil when it loaded or the reason it did not (its slot is then left as is).
    public static func loadBatch(_ urls: [URL], size: Int, filter: ResizeFilter = .bilinear,
                                 into output: UnsafeMutablePointer<Float>) -> [String?] {
        loadInParallel(count: urls.count, stride: size * size * 3, into: output) { i, slot in
            try load(urls[i], size: size, filter: filter, into: slot)
        }
    }

    /// Runs `load(i, slot)` for i in 0..<count on all cores, slot i being `output + i * stride`;
    /// returns per item nil or the error's description.
    public static func loadInParallel(count: Int, stride: Int, into output: UnsafeMutablePointer<Float>,
                                      _ load: (Int, UnsafeMutablePointer<Float>) throws -> Void) -> [String?] {
        let failures = UnsafeMutablePointer<String?>.allocate(capacity: count)
        failures.initialize(repeating: nil, count: count)
        defer { failures.deinitialize(count: count); failures.deallocate() }
        // One image is far above parallelFor's threshold: every core decodes its own share.
        parallelFor(count, costPerItem: 1 << 20) { range in
            for i in range {
                do { try load(i, output + i * stride) } catch { failures[i] = String(describing: error) }
            }
        }
        return Array(UnsafeBufferPointer(start: failures, count: count))
    }
}
