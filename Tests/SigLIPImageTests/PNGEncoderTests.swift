import CImageCodecs
import Foundation
import SigLIPBase
import Testing
@testable import SigLIPImage

/// PNG is lossless: encode → decode must give back the very same bytes.
@Suite struct PNGEncoderTests {
    /// SplitMix64: a seeded byte source so each case is reproducible.
    struct Bytes {
        var state: UInt64
        mutating func next() -> UInt8 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: (z ^ (z >> 31)) >> 24)
        }
        mutating func image(width: Int, height: Int) -> RGBImage {
            RGBImage(width: width, height: height, pixels: (0..<width * height * 3).map { _ in next() })
        }
    }

    @Test(arguments: [(1, 1), (1, 7), (7, 1), (3, 5), (17, 9), (33, 31), (127, 65)])
    func roundTripIsBitExact(width: Int, height: Int) throws {
        var bytes = Bytes(state: UInt64(width * 1000 + height))
        let image = bytes.image(width: width, height: height)
        let data = try PNGEncoder.encode(image)
        let decoded = try ImageDecoder.decode(data: data, name: "round-trip.png")
        #expect(decoded.width == width && decoded.height == height)
        let firstDifference = zip(decoded.pixels, image.pixels).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(decoded.pixels == image.pixels, "first difference at byte \(String(describing: firstDifference?.offset))")
    }

    @Test(arguments: [0, 1, 9])
    func everyCompressionLevelRoundTrips(level: Int) throws {
        var bytes = Bytes(state: 42)
        let image = bytes.image(width: 13, height: 11)
        let data = try PNGEncoder.encode(image, compressionLevel: level)
        #expect(try ImageDecoder.decode(data: data, name: "level.png") == image)
    }

    /// Fully opaque RGBA decodes to its RGB part; alpha 0 composites to white.
    @Test func rgbaRoundTripsThroughTheCompositingDecoder() throws {
        let rgba: [UInt8] = [10, 20, 30, 255, 200, 100, 50, 0, 1, 2, 3, 255]
        let data = try PNGEncoder.encode(rgba: rgba, width: 3, height: 1)
        let decoded = try ImageDecoder.decode(data: data, name: "rgba.png")
        #expect(decoded.pixels == [10, 20, 30, 255, 255, 255, 1, 2, 3])
    }

    @Test func encodingIsDeterministic() throws {
        var bytes = Bytes(state: 7)
        let image = bytes.image(width: 21, height: 19)
        #expect(try PNGEncoder.encode(image) == PNGEncoder.encode(image))
    }

    @Test func zeroSizeImageIsAClearError() {
        let empty = RGBImage(width: 0, height: 5, pixels: [])
        #expect {
            try PNGEncoder.encode(empty)
        } throws: { error in
            guard let error = error as? ImageEncodeError else { return false }
            return error.kind == .invalidImage && error.description.contains("zero size (0x5)")
        }
    }

    @Test func wrongPixelCountIsRefused() {
        #expect(throws: ImageEncodeError.self) {
            try PNGEncoder.encode(rgba: [1, 2, 3], width: 1, height: 1)
        }
    }

    /// The C shim checks its own arguments too (callers other than PNGEncoder may use it).
    @Test func cShimRefusesBadArgumentsWithAMessage() {
        var buffer = siglip_png_buffer()
        let pixels = [UInt8](repeating: 0, count: 32)
        let status = siglip_png_encode(pixels, 4, 4, 2, -1, &buffer)
        let message = withUnsafeBytes(of: buffer.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        siglip_png_buffer_free(&buffer)
        #expect(status == SIGLIP_CODEC_BAD_ARGUMENT && buffer.data == nil)
        #expect(message.contains("channel count 2"), "\(message)")
    }

    @Test func writeReplacesTheFileAtomically() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("png-encoder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("image.png")
        var bytes = Bytes(state: 3)
        let first = bytes.image(width: 5, height: 3), second = bytes.image(width: 9, height: 2)
        try PNGEncoder.write(first, to: url)
        try PNGEncoder.write(second, to: url)
        #expect(try ImageDecoder.decode(contentsOf: url) == second)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers == ["image.png"], "temporary files left behind: \(leftovers)")
    }

    @Test func writeIntoAMissingDirectoryFails() {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/image.png")
        let error = #expect(throws: SigLIPError.self) {
            try PNGEncoder.write(RGBImage(width: 1, height: 1, pixels: [0, 0, 0]), to: url)
        }
        #expect(error?.kind == .unwritable && error?.path == url.path)
    }
}
