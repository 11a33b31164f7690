import Foundation
import SigLIPBase
import Testing
@testable import SigLIPImage

/// Every file of Resources/malformed, a fragment its error message must contain, and its kind.
let malformedExpectations: [String: (fragment: String, kind: SigLIPError.Kind)] = [
    "empty.png": ("empty file", .unknownFormat),
    "notes.txt": ("unknown image format", .unknownFormat),
    "text.jpg": ("unknown image format", .unknownFormat),
    "png_signature_only.png": ("PNG: unexpected end of file (truncated PNG)", .corrupt),
    "png_truncated_ihdr.png": ("truncated PNG", .corrupt),
    "png_truncated_before_idat.png": ("truncated PNG", .corrupt),
    "png_truncated_idat.png": ("truncated PNG", .corrupt),
    "png_bad_signature.png": ("unknown image format", .unknownFormat),
    "png_ascii_mangled.png": ("unknown image format", .unknownFormat),
    "png_garbage_after_signature.png": ("PNG: PNG unsigned integer out of range", .corrupt),
    "png_bad_ihdr_crc.png": ("CRC error", .corrupt),
    "png_bad_idat_crc.png": ("CRC error", .corrupt),
    "png_bad_zlib.png": ("PNG: IDAT: invalid distance too far back", .corrupt),
    "png_zero_width.png": ("PNG: Invalid IHDR data", .corrupt),
    "png_bomb_side.png": ("PNG: image is 100000x100000, a side exceeds the limit of 65535 pixels", .tooLarge),
    "png_bomb_pixels.png": ("PNG: image is 20000x20000, more than the limit of 100000000 pixels", .tooLarge),
    "jpeg_soi_only.jpg": ("JPEG: Premature end of JPEG file", .corrupt),
    "jpeg_truncated_header.jpg": ("Premature end of JPEG file", .corrupt),
    "jpeg_truncated_before_scan.jpg": ("Premature end of JPEG file", .corrupt),
    "jpeg_truncated_scan.jpg": ("Premature end of JPEG file", .corrupt),
    "jpeg_truncated_progressive.jpg": ("Premature end of JPEG file", .corrupt),
    "jpeg_garbage_after_soi.jpg": ("JPEG: Unsupported marker type", .corrupt),
    "jpeg_zero_height.jpg": ("JPEG: Empty JPEG image", .corrupt),
    "jpeg_bomb_pixels.jpg": ("JPEG: image is 60000x60000, more than the limit of 100000000 pixels", .tooLarge),
    "png_bomb_density.png": ("PNG: declares 9000x9000 pixels but holds only", .tooLarge),
    "jpeg_bomb_density.jpg": ("JPEG: declares 9000x9000 pixels but holds only", .tooLarge),
    "jpeg_many_scans.jpg": ("progressive JPEG has more than 100 scans", .tooLarge),
]

@Suite struct MalformedTests {
    @Test func everyMalformedFileHasAnExpectation() {
        #expect(Set(Fixtures.malformedFiles()) == Set(malformedExpectations.keys))
    }

    @Test(arguments: Fixtures.malformedFiles())
    func malformedFileThrowsANamedError(_ name: String) throws {
        let url = Fixtures.url("malformed/\(name)")
        do {
            let image = try ImageDecoder.decode(contentsOf: url)
            Issue.record("\(name) decoded to \(image.width)x\(image.height) instead of failing")
        } catch let error as SigLIPError {
            #expect(error.path == url.path)
            #expect(error.description.hasPrefix(url.path + ": "), "\(error)")
            let (fragment, kind) = try #require(malformedExpectations[name], "no expectation for \(name): \(error)")
            #expect(error.problem.contains(fragment), "\(name): got \"\(error.problem)\", expected \"\(fragment)\"")
            #expect(error.kind == kind, "\(name): kind \(error.kind)")
        }
    }

    /// Ancillary-chunk memory bombs (256 MiB of compressed text or ICC profile, 20,000 sPLT or
    /// tEXt chunks, unknown chunks): skipped unread, the image decodes to rgb8.png's pixels.
    @Test(arguments: Fixtures.files(in: "ancillary"))
    func ancillaryChunkBombsAreSkipped(_ name: String) throws {
        let plain = try ImageDecoder.decode(contentsOf: Fixtures.url("fixtures/rgb8.png"))
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url("ancillary/\(name)"))
        #expect(image == plain, "\(name)")
    }

    @Test func specialFilesAreRefusedByType() throws {
        for path in ["/dev/zero", "/dev/null", "/tmp"] {
            do {
                _ = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path))
                Issue.record("\(path) was read")
            } catch let error as SigLIPError {
                #expect(error.problem.contains("not a regular file"), "\(error)")
            }
        }
    }

    @Test func missingFileIsUnreadable() {
        let url = Fixtures.url("malformed/does-not-exist.png")
        #expect(throws: SigLIPError.self) { try ImageDecoder.decode(contentsOf: url) }
    }

    /// Every prefix of a valid file fails cleanly (or decodes, for cuts inside the trailer).
    @Test(arguments: ["fixtures/rgb8_interlaced.png", "fixtures/rgb_progressive.jpg", "fixtures/cmyk.jpg"])
    func everyTruncationIsHandled(_ file: String) throws {
        let bytes = try Fixtures.bytes(file)
        var failures = 0
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            do { _ = try ImageDecoder.decode(data: Data(bytes[..<cut]), name: "cut") } catch { failures += 1 }
        }
        #expect(failures > bytes.count / 7 / 2)
    }
}
