import Foundation
import Testing
@testable import SigLIPImage

/// Our resize rounded to bytes vs Pillow's 8-bit resize (fixed-point weights, rounded intermediate).
let resizeByteTolerance = 1
/// Optimised Float kernel vs its Double twin, on the 0...255 scale.
let kernelTolerance = 2e-3

/// The fast kernel's values in 0...255 for a full resize: [height, width, 3].
func fastResize(_ image: RGBImage, width: Int, height: Int, filter: ResizeFilter) -> [Float] {
    var values = [Float](repeating: .nan, count: width * height * 3)
    values.withUnsafeMutableBufferPointer { buffer in
        Resampler.resample(image, resizedWidth: width, resizedHeight: height, columns: 0..<width, rows: 0..<height,
                           filter: filter, scale: 1, offset: 0, flip: false, output: buffer.baseAddress!)
    }
    return values
}

/// A deterministic w × h image with sharp and smooth parts.
func patternImage(width: Int, height: Int, seed: UInt64 = 1) -> RGBImage {
    var state = seed
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = UInt8(truncatingIfNeeded: state >> 59)
            let i = (y * width + x) * 3
            pixels[i] = UInt8((x * 255) / max(width - 1, 1))
            pixels[i + 1] = (x / 3 + y / 2) % 2 == 0 ? 250 &- noise : 5 &+ noise
            pixels[i + 2] = UInt8((y * 255) / max(height - 1, 1))
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

@Suite struct ResizeTests {
    @Test(arguments: Fixtures.manifest.resize)
    func matchesPillow(_ reference: Fixtures.ResizeCase) throws {
        let source = try ImageDecoder.decode(contentsOf: Fixtures.url(reference.source))
        let filter = try #require(ResizeFilter(rawValue: reference.filter))
        let ours = Resize.resize(source, width: reference.width, height: reference.height, filter: filter)
        let expected = try Fixtures.bytes(reference.expected)
        try #require(ours.pixels.count == expected.count)
        let worst = WorstDifference(ours.pixels, expected, width: reference.width)
        #expect(Int(worst.value) <= resizeByteTolerance, "\(reference.testDescription): \(worst)")
    }

    static let twinCases: [(Int, Int, Int, Int)] = [
        (37, 29, 224, 224), (37, 29, 5, 3), (97, 61, 31, 17), (64, 48, 64, 48), (13, 101, 50, 7), (40, 30, 77, 11),
        (1, 1, 3, 2), (9, 7, 1, 1),
    ]

    @Test(arguments: twinCases, ResizeFilter.allCases)
    func kernelMatchesPlainTwin(_ sizes: (Int, Int, Int, Int), filter: ResizeFilter) {
        let (w, h, outW, outH) = sizes
        let image = patternImage(width: w, height: h)
        let fast = fastResize(image, width: outW, height: outH, filter: filter)
        let plain = ResizeReference.resize(image, width: outW, height: outH, filter: filter)
        let worst = WorstDifference(fast, plain, width: outW)
        #expect(worst.value <= kernelTolerance, "\(w)x\(h) → \(outW)x\(outH) \(filter): \(worst)")
    }

    @Test func identityResizeIsExact() {
        let image = patternImage(width: 23, height: 11)
        for filter in ResizeFilter.allCases {
            #expect(Resize.resize(image, width: 23, height: 11, filter: filter) == image)
        }
    }
}
