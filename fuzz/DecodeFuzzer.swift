import SigLIPBase
// libFuzzer entry point for the image decoders, compiled together with Sources/SigLIPImage by
// fuzz/run.sh: once with -D FUZZ_PNG and once with -D FUZZ_JPEG. Every input must either decode
// or throw SigLIPError; crashes, sanitizer reports, leaks and timeouts are findings.

/// Small limits keep each run fast; the decoders must refuse larger images cleanly.
let fuzzLimits = DecodeLimits(maxPixels: 4_000_000, maxSide: 8_192, maxJPEGScans: 200)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    do {
        #if FUZZ_PNG
        let image = try PNGDecoder.decode(bytes, name: "fuzz.png", limits: fuzzLimits)
        #else
        // Odd-sized inputs also exercise reduced-size (DCT-scaled) decoding.
        let minimum: (width: Int, height: Int)? = size % 2 == 1 ? (width: 24, height: 16) : nil
        let image = try JPEGDecoder.decode(bytes, name: "fuzz.jpg", minimumSize: minimum, limits: fuzzLimits)
        #endif
        precondition(image.pixels.count == image.width * image.height * 3, "pixel count")
        if image.width > 0 && image.height > 0 && image.width * image.height <= 1 << 20 {
            let recipe = Preprocess(width: 7, height: 5, filter: size % 3 == 0 ? .bicubic : .bilinear,
                                    crop: size % 5 == 0 ? .central : .none)
            let values = recipe.apply(image, flip: size % 7 == 0)
            precondition(values.allSatisfy { $0 >= -1 && $0 <= 1 }, "value out of range")
        }
    } catch is SigLIPError {
        // Expected for malformed input.
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
    return 0
}
