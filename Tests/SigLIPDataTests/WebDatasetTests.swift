import Foundation
import SigLIPBase
import SigLIPTestSupport
import Testing
@testable import SigLIPData

@Suite struct WebDatasetTests {
    @Test func bundledDefaultShardsHaveTheListedCounts() throws {
        let listing = try String(contentsOf: Repo.defaultTrain.appendingPathComponent("shards.txt"), encoding: .utf8)
        let expected = listing.split(separator: "\n").map { Int($0.split(separator: "\t")[1])! }
        let shards = try WebDatasetShards(folder: Repo.defaultTrain)
        #expect(shards.samplesPerShard == expected)
        #expect(shards.count == 1_798)
        #expect(shards.indexSkipped.isEmpty)
        let first = try shards.sample(at: 0)
        #expect(first.name == "train-00000.tar:0000000.png")
        #expect(first.imageBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(!first.caption.isEmpty)
        let last = try shards.sample(at: 1_797)
        #expect(last.name == "train-00001.tar:0001797.png")
        #expect(shards.key(at: 1_000) == "0001000")
    }

    @Test func bundledDefaultCaptionsMatchPythonTarfile() throws {
        // Sample 1 of the default set, as `tarfile` lists it: 0000001.txt (24 bytes).
        let shards = try openImageTextDataset(at: Repo.defaultTrain.appendingPathComponent("train-00000.tar"))
        #expect(shards.count == 1_000)
        #expect(try shards.sample(at: 1).caption.utf8.count == 24)
    }

    @Test func longNamesPaxHeadersAndIncompleteSamples() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let png = try DefaultSamples.first(1)[0].imageBytes
        let deep = String(repeating: "d", count: 120) + "/sample"
        let pax = "27 path=renamed/by-pax.png\n"  // applies to the next member only
        let members: [TarWriter.Member] = [
            .init(name: "dir", data: Data(), type: UInt8(ascii: "5")),
            .init(name: deep + ".png", data: png),
            .init(name: deep + ".txt", data: Data("a long name\n".utf8)),
            .init(name: "PaxHeaders/x", data: Data(pax.utf8), type: UInt8(ascii: "x")),
            .init(name: "short.png", data: png),
            .init(name: "lonely.png", data: png),
            .init(name: "only.txt", data: Data("no image".utf8)),
            .init(name: "b.json", data: Data(#"{"caption": "from json"}"#.utf8)),
            .init(name: "b.jpg.png", data: png),  // key "b", extension "jpg.png": not an image
            .init(name: "b.png", data: png),
        ]
        try folder.write("t.tar", TarWriter.archive(members))
        let shards = try WebDatasetShards(urls: [folder.file("t.tar")])
        #expect(shards.count == 2)
        #expect(try shards.sample(at: 0).name == "t.tar:\(deep).png")
        #expect(try shards.sample(at: 0).caption == "a long name")
        #expect(try shards.sample(at: 1).caption == "from json")
        #expect(try shards.sample(at: 1).name == "t.tar:b.png")
        // "short.png" was renamed by the pax header to "renamed/by-pax.png".
        #expect(shards.indexSkipped.map(\.name) == ["t.tar:renamed/by-pax", "t.tar:lonely", "t.tar:only"])
        #expect(shards.indexSkipped[0].reason.contains("without a caption"))
        #expect(shards.indexSkipped[2].reason.contains("without an image"))
    }

    @Test func webpIsRefusedByName() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("w.tar", TarWriter.archive([.init(name: "k.webp", data: Data([1, 2, 3])),
                                                     .init(name: "k.txt", data: Data("x".utf8))]))
        let error = #expect(throws: SigLIPError.self) { try WebDatasetShards(urls: [folder.file("w.tar")]) }
        #expect(error?.path == folder.file("w.tar").path)
        #expect(error?.problem.contains("WEBP") == true)
    }

    @Test func truncatedArchivesNameTheFileAndOffset() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let whole = TarWriter.archive([.init(name: "a.txt", data: Data(repeating: 65, count: 700)),
                                       .init(name: "a.png", data: Data(repeating: 1, count: 10))])
        // Cut inside the second header, then inside the first member's data.
        try folder.write("header.tar", whole.prefix(512 + 1024 + 100))
        let e1 = #expect(throws: SigLIPError.self) { try WebDatasetShards(urls: [folder.file("header.tar")]) }
        #expect(e1?.path.hasSuffix("header.tar") == true)
        #expect(e1?.problem.contains("offset 1536") == true)
        #expect(e1?.problem.contains("truncated") == true)
        try folder.write("data.tar", whole.prefix(512 + 300))
        let e2 = #expect(throws: SigLIPError.self) { try WebDatasetShards(urls: [folder.file("data.tar")]) }
        #expect(e2?.problem.contains("offset 0") == true)
        #expect(e2?.problem.contains("past the end") == true)
    }

    @Test func badChecksumIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var bytes = TarWriter.archive([.init(name: "a.txt", data: Data("x".utf8)),
                                       .init(name: "a.png", data: Data("y".utf8))])
        bytes[1024 + 3] ^= 0x20  // a name byte of the second header
        try folder.write("bad.tar", bytes)
        let error = #expect(throws: SigLIPError.self) { try WebDatasetShards(urls: [folder.file("bad.tar")]) }
        #expect(error?.problem == "tar header at offset 1024: bad checksum (stored \(Self.storedChecksum(bytes, at: 1024)), computed \(Self.storedChecksum(bytes, at: 1024) + 0x20)); not a tar file or corrupt"
                || error?.problem.contains("bad checksum") == true)
        #expect(error?.problem.contains("offset 1024") == true)
        // Not a tar at all.
        try folder.write("text.tar", Data(repeating: UInt8(ascii: "z"), count: 2048))
        #expect(throws: SigLIPError.self) { try WebDatasetShards(urls: [folder.file("text.tar")]) }
    }

    static func storedChecksum(_ bytes: Data, at offset: Int) -> Int {
        Int(String(decoding: bytes[(offset + 148)..<(offset + 154)], as: UTF8.self), radix: 8) ?? -1
    }

    @Test func octalAndBase256Sizes() {
        #expect(TarIndex.parseNumber(ArraySlice(Array("00000001750\0".utf8))) == 1000)
        #expect(TarIndex.parseNumber(ArraySlice(Array("   1750 \0".utf8))) == 1000)
        #expect(TarIndex.parseNumber(ArraySlice([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00])) == 256)
        #expect(TarIndex.parseNumber(ArraySlice(Array("12x4".utf8))) == nil)
    }

    @Test func openRecognisesEachLayout() throws {
        #expect(try openImageTextDataset(at: Repo.defaultTrain).count == 1_798)
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try DefaultSamples.manifestFolder(folder, count: 3)
        #expect(try openImageTextDataset(at: folder.url) is CaptionManifest)
        #expect(throws: SigLIPError.self) { try openImageTextDataset(at: folder.file("images")) }
        #expect(throws: SigLIPError.self) { try openImageTextDataset(at: folder.file("missing")) }
    }
}
