import Foundation
import SigLIPBase
import Testing
@testable import SigLIPImage

/// PNG decoding is lossless and fully specified: exact equality with the reference.
let pngTolerance = 0
/// JPEG decoders may differ by one step in the IDCT / upsampling rounding.
let jpegTolerance = 1

@Suite struct DecodeTests {
    @Test(arguments: Fixtures.manifest.decode)
    func decodesLikePillow(_ fixture: Fixtures.DecodeCase) throws {
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url(fixture.file))
        #expect(image.width == fixture.width && image.height == fixture.height,
                "\(fixture.file): \(image.width)x\(image.height), expected \(fixture.width)x\(fixture.height)")
        let expected = try Fixtures.bytes(fixture.expected)
        try #require(image.pixels.count == expected.count)
        let worst = WorstDifference(image.pixels, expected, width: fixture.width)
        let tolerance = fixture.format == "png" ? pngTolerance : jpegTolerance
        #expect(Int(worst.value) <= tolerance, "\(fixture.file): \(worst), tolerance \(tolerance)")
    }

    @Test func decodingFromDataMatchesDecodingFromFile() throws {
        let url = Fixtures.url("fixtures/exif6.jpg")
        let fromFile = try ImageDecoder.decode(contentsOf: url)
        let fromData = try ImageDecoder.decode(data: Data(contentsOf: url), name: "exif6.jpg")
        #expect(fromFile == fromData)
    }

    @Test func exifOrientationSwapsAxes() throws {
        let upright = try ImageDecoder.decode(contentsOf: Fixtures.url("fixtures/exif1.jpg"))
        for orientation in 5...8 {
            let turned = try ImageDecoder.decode(contentsOf: Fixtures.url("fixtures/exif\(orientation).jpg"))
            #expect(turned.width == upright.height && turned.height == upright.width, "orientation \(orientation)")
        }
    }

    /// A 400x300 JPEG with minimum 64x64 decodes at 1/4 scale (1/8 would be 50x38, too small).
    @Test func reducedSizeJPEGDecode() throws {
        let scaled = try #require(Fixtures.manifest.scaled.first)
        let minimum = (width: scaled.minimum[0], height: scaled.minimum[1])
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url(scaled.file), minimumSize: minimum)
        #expect(image.width == 100 && image.height == 75)
        // The reference is a 4x4 box average of the full decode: DCT scaling is close to it, not equal.
        let expected = try Fixtures.bytes(scaled.expected)
        try #require(image.pixels.count == expected.count)
        let worst = WorstDifference(image.pixels, expected, width: 100)
        let meanAbs = Double(zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(expected.count)
        #expect(meanAbs <= scaledMeanTolerance, "mean |diff| \(meanAbs); \(worst)")
        #expect(worst.value <= scaledWorstTolerance, "\(worst)")
        // Without a minimum the full image comes back; a minimum bigger than the image also gives full size.
        let full = try ImageDecoder.decode(contentsOf: Fixtures.url(scaled.file))
        #expect(full.width == 400 && full.height == 300)
        let big = try ImageDecoder.decode(contentsOf: Fixtures.url(scaled.file), minimumSize: (500, 10))
        #expect(big.width == 400 && big.height == 300)
        let half = try ImageDecoder.decode(contentsOf: Fixtures.url(scaled.file), minimumSize: (101, 10))
        #expect(half.width == 200 && half.height == 150)
    }

    @Test func limitsAreConfigurable() throws {
        let url = Fixtures.url("fixtures/rgb8.png")  // 37x29 = 1073 pixels
        var limits = DecodeLimits.default
        limits.maxPixels = 1000
        #expect(throws: SigLIPError.self) { try ImageDecoder.decode(contentsOf: url, limits: limits) }
        limits = .default
        limits.maxSide = 30
        do {
            _ = try ImageDecoder.decode(contentsOf: url, limits: limits)
            Issue.record("a 37-pixel side passed a 30-pixel limit")
        } catch let error as SigLIPError {
            #expect(error.kind == .tooLarge && error.problem.contains("limit of 30"), "\(error)")
        }
    }
}

/// Mean and worst |diff| allowed between libjpeg's 1/4 DCT scaling and a 4x4 box average.
let scaledMeanTolerance = 1.5
let scaledWorstTolerance = 24.0
