import Foundation
import Testing
@testable import SigLIPImage

/// Float results of the same arithmetic in a different order.
let floatTolerance: Float = 1e-5

@Suite struct PreprocessTests {
    @Test func scalesToMinusOneOne() {
        let recipe = Preprocess(width: 4, height: 3)
        for value: UInt8 in [0, 1, 127, 128, 254, 255] {
            let image = RGBImage(width: 7, height: 5, pixels: [UInt8](repeating: value, count: 7 * 5 * 3))
            let out = recipe.apply(image)
            let expected = Float(value) / 255 * 2 - 1
            #expect(out.count == 4 * 3 * 3)
            #expect(out.allSatisfy { abs($0 - expected) <= floatTolerance }, "value \(value): \(out[0]) vs \(expected)")
        }
    }

    /// Sizes that shrink both axes, and that grow the width while shrinking the height
    /// (Pillow then runs the vertical pass first).
    static let targetSizes: [(Int, Int)] = [(16, 16), (77, 11), (9, 40)]

    @Test(arguments: ResizeFilter.allCases, Preprocess.Crop.allCases)
    func outputIsScaledResize(filter: ResizeFilter, crop: Preprocess.Crop) {
        let image = patternImage(width: 53, height: 31)
        for (width, height) in Self.targetSizes {
            let recipe = Preprocess(width: width, height: height, filter: filter, crop: crop)
            let out = recipe.apply(image)
            let resized = recipe.resizedSize(width: 53, height: 31)
            let full = fastResize(image, width: resized.width, height: resized.height, filter: filter)
            let plain = ResizeReference.resize(image, width: resized.width, height: resized.height, filter: filter)
            let left = (resized.width - width) / 2, top = (resized.height - height) / 2
            var worst: Float = 0, worstPlain = 0.0
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<3 {
                        let i = ((top + y) * resized.width + left + x) * 3 + c, o = out[(y * width + x) * 3 + c]
                        worst = max(worst, abs(o - (full[i] / 255 * 2 - 1)))
                        worstPlain = max(worstPlain, abs(Double(o) - (plain[i] / 255 * 2 - 1)))
                    }
                }
            }
            let label = "\(filter) \(crop) \(width)x\(height)"
            #expect(worst <= floatTolerance, "\(label): worst |diff| \(worst) against the full resize")
            #expect(worstPlain <= kernelTolerance * 2 / 255, "\(label): worst |diff| \(worstPlain) against the twin")
            #expect(out.allSatisfy { $0 >= -1 && $0 <= 1 }, "\(label): values outside [-1, 1]")
        }
    }

    @Test func centralCropSizes() {
        let recipe = Preprocess(size: 224, crop: .central)
        #expect(recipe.resizedSize(width: 500, height: 375) == (299, 224))
        #expect(recipe.resizedSize(width: 300, height: 600) == (224, 448))
        #expect(Preprocess(size: 224).resizedSize(width: 500, height: 375) == (224, 224))
    }

    @Test(arguments: Preprocess.Crop.allCases)
    func flipMirrorsEachRow(crop: Preprocess.Crop) {
        let image = patternImage(width: 40, height: 30)
        let recipe = Preprocess(width: 15, height: 9, filter: .bicubic, crop: crop)
        let plain = recipe.apply(image), flipped = recipe.apply(image, flip: true)
        var mismatches = 0
        for y in 0..<9 {
            for x in 0..<15 {
                for c in 0..<3 where plain[(y * 15 + x) * 3 + c] != flipped[(y * 15 + 14 - x) * 3 + c] { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test func fillsABatchBufferInPlace() {
        let recipe = Preprocess(size: 8, filter: .bicubic)
        let images = [patternImage(width: 20, height: 10, seed: 1), patternImage(width: 9, height: 17, seed: 2)]
        var batch = [Float](repeating: .nan, count: images.count * recipe.outputCount)  // [B, H, W, 3]
        batch.withUnsafeMutableBufferPointer { buffer in
            for (b, image) in images.enumerated() {
                recipe.apply(image, flip: b == 1, into: buffer.baseAddress! + b * recipe.outputCount)
            }
        }
        #expect(Array(batch[0..<recipe.outputCount]) == recipe.apply(images[0]))
        #expect(Array(batch[recipe.outputCount...]) == recipe.apply(images[1], flip: true))
    }

    /// Decode + preprocess of a fixture against Pillow's resize scaled the same way.
    @Test func matchesPillowResizeScaled() throws {
        let reference = try #require(Fixtures.manifest.resize.first { $0.width == 32 && $0.filter == "bicubic" })
        let source = try ImageDecoder.decode(contentsOf: Fixtures.url(reference.source))
        let out = Preprocess(size: 32, filter: .bicubic).apply(source)
        let expected = try Fixtures.bytes(reference.expected).map { Double($0) / 255 * 2 - 1 }
        let worst = WorstDifference(out, expected, width: 32)
        #expect(worst.value <= Double(resizeByteTolerance) * 2 / 255 + 1e-5, "\(worst)")
    }
}
